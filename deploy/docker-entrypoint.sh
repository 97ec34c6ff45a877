#!/bin/sh
# Entry point of the OneNumber image: turns every ONENUMBER_<NAME>_FILE variable into ONENUMBER_<NAME> (the
# file's content, trailing newlines removed), then runs the command. Secrets stay files mounted under
# /run/secrets (docker compose `secrets:`, Kubernetes secret volumes) instead of values in the container's
# configuration (`docker inspect`). The platform's settings (core/settings.py) read *_FILE themselves too;
# this also covers variables that are not settings (ONENUMBER_NEW_KEY_FILE of the master-key runbook).
set -eu

for name in $(env | sed -n 's/^\(ONENUMBER_[A-Z0-9_]*\)_FILE=.*/\1/p'); do
    file=$(printenv "${name}_FILE")
    if printenv "$name" >/dev/null 2>&1; then
        echo "onenumber-entrypoint: both $name and ${name}_FILE are set; set one of them" >&2
        exit 64
    fi
    if [ ! -r "$file" ]; then
        echo "onenumber-entrypoint: ${name}_FILE names $file, which this user ($(id -u)) cannot read" >&2
        exit 66
    fi
    value=$(cat "$file")
    if [ -z "$value" ]; then
        echo "onenumber-entrypoint: $file (${name}_FILE) is empty" >&2
        exit 65
    fi
    export "$name=$value"
    unset "${name}_FILE"
done

exec "$@"
