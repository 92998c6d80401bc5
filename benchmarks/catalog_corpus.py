"""The benchmark corpus: the real records of ``shared/data/marc`` repeated, each copy with a new 001.

Built at benchmark time (``python -m benchmarks.catalog_corpus OUT.mrc [COUNT]``), never committed.
Copies keep their source's bytes and encoding (MARC-8 stays MARC-8); only the
001 changes (``SYN0000001``...), so an import does exactly the work the real
records need. The MARCXML records are written as UTF-8 ISO 2709.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ilms.catalog import marcio

SHARED = Path(os.environ.get("ILMS_SHARED") or Path(__file__).resolve().parents[2] / "shared")


def source_records():
    """Raw ISO 2709 bytes of every good real record (bib/*.mrc and the clean Koha MARCXML)."""
    bib = SHARED / "data" / "marc" / "bib"
    if not bib.is_dir():
        sys.exit(f"{bib} is missing: the benchmark needs ../shared beside the repository (or ILMS_SHARED)")
    out = []
    for path in sorted(bib.glob("*.mrc")):
        with open(path, "rb") as fh:
            for _number, _offset, data, note in marcio.iso2709_chunks(fh):
                if not note:
                    out.append(data)
    with open(SHARED / "data" / "marc" / "marcxml" / "koha_sample_436.clean.xml", "rb") as fh:
        for parsed in marcio.read_marcxml(fh):
            if parsed.ok:
                out.append(marcio.to_iso2709(parsed.record))
    return out


def with_control_number(data: bytes, number: str) -> bytes:
    """The same record with its 001 replaced (or added first), directory and leader recomputed."""
    base = int(data[12:17])
    directory = data[24:base - 1]
    body = data[base:-1]
    fields = []
    for n in range(len(directory) // 12):
        entry = directory[n * 12:n * 12 + 12]
        tag, length, start = entry[:3], int(entry[3:7]), int(entry[7:12])
        fields.append([tag, body[start:start + length]])
    value = number.encode("ascii") + b"\x1e"
    for fld in fields:
        if fld[0] == b"001":
            fld[1] = value
            break
    else:
        fields.insert(0, [b"001", value])
    new_dir, new_body = bytearray(), bytearray()
    for tag, chunk in fields:
        new_dir += tag + b"%04d%05d" % (len(chunk), len(new_body))
        new_body += chunk
    new_dir += b"\x1e"
    new_base = 24 + len(new_dir)
    length = new_base + len(new_body) + 1
    leader = b"%05d" % length + data[5:12] + b"%05d" % new_base + data[17:24]
    return leader + bytes(new_dir) + bytes(new_body) + b"\x1d"


def build(path, count=100_000):
    """Write ``count`` records to ``path``; returns the number of source records used."""
    sources = source_records()
    with open(path, "wb") as out:
        for n in range(count):
            out.write(with_control_number(sources[n % len(sources)], f"SYN{n + 1:07d}"))
    return len(sources)


if __name__ == "__main__":
    target = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    used = build(target, total)
    print(f"{target}: {total} records from {used} real ones")
