#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine, as root or not: installs what
# is missing, builds and installs crm_fdw, starts the bundled CRM emulator
# and a throwaway PostgreSQL cluster, puts Pipedrive's entities in schema
# "crm", runs a short showcase, and then leaves you in psql when a terminal
# is attached.  Everything it started is stopped and removed on exit.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap stop_all EXIT

prepare_run
start_emulator

start_cluster
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
