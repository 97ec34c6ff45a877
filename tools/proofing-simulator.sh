#!/usr/bin/env bash
# Start the proofing simulator (idp/proofing/simulator.py) in the background for `make run`; print the
# ONENUMBER_PROOFING_* settings to export. Usage: tools/proofing-simulator.sh PYTHON PORT
set -euo pipefail
PY=${1:-.venv/bin/python}
PORT=${2:-8700}
mkdir -p var
"$PY" -m idp.proofing.simulator --port "$PORT" --data tools/proofing-registry.json --sms-file var/sms.log \
  >var/proofing-simulator.log 2>&1 &
echo $! >var/proofing-simulator.pid
for _ in $(seq 50); do
  if "$PY" -c "import httpx,sys; sys.exit(httpx.get('http://127.0.0.1:$PORT/healthz').status_code != 200)" 2>/dev/null; then
    exit 0
  fi
  sleep 0.2
done
echo "proofing simulator did not start; see var/proofing-simulator.log" >&2
exit 1
