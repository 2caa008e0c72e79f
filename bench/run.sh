#!/usr/bin/env bash
# crm_fdw benchmarks, as ratios against a baseline measured in the same run
# on the same emulator, so that the machine's speed cancels out:
#
#  1. scan throughput: SELECT over every deal through crm_fdw, against a
#     keep-alive Python client that fetches and decodes the same pages;
#  2. flat memory: the backend's peak memory after scanning N deals and
#     after scanning 5 N deals;
#  3. pushdown: requests for 200 deals by id, against a full listing.
#
# Usage: bench/run.sh [deals]   (default 50000)

. "$(dirname "${BASH_SOURCE[0]}")/../test/lib.sh"

DEALS="${1:-50000}"
REPEAT=3

trap stop_all EXIT

prepare_run
start_emulator --scale "deals=$((DEALS * 5)),activities=10"

start_cluster
cp "$REPO/bench/baseline_fetch.py" "$WORKDIR/"
[ "$(id -u)" -ne 0 ] || chown postgres: "$WORKDIR/baseline_fetch.py"

psql_bench() {
	CRM_TOKEN="$CRM_EMULATOR_PIPEDRIVE_API_TOKEN" as_run_user \
		"$PG_BIN/psql" -X -q -At -h "$WORKDIR" -p "$PGPORT" -U crm -d postgres "$@"
}

psql_bench -v url="$CRM_EMULATOR_URL" <<'SQL'
\getenv token CRM_TOKEN
CREATE EXTENSION crm_fdw;
CREATE SERVER pd FOREIGN DATA WRAPPER crm_fdw OPTIONS (provider 'pipedrive', url :'url');
CREATE USER MAPPING FOR CURRENT_USER SERVER pd OPTIONS (api_token :'token');
IMPORT FOREIGN SCHEMA pipedrive LIMIT TO (deals) FROM SERVER pd INTO public;
SQL

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# 1. throughput: the first N deals, every column converted
fdw_times=()
base_times=()
for _ in $(seq 1 $REPEAT); do
	fdw_times+=("$(psql_bench -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM deals LIMIT $DEALS" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"] / 1000)')")
	base_times+=("$(CRM_BENCH_TOKEN="$CRM_EMULATOR_PIPEDRIVE_API_TOKEN" as_run_user /usr/bin/python3 \
		"$WORKDIR/baseline_fetch.py" "$CRM_EMULATOR_URL" deals 500 | awk '{print $2 / 5}')")
done
fdw=$(printf '%s\n' "${fdw_times[@]}" | median)
base=$(printf '%s\n' "${base_times[@]}" | median)
echo "scan of $DEALS deals: crm_fdw ${fdw}s, baseline client ${base}s (its per-$DEALS share of a $((DEALS * 5))-deal fetch)"
awk -v f="$fdw" -v b="$base" 'BEGIN { printf "ratio crm_fdw / baseline: %.2f\n", f / b }'

# 2. memory: peak RSS of a fresh backend after N deals and after 5 N
peak_kb() {
	psql_bench <<SQL | tail -1
SELECT count(*) FROM (SELECT * FROM deals LIMIT $1) d;
SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM 'VmHWM:\s*(\d+)');
SQL
}
small=$(peak_kb "$DEALS")
large=$(peak_kb "$((DEALS * 5))")
echo "backend peak memory: ${small} kB after $DEALS deals, ${large} kB after $((DEALS * 5))"
awk -v s="$small" -v l="$large" 'BEGIN { printf "ratio peak(5N) / peak(N): %.2f (flat memory: close to 1)\n", l / s }'

# 3. pushdown: 200 deals by id
psql_bench -c "SELECT crm_fdw_stats_reset()" \
	-c "SELECT count(*) FROM deals WHERE id = ANY (ARRAY(SELECT generate_series(1, 400, 2)))" \
	-c "SELECT requests FROM crm_fdw_stats()" | tail -1 | sed 's/^/requests for 200 deals by id: /'
echo "requests for a full listing: $(( (DEALS * 5 + 499) / 500 ))"
