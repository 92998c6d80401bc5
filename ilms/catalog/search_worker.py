"""Bulk indexing in a child process, beside the import that feeds it.

The parent (``WorkerWriter``, used by ``WhooshBackend.bulk(parallel=True)``)
sends batches of search documents through a pipe; the child, started as
``python -m ilms.catalog.search_worker ROOT TIMEOUT RFD WFD``, owns a
``search._BulkWriter`` and answers which flushes are committed. The child
is a fresh interpreter, not a fork: it shares no database connection or
lock with the importing process. whoosh itself stays in ``search``.
"""
from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from .search import SearchUnavailable, WhooshBackend, _BulkWriter


class WorkerWriter:
    """``search._BulkWriter``'s interface (add, flush, done_ids, close, cancel) over a child process.

    Messages go through a small queue and a sender thread, so the import
    keeps parsing while the child commits a segment; the queue's bound is
    the back pressure (at most ``QUEUE`` batches ahead), so memory stays
    flat. The child only ever answers with a few bytes ("flush number N is
    committed"; the ids behind N are kept here), so it never blocks writing
    to us while we block writing to it.
    """

    QUEUE = 12

    def __init__(self, root, timeout):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root,
                                                                         os.environ.get("PYTHONPATH")])))
        # a fresh interpreter (not fork): it shares no database connection or lock with this process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ilms.catalog.search_worker", str(root), str(timeout), str(to_child_r),
             str(from_child_w)], pass_fds=(to_child_r, from_child_w), env=env, close_fds=True)
        os.close(to_child_r)
        os.close(from_child_w)
        self.conn = _Duplex(Connection(from_child_r, writable=False), Connection(to_child_w, readable=False))
        self.outbox = queue.Queue(self.QUEUE)
        self.sender = threading.Thread(target=self._sending, name="ilms-index-sender", daemon=True)
        self.sender.start()
        self.pending = []          # ids sent since the last flush
        self.flushes = {}          # flush number -> ids it commits
        self.flush_number = 0
        self.done = []
        self.error = None
        self.closed = False
        self._receive(until="ready")
        self._raise()

    def _raise(self):
        if self.error:
            raise SearchUnavailable(self.error)

    def _receive(self, until=None):
        """Read the child's answers: without waiting, or until ``until`` (or an error) arrives."""
        try:
            while until is not None or self.conn.poll():
                kind, payload = self.conn.recv()
                if kind == "flushed":
                    self.done.extend(self.flushes.pop(payload, ()))
                elif kind == "error":
                    self.error = payload
                    return
                if kind == until:
                    return
        except (EOFError, OSError):
            self.error = self.error or "the search indexer stopped unexpectedly"

    def _sending(self):
        while True:
            message = self.outbox.get()
            if message is None:
                return
            try:
                self.conn.send(message)
            except (BrokenPipeError, OSError):
                self.error = self.error or "the search indexer stopped unexpectedly"
                return

    def _send(self, message):
        self._receive()
        self._raise()
        while self.sender.is_alive():
            try:
                self.outbox.put(message, timeout=1)
                return
            except queue.Full:   # the child is busy committing; check it is still alive
                self._receive()
                self._raise()
        self._receive()
        self.error = self.error or "the search indexer stopped unexpectedly"
        self._raise()

    def add(self, documents):
        documents = list(documents)
        self._send(("add", documents))
        self.pending.extend(doc["id"] for doc in documents)

    def flush(self):
        self.flush_number += 1
        self.flushes[self.flush_number] = self.pending
        self.pending = []
        self._send(("flush", self.flush_number))

    def done_ids(self):
        self._receive()
        done, self.done = self.done, []
        return done

    def close(self):
        self.flush_number += 1
        self.flushes[self.flush_number] = self.pending
        self.pending = []
        self._send(("close", self.flush_number))
        self._receive(until="closed")
        self.closed = True
        self.outbox.put(None)
        self.sender.join(10)
        self._wait()
        self._raise()
        return self.done_ids()

    def _wait(self):
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.conn.close()

    def cancel(self):
        if self.closed:
            return
        self.closed = True
        while True:   # what was not sent yet is dropped: the records stay marked for re-indexing
            try:
                self.outbox.get_nowait()
            except queue.Empty:
                break
        self.outbox.put(("cancel", None))
        self.outbox.put(None)
        self.sender.join(10)
        self._wait()


class _Duplex:
    """Two one-way pipe connections used as one."""

    def __init__(self, incoming, outgoing):
        self.incoming, self.outgoing = incoming, outgoing

    def send(self, message):
        self.outgoing.send(message)

    def recv(self):
        return self.incoming.recv()

    def poll(self):
        return self.incoming.poll()

    def close(self):
        self.incoming.close()
        self.outgoing.close()


def _worker_main(root, timeout, conn):
    """The child process of ``_WorkerWriter``: owns the bulk writer, says which flushes are committed."""
    try:
        bulk = _BulkWriter(WhooshBackend(root), timeout)
    except SearchUnavailable as error:
        conn.send(("error", str(error)))
        return
    conn.send(("ready", None))
    try:
        while True:
            kind, payload = conn.recv()
            if kind == "add":
                bulk.add(payload)
            elif kind == "flush":
                bulk.flush()
                conn.send(("flushed", payload))
            elif kind == "close":
                bulk.close()
                conn.send(("flushed", payload))
                conn.send(("closed", None))
                return
            else:
                bulk.cancel()
                return
    except SearchUnavailable as error:
        conn.send(("error", str(error)))
    except EOFError:   # the importing process went away: leave the index as it was
        bulk.cancel()


def _worker_entry(argv):
    root, timeout, read_fd, write_fd = argv
    conn = _Duplex(Connection(int(read_fd), writable=False), Connection(int(write_fd), readable=False))
    try:
        _worker_main(root, float(timeout), conn)
    finally:
        conn.close()


if __name__ == "__main__":
    _worker_entry(sys.argv[1:])
