#!/usr/bin/env bash
# `make bench`: PostgreSQL + the platform (2 workers) + node-oidc-provider on loopback, then
# bench/harness/run.py measures both and writes docs/BENCHMARKS.md (## How to run, ## Side by side).
# Everything started here is stopped on exit. Knobs (environment): BENCH_RUNS (3), BENCH_DURATION (8 s),
# BENCH_WARMUP (2 s), BENCH_CONCURRENCY (32), BENCH_PERSONS (100000), BENCH_LICENSES (1000000),
# BENCH_LOADGEN (python: the pure-Python bench/loadgen.py instead of wrk through bench/wrkgen.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY="$ROOT/.venv/bin/python"
ONENUMBER="$ROOT/.venv/bin/onenumber"
OUT="$ROOT/var/bench"
WORK=$(mktemp -d /tmp/onenumber-bench.XXXXXX)
chmod 755 "$WORK"   # the postgres user must reach its data directory below
mkdir -p "$OUT"

OURS_PID="" PEER_PID=""
cleanup() {
  set +e
  [ -n "$OURS_PID" ] && kill "$OURS_PID" 2>/dev/null && wait "$OURS_PID" 2>/dev/null
  [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null
  bash tools/pg.sh stop "$WORK/pg" >/dev/null 2>&1
  cp -f "$WORK"/*.log "$OUT"/ 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port, never one of the fixed ports of `make test` (PostgreSQL 55433, S3 58333).
free_port() {
  "$PY" -c 'import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    if port not in (55433, 58333):
        print(port); break'
}
wait_http() {  # URL, seconds: bounded readiness wait
  local url=$1 limit=$2 i
  for ((i = 0; i < limit * 4; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.25
  done
  echo "not ready after ${limit}s: $url" >&2
  return 1
}

# The load generator: wrk, driven by bench/wrkgen.py, takes less CPU than the Python bench/loadgen.py (CPU the
# servers it measures share on a small host). Installed here when missing, before anything is measured; if that
# fails the harness uses bench/loadgen.py, and says so.
if [ "${BENCH_LOADGEN:-}" != python ] && ! command -v wrk >/dev/null \
  && ! dpkg-query -W -f='${Status}' wrk 2>/dev/null | grep -q "install ok installed"; then
  echo "[bench] installing wrk (load generator)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
    [ -t 0 ] || SUDO="sudo -n"   # never wait for a password nobody can type
  fi
  apt_wrk() { timeout 300 $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; }
  if ! { apt_wrk || { timeout 300 $SUDO apt-get update -qq && apt_wrk; }; } >"$WORK/apt-wrk.log" 2>&1; then
    echo "[bench] WARNING: could not install wrk (see var/bench/apt-wrk.log): measuring with the Python" \
      "load generator bench/loadgen.py" >&2
  fi
fi
if [ "${BENCH_LOADGEN:-}" = python ]; then
  echo "[bench] load generator: bench/loadgen.py (BENCH_LOADGEN=python)"
elif command -v wrk >/dev/null; then
  echo "[bench] load generator: wrk ($(command -v wrk)) through bench/wrkgen.py"
else
  echo "[bench] wrk not available: load generator bench/loadgen.py (Python)" >&2
fi

PG_PORT=$(free_port); OURS_PORT=$(free_port); PEER_PORT=$(free_port)
echo "[bench] PostgreSQL on 127.0.0.1:$PG_PORT ($WORK/pg)"
bash tools/pg.sh start "$WORK/pg" "$PG_PORT"
"$PY" - "$PG_PORT" <<'EOF'
import sys, psycopg
with psycopg.connect(f"postgresql://postgres@127.0.0.1:{sys.argv[1]}/postgres", autocommit=True) as c:
    for db in ("onenumber", "peer"):
        c.execute(f"CREATE DATABASE {db}")
EOF

export ONENUMBER_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/onenumber"
export ONENUMBER_STORAGE_URL="file://$WORK/blobs"
export ONENUMBER_ISSUER="http://127.0.0.1:$OURS_PORT"
export ONENUMBER_SECRET_KEY="${ONENUMBER_SECRET_KEY:-bench-only-master-key-0123456789abcdef}"
# The per-address abuse limits (core/ratelimit.py) exist to stop exactly what a load generator on one
# loopback address does; they are off here (0), as the peer has none.
export ONENUMBER_RATE_LIMIT_VERIFY_PER_MINUTE=0 ONENUMBER_RATE_LIMIT_STATUS_PER_MINUTE=0
export ONENUMBER_RATE_LIMIT_LOGIN_PER_MINUTE=0

if compgen -G "onenumber/schema_migrations/versions/*.py" >/dev/null; then
  echo "[bench] onenumber db upgrade"
  "$ONENUMBER" db upgrade
else
  echo "[bench] onenumber/schema_migrations/versions is empty: creating tables with Base.metadata.create_all"
  "$PY" -c 'import os, onenumber.models; from core.db import Base, make_engine; Base.metadata.create_all(make_engine(os.environ["ONENUMBER_DATABASE_URL"]))'
fi
echo "[bench] onenumber seed"
if ! "$ONENUMBER" seed >"$WORK/seed.log" 2>&1; then
  # idp and signing commit their seeds first; measure whatever the partial seed allows, and say so
  echo "[bench] WARNING: onenumber seed failed (see var/bench/seed.log): $(tail -n 1 "$WORK/seed.log")" >&2
fi

# What `onenumber serve --workers 2` runs, minus the per-request access log line (about 3 % of a worker
# under load; the peer logs nothing either).
echo "[bench] platform: uvicorn onenumber.app:create_app --factory --workers 2 --no-access-log --port $OURS_PORT"
"$PY" -m uvicorn onenumber.app:create_app --factory --host 127.0.0.1 --port "$OURS_PORT" --workers 2 \
  --no-access-log --no-proxy-headers >"$WORK/ours.log" 2>&1 &
OURS_PID=$!
wait_http "http://127.0.0.1:$OURS_PORT/jwks.json" 60

PEER_ARGS=()
if command -v node >/dev/null; then
  if [ ! -d bench/peer/node_modules/oidc-provider ] || [ ! -d bench/peer/node_modules/pg ]; then
    echo "[bench] npm install --prefix bench/peer"
    timeout 300 npm install --prefix bench/peer --no-audit --no-fund >"$WORK/npm.log" 2>&1 || true
  fi
  echo "[bench] peer: node-oidc-provider on 127.0.0.1:$PEER_PORT (2 workers)"
  PEER_PORT=$PEER_PORT PEER_WORKERS=2 PEER_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/peer" \
    node bench/peer/server.mjs >"$WORK/peer.log" 2>&1 &
  PEER_PID=$!
  if wait_http "http://127.0.0.1:$PEER_PORT/jwks" 60; then
    PEER_ARGS=(--peer "http://127.0.0.1:$PEER_PORT" --peer-pid "$PEER_PID")
  else
    echo "[bench] the peer did not start (see var/bench/peer.log); measuring ours only" >&2
  fi
else
  echo "[bench] node not found: measuring ours only" >&2
fi

timeout 1500 "$PY" -m bench.harness.run \
  --ours "http://127.0.0.1:$OURS_PORT" --ours-pid "$OURS_PID" "${PEER_ARGS[@]}" \
  --database-url "$ONENUMBER_DATABASE_URL" --out "$OUT" \
  --runs "${BENCH_RUNS:-3}" --duration "${BENCH_DURATION:-8}" --warmup "${BENCH_WARMUP:-2}" \
  --concurrency "${BENCH_CONCURRENCY:-32}" \
  --bulk-persons "${BENCH_PERSONS:-100000}" --bulk-licenses "${BENCH_LICENSES:-1000000}" \
  --command-line "make bench   # BENCH_RUNS=${BENCH_RUNS:-3} BENCH_DURATION=${BENCH_DURATION:-8} BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-32}"
echo "[bench] done: docs/BENCHMARKS.md, var/bench/results.json"
