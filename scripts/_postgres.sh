# A throwaway PostgreSQL server for the tests (sourced by scripts/test).
#
#   start_test_postgres   installs Debian's postgresql when missing, creates a private cluster
#                         (initdb) in a temporary directory, starts it on 127.0.0.1 only, on a
#                         free port (or $ILMS_TEST_POSTGRES_PORT), creates the role and database
#                         "ilms", exports ILMS_TEST_DATABASE_URL, and stops and deletes it all
#                         when the calling script exits.
#
# The cluster is for tests only: fsync, synchronous_commit and full_page_writes are off (a
# crash loses it, which does not matter), and it lives in memory (/dev/shm) when there is
# room, so the suite's many small databases are cheap (each test copies a template database:
# about 10 ms in memory, 200 ms or more on a busy disk). $ILMS_TEST_POSTGRES_DIR chooses the
# parent directory instead.
# Debian's own cluster (/var/lib/postgresql, port 5432) is never touched.

PG_TMP=""
PG_BIN=""

_pg_find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

# Run a PostgreSQL program as the cluster's owner: PostgreSQL refuses to run as root.
_pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop_test_postgres() {
  if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
    if [ -f "$PG_TMP/data/postmaster.pid" ]; then
      _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$PG_TMP"
  fi
  PG_TMP=""
}

# /dev/shm when it is a memory file system with 2 GiB free, else /tmp.
_pg_parent_dir() {
  if [ -n "${ILMS_TEST_POSTGRES_DIR:-}" ]; then
    echo "$ILMS_TEST_POSTGRES_DIR"
    return
  fi
  local free_kb
  free_kb="$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')"
  if [ -n "$free_kb" ] && [ "$free_kb" -ge 2097152 ] && [ -w /dev/shm ]; then
    echo /dev/shm
  else
    echo /tmp
  fi
}

_pg_free_port() {
  python - <<'EOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
EOF
}

start_test_postgres() {
  PG_BIN="$(_pg_find_bin || true)"
  if [ -z "$PG_BIN" ]; then
    apt_install postgresql
    PG_BIN="$(_pg_find_bin)"
  fi
  PG_TMP="$(mktemp -d "$(_pg_parent_dir)/ilms-test-pg.XXXXXX")"
  trap stop_test_postgres EXIT
  chmod 700 "$PG_TMP"
  local password port
  password="$(python -c 'import secrets; print(secrets.token_hex(16))')"
  port="${ILMS_TEST_POSTGRES_PORT:-$(_pg_free_port)}"
  printf '%s\n' "$password" > "$PG_TMP/pwfile"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$PG_TMP"
  fi
  echo "==> starting a test PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port"
  _pg_as_owner "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --pwfile="$PG_TMP/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log" >&2; return 1; }
  cat >>"$PG_TMP/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$PG_TMP'
max_connections = 300
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
checkpoint_timeout = 30min
max_wal_size = 2GB
autovacuum = off
# A test that waits for a lock this long is stuck: fail it instead of hanging the run.
lock_timeout = '30s'
EOF
  if ! _pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 start >/dev/null; then
    cat "$PG_TMP/server.log" >&2
    return 1
  fi
  PGPASSWORD="$password" "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE ilms LOGIN CREATEDB PASSWORD '$password'" \
    -c "CREATE DATABASE ilms OWNER ilms" >/dev/null
  export ILMS_TEST_DATABASE_URL="postgresql+psycopg://ilms:$password@127.0.0.1:$port/ilms"
}
