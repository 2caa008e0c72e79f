#!/usr/bin/env bash
# The seed's SalesMan scenario against a real SalesMan server, by hand:
#
#   SALESMAN_LOGIN=admin@example.com SALESMAN_API_KEY=... \
#     ./test/salesman_live_check.sh http://127.0.0.1:8089 [timezone]
#
# Builds and installs crm_fdw, starts a throwaway cluster, and runs
# test/salesman_live_check.sql against the server at the URL (its account
# zone defaults to Europe/Moscow, the open-source installer's): it reads
# every entity, lists a client's history for a date range, adds one record
# with RETURNING and a list of records, reads one by cid, deletes one, and
# moves a deal to another stage, each request shown as it goes.  It writes
# to that server: point it only at a test install (../shared/tools/
# salesman_live.sh makes one on loopback).  Ends with "live check passed".

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

URL=${1:?usage: SALESMAN_LOGIN=... SALESMAN_API_KEY=... $0 URL [timezone]}
ZONE=${2:-Europe/Moscow}
: "${SALESMAN_LOGIN:?set SALESMAN_LOGIN to a user's login}"
: "${SALESMAN_API_KEY:?set SALESMAN_API_KEY to the account's API key}"

trap stop_all EXIT
prepare_run
start_cluster
cp "$REPO/test/salesman_live_check.sql" "$WORKDIR/live.sql"
[ "$(id -u)" -ne 0 ] || chown postgres: "$WORKDIR/live.sql"

log "the scenario against $URL"
as_run_user env SM_URL="$URL" SM_ZONE="$ZONE" SM_LOGIN="$SALESMAN_LOGIN" SM_KEY="$SALESMAN_API_KEY" \
	"$PG_BIN/psql" -X -h "$WORKDIR" -p "$PGPORT" -U crm -d postgres \
	-P pager=off -v ON_ERROR_STOP=1 -f "$WORKDIR/live.sql" 2>&1 |
	sed "s|$SALESMAN_API_KEY|***|g"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
	echo "live check passed"
else
	echo "live check FAILED"
	exit 1
fi
