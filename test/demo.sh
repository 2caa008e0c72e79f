#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine, as root or not: installs what
# is missing, builds and installs crm_fdw, starts the bundled CRM emulator
# and a throwaway PostgreSQL cluster, puts Pipedrive's entities in schema
# "crm", amoCRM's in "amo" and SalesMan's in "sm", runs a short showcase, and then leaves you in psql when a terminal
# is attached.  Everything it started is stopped and removed on exit.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

trap stop_all EXIT

prepare_run
# the emulator's data ends today, so "changed this week" finds rows
start_emulator --anchor now

start_cluster
cp "$REPO/test/demo.sql" "$WORKDIR/demo.sql"
[ "$(id -u)" -ne 0 ] || chown postgres: "$WORKDIR/demo.sql"

psql_demo() {
	CRM_TOKEN="$CRM_EMULATOR_PIPEDRIVE_API_TOKEN" CRM_AMO_TOKEN="$CRM_EMULATOR_AMOCRM_TOKEN" \
	CRM_SM_LOGIN="$CRM_EMULATOR_SALESMAN_LOGIN" CRM_SM_KEY="$CRM_EMULATOR_SALESMAN_API_KEY" as_run_user \
		"$PG_BIN/psql" -X -h "$WORKDIR" -p "$PGPORT" -U crm -d postgres "$@"
}

# how another terminal reaches this cluster while the demo runs (any OS
# user: the socket directory is world-readable and the cluster trusts it)
CONNECT="$PG_BIN/psql -h $WORKDIR -p $PGPORT -U crm -d postgres"

log "showcase"
# the showcase prints and goes on: never a pager, whatever the terminal's size
psql_demo -P pager=off -v ON_ERROR_STOP=1 -f "$WORKDIR/demo.sql"

if [ -t 0 ] && [ -t 1 ]; then
	log "a second psql can join while this one runs: $CONNECT"
	log "you are in psql on the demo database: try \\d crm.* or SELECT * FROM crm.stages; \\q ends the demo and removes everything it started"
	psql_demo
else
	log "no terminal attached: the interactive psql was skipped, and the demo's cluster and emulator are gone now"
	log "to be left in psql on the demo database, run ./test/demo.sh from a terminal"
fi
