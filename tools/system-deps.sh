#!/usr/bin/env bash
# Install the Debian packages a purpose needs, only when something is missing.
#   tools/system-deps.sh run   - what `make run` needs (a CJK TrueType font for PDFs)
#   tools/system-deps.sh test  - what `make test` needs (PostgreSQL, Redis, poppler, qpdf, SoftHSM2, Chromium, ...)
set -euo pipefail
purpose=${1:-run}
run_pkgs=(fonts-droid-fallback)
test_pkgs=(postgresql redis-server haproxy poppler-utils qpdf softhsm2 opensc libnss3-tools chromium docker-compose openssl curl)
pkgs=("${run_pkgs[@]}")
[ "$purpose" = test ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
