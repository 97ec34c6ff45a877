#!/bin/sh
# Create the secret files docker-compose.yml mounts under /run/secrets, with fresh random values:
#
#   deploy/make-secrets.sh [DIR]        # DIR defaults to deploy/secrets; compose reads ONENUMBER_SECRETS_HOST_DIR
#
# Existing files are kept (run it again after adding a secret; delete a file to regenerate it — but see
# docs/DEPLOY.md first: the master key and the database password cannot simply be replaced). Without a
# tls.pem it also makes a self-signed development certificate (deploy/dev-cert.sh); replace it with the
# province's certificate before anyone else connects.
#
# File permissions: each container reads its secrets as its own user (app 10001, PgBouncer 70, HAProxy 99;
# PostgreSQL, MinIO, mc and Redis read theirs as root before dropping privileges). Run as root, this script
# gives each file to its reader with mode 0400; run as another user it makes the files 0644 inside a 0700
# directory, so only that user (and root) can reach them on the host while the containers can read them.
set -eu

dir=${1:-$(dirname "$0")/secrets}
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

rand() { openssl rand -hex "$1"; }   # hex: safe inside URLs and config files without quoting

put() {  # put NAME OWNER_UID VALUE
    if [ -e "$dir/$1" ]; then
        echo "keep    $dir/$1"
        return
    fi
    printf '%s\n' "$3" > "$dir/$1"
    own "$1" "$2"
    echo "created $dir/$1"
}

own() {  # own NAME OWNER_UID
    if [ "$(id -u)" = 0 ]; then
        chown "$2:$2" "$dir/$1"
        chmod 400 "$dir/$1"
    else
        chmod 644 "$dir/$1"
    fi
}

read_or() {  # the existing value of a secret file, else $2
    if [ -e "$dir/$1" ]; then head -n 1 "$dir/$1"; else printf '%s' "$2"; fi
}

db_password=$(read_or postgres_password "$(rand 24)")
minio_user=$(read_or minio_root_user "onenumber-root")
app_key=$(read_or onenumber_s3_access_key "onenumber-app")

put postgres_password 0 "$db_password"
put pgbouncer_userlist 70 "\"onenumber\" \"$db_password\""
# The app's connections go through PgBouncer (transaction pooling); migrations, operator commands and the
# invalidation LISTEN connection need a session of their own, so they connect to PostgreSQL directly.
put onenumber_database_url 10001 "postgresql://onenumber:$db_password@pgbouncer:6432/onenumber"
put onenumber_database_direct_url 10001 "postgresql://onenumber:$db_password@postgres:5432/onenumber"
put onenumber_secret_key 10001 "$(rand 32)"
put minio_root_user 0 "$minio_user"
put minio_root_password 0 "$(rand 24)"
put onenumber_s3_access_key 10001 "$app_key"
put onenumber_s3_secret_key 10001 "$(rand 24)"
redis_password=$(read_or redis_password "$(rand 24)")
put redis_password 0 "$redis_password"
put onenumber_redis_url 10001 "redis://:$redis_password@redis:6379/0"  # the app's shared rate limits

if [ -e "$dir/tls.pem" ]; then
    echo "keep    $dir/tls.pem"
else
    "$(dirname "$0")/dev-cert.sh" "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown 99:99 "$dir/tls.pem"
        chmod 400 "$dir/tls.pem"
    fi
fi
