#!/bin/sh
# A self-signed TLS certificate for development and for trying the compose stack; never for production
# (a province uses a certificate from its CA, see docs/DEPLOY.md "Secrets").
#
#   deploy/dev-cert.sh [DIR] [NAME ...]
#
# Writes DIR/tls.key (EC P-256), DIR/tls.crt and DIR/tls.pem (certificate followed by key, the form HAProxy
# reads) for the names given (default: localhost and onenumber.localhost), always with 127.0.0.1 and ::1
# as IP addresses. DIR defaults to deploy/secrets. Valid for 30 days; run again to replace it.
set -eu

dir=${1:-$(dirname "$0")/secrets}
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- localhost onenumber.localhost

san=""
for name in "$@"; do
    san="${san:+$san,}DNS:$name"
done
san="$san,IP:127.0.0.1,IP:::1"

mkdir -p "$dir"
chmod 700 "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 -days 30 \
    -subj "/O=OneNumber development/CN=$1" \
    -addext "subjectAltName=$san" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null

cat "$tmp/tls.crt" "$tmp/tls.key" > "$tmp/tls.pem"
# Readable by the balancer's user inside its container (HAProxy runs as uid 99); the directory (0700) keeps
# other users of this host out. deploy/make-secrets.sh explains the choice.
chmod 644 "$tmp/tls.crt" "$tmp/tls.pem"
chmod 600 "$tmp/tls.key"
mv "$tmp/tls.key" "$tmp/tls.crt" "$tmp/tls.pem" "$dir/"
echo "dev-cert: $dir/tls.pem for $san, valid 30 days (self-signed: clients need --cacert $dir/tls.crt or -k)"
