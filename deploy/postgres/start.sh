#!/bin/sh
# Start a throwaway cluster in $PGDATA (created on first start) whose superuser `postgres`
# gets the password in $POSTGRES_PASSWORD_FILE. Listens on 127.0.0.1 only: in a pod, only the
# pod's own containers (the workbench) reach it.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE must name the superuser password file}"
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile="$(mktemp)"
    cat "$POSTGRES_PASSWORD_FILE" >"$pwfile"
    chown postgres "$pwfile"
    runuser -u postgres -- initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
fi
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses=127.0.0.1 -c port=5432 \
    -c unix_socket_directories=/run/postgresql -c max_connections=100 -c fsync=off
