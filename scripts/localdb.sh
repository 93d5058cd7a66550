#!/usr/bin/env bash
# The project-local PostgreSQL/PostGIS cluster under var/pg.
#   localdb.sh start   initdb on first use, then start (idempotent)
#   localdb.sh stop    stop; the data stays in var/pg/data
#   localdb.sh status  say whether it runs, and where
#   localdb.sh url     print the DATABASE_URL for it
#   localdb.sh psql    open psql on it
# It never touches a system-wide cluster. PostgreSQL refuses to run as root,
# so as root the cluster belongs to the 'postgres' system user.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGHOME="$ROOT/var/pg"
DATA="$PGHOME/data"
SOCK="$PGHOME/run"
LOGFILE="$PGHOME/postgres.log"
DBNAME=geoportal
DBUSER=geoportal

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The newest installed PostgreSQL that has PostGIS.
pg_bindir() {
    local v
    for v in $(ls /usr/lib/postgresql 2>/dev/null | sort -rn); do
        if [ -x "/usr/lib/postgresql/$v/bin/pg_ctl" ] && ls /usr/share/postgresql/"$v"/extension/postgis.control >/dev/null 2>&1; then
            echo "/usr/lib/postgresql/$v/bin"
            return 0
        fi
    done
    die "no PostgreSQL with PostGIS found under /usr/lib/postgresql (apt-get install postgresql postgresql-postgis)"
}

if [ "$(id -u)" = 0 ]; then
    OWNER=postgres
    id "$OWNER" >/dev/null 2>&1 || die "user 'postgres' is missing (it comes with the postgresql package)"
    as_owner() { runuser -u "$OWNER" -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

# The cluster's owner must reach var/pg through every parent folder. A clone
# under a private folder (mode 700) would lock it out: grant it passage (x
# only, by ACL) on exactly the folders that need it.
grant_passage() {
    [ "$(id -u)" = 0 ] || return 0
    local d="$PGHOME"
    while [ "$d" != "/" ]; do
        d=$(dirname "$d")
        if ! runuser -u "$OWNER" -- test -x "$d"; then
            command -v setfacl >/dev/null || die "user $OWNER cannot enter $d; install 'acl' or run from a folder it can reach"
            setfacl -m "u:$OWNER:x" "$d"
        fi
    done
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

port_in_use() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(0)
sys.exit(1)
PY
}

running() {
    [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_super() {
    as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$(cat "$PGHOME/port")" -d postgres "$@"
}

init_cluster() {
    mkdir -p "$PGHOME"
    grant_passage
    chown "$OWNER" "$PGHOME"
    chmod 700 "$PGHOME"
    as_owner mkdir -p "$SOCK"
    echo "initialising the local PostgreSQL cluster in $DATA" >&2
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    # A password for TCP clients on 127.0.0.1 (the socket needs none; only
    # root and the owner may open var/pg/run).
    (umask 077; python3 -c 'import secrets; print(secrets.token_hex(16))' > "$PGHOME/password")
    chown "$OWNER" "$PGHOME/password"
}

start() {
    [ -d "$DATA" ] || { BIN=$(pg_bindir); init_cluster; }
    grant_passage
    if running; then
        return 0
    fi
    local port
    port=$(cat "$PGHOME/port" 2>/dev/null || true)
    if [ -z "$port" ] || port_in_use "$port"; then
        port=$(free_port)
    fi
    echo "$port" | as_owner tee "$PGHOME/port" >/dev/null
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
        -o "-p $port -k $SOCK -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 -c fsync=${PG_FSYNC:-on} -c shared_buffers=256MB -c max_connections=100" \
        start >/dev/null || { tail -20 "$LOGFILE" >&2; die "PostgreSQL did not start (log: $LOGFILE)"; }
    # Role and database on first start (idempotent).
    if ! psql_super -tAc "select 1 from pg_roles where rolname='$DBUSER'" | grep -q 1; then
        # Superuser inside this private cluster: the test runner creates
        # test databases with the postgis extension.
        psql_super -c "create role $DBUSER login superuser password '$(cat "$PGHOME/password")'"
    fi
    if ! psql_super -tAc "select 1 from pg_database where datname='$DBNAME'" | grep -q 1; then
        psql_super -c "create database $DBNAME owner $DBUSER"
    fi
    as_owner "$BIN/psql" -X -q -h "$SOCK" -p "$port" -U "$DBUSER" -d "$DBNAME" \
        -c "create extension if not exists postgis; create extension if not exists pg_trgm; create extension if not exists unaccent" >/dev/null
    echo "local PostgreSQL running: socket $SOCK, 127.0.0.1:$port, database $DBNAME" >&2
}

BIN=$(pg_bindir)
case "${1:-}" in
    start) start ;;
    stop)
        if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; echo "local PostgreSQL stopped; data kept in $DATA" >&2; fi ;;
    status)
        if running; then echo "running: socket $SOCK, 127.0.0.1:$(cat "$PGHOME/port")"; else echo "not running"; exit 3; fi ;;
    url)
        # Through the socket: percent-encoded path as host.
        python3 -c 'import sys, urllib.parse as u; print("postgis://%s@%s:%s/%s" % (sys.argv[1], u.quote(sys.argv[2], safe=""), sys.argv[3], sys.argv[4]))' \
            "$DBUSER" "$SOCK" "$(cat "$PGHOME/port")" "$DBNAME" ;;
    tcp-url)
        echo "postgis://$DBUSER:$(cat "$PGHOME/password")@127.0.0.1:$(cat "$PGHOME/port")/$DBNAME" ;;
    psql)
        shift; as_owner "$BIN/psql" -h "$SOCK" -p "$(cat "$PGHOME/port")" -U "$DBUSER" -d "$DBNAME" "$@" ;;
    *) echo "usage: $0 start|stop|status|url|tcp-url|psql" >&2; exit 2 ;;
esac
