#!/usr/bin/env bash
# `make test`: lint, type-check, start throwaway PostgreSQL + SeaweedFS S3 on loopback, run the suite on
# SQLite and on PostgreSQL (both with local and S3 storage tests), check migrations, stop everything.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
# The suite sets its own configuration: a shell that ran the platform (ONENUMBER_SECRET_KEY, a database
# URL, rate limits ...) must not leak into it.
for var in $(compgen -e | grep '^ONENUMBER_' || true); do unset "$var"; done
bash tools/system-deps.sh test || exit 1

work=$(mktemp -d /tmp/onenumber-test.XXXXXX)
chmod 755 "$work"
PG_PORT=${PG_PORT:-55433}
S3_PORT=${S3_PORT:-58333}
cleanup() {
  bash tools/s3.sh stop "$work/s3" >/dev/null 2>&1 || true
  bash tools/pg.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

status=0
step() { echo; echo "=== $*"; }

step "ruff"; ruff check . || status=1
step "mypy"; mypy || status=1
step "docker-compose config (with placeholder secrets)"
POSTGRES_PASSWORD=ci MINIO_ROOT_USER=ci MINIO_ROOT_PASSWORD=ci-secret-value ONENUMBER_SECRET_KEY=ci-master-key-0123456789abcdef0123 \
  ONENUMBER_ISSUER=https://onenumber.example docker-compose -f docker-compose.yml config -q || status=1

step "start PostgreSQL on 127.0.0.1:$PG_PORT and SeaweedFS S3 on 127.0.0.1:$S3_PORT"
bash tools/pg.sh start "$work/pg" "$PG_PORT" || exit 1
bash tools/s3.sh start "$work/s3" "$S3_PORT" || exit 1
PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export ONENUMBER_TEST_S3_ENDPOINT="127.0.0.1:$S3_PORT"
export ONENUMBER_TEST_S3_ACCESS_KEY=onenumber ONENUMBER_TEST_S3_SECRET_KEY=onenumber-dev-secret
rm -rf test-artifacts && mkdir -p test-artifacts

# The SQLite and PostgreSQL runs go side by side (each test has its own database and bucket); tests that do not
# depend on the engine (marker "once", tests/conftest.py) run in the SQLite run only.
step "pytest on SQLite and on PostgreSQL, in parallel"
( ONENUMBER_TEST_DATABASE_URL= python -m pytest -p no:cacheprovider --junitxml=test-artifacts/sqlite.xml \
    --ignore=tests/browser "$@" > test-artifacts/sqlite.log 2>&1; echo $? > test-artifacts/sqlite.rc ) &
( ONENUMBER_TEST_DATABASE_URL="$PG_URL" python -m pytest -p no:cacheprovider --junitxml=test-artifacts/postgresql.xml \
    --ignore=tests/browser -m "not sqlite_only and not once" "$@" > test-artifacts/postgresql.log 2>&1; \
  echo $? > test-artifacts/postgresql.rc ) &
wait
for run in sqlite postgresql; do
  step "pytest on $run"
  cat "test-artifacts/$run.log"
  [ "$(cat "test-artifacts/$run.rc")" = 0 ] || status=1
done

# Playwright's sync API keeps an event loop on the main thread: the browser journeys get their own run.
step "browser journeys (Playwright + Debian Chromium)"
python -m pytest -p no:cacheprovider --junitxml=test-artifacts/browser.xml tests/browser "$@" || status=1

step "summary"
[ $status = 0 ] && echo "make test: all green" || echo "make test: FAILED"
python tools/summary.py test-artifacts/sqlite.xml test-artifacts/postgresql.xml test-artifacts/browser.xml || true
exit $status
