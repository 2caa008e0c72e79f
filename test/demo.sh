#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine, as root or not: installs what
# is missing, builds and installs crm_fdw, starts the bundled CRM emulator
# and a throwaway PostgreSQL cluster, puts Pipedrive's entities in schema
# "crm", runs a short showcase, and then leaves you in psql when a terminal
# is attached.  Everything it started is stopped and removed on exit.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cleanup() {
	if [ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		as_run_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
	fi
	stop_emulator
	[ -z "${WORKDIR:-}" ] || rm -rf "$WORKDIR"
}
trap cleanup EXIT

ensure_packages
build_and_install
make_workdir

# the emulator's demo credentials: not secrets, but handled like them
CRM_EMULATOR_PIPEDRIVE_API_TOKEN="$(new_token)"
CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN="$(new_token)"
start_emulator

log "starting a throwaway PostgreSQL cluster"
PGDATA_DIR="$WORKDIR/data"
PGPORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_run_user "$PG_BIN/initdb" -D "$PGDATA_DIR" --auth=trust --username=crm \
	--no-instructions >"$WORKDIR/initdb.log" 2>&1
as_run_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORKDIR/postgres.log" -w \
	-o "-c port=$PGPORT -c listen_addresses='' -c unix_socket_directories='$WORKDIR'" \
	start >/dev/null
cp "$REPO/test/demo.sql" "$WORKDIR/demo.sql"
[ "$(id -u)" -ne 0 ] || chown postgres: "$WORKDIR/demo.sql"

psql_demo() {
	CRM_TOKEN="$CRM_EMULATOR_PIPEDRIVE_API_TOKEN" as_run_user \
		"$PG_BIN/psql" -X -h "$WORKDIR" -p "$PGPORT" -U crm -d postgres "$@"
}

log "showcase"
psql_demo -v ON_ERROR_STOP=1 -f "$WORKDIR/demo.sql"

if [ -t 0 ] && [ -t 1 ]; then
	log "you are in psql on the demo database: try \\d crm.* or SELECT * FROM crm.stages; \\q ends the demo"
	psql_demo
fi
