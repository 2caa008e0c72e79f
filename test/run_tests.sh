#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine, as root or not:
# installs build dependencies, builds with warnings as errors, installs,
# starts the CRM emulator and a throwaway cluster, runs the emulator's own
# tests and the pg_regress suite, checks that no secret leaked into any
# output or log, stops what it started, and ends with "N passed, N failed".

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'ok      %s\n' "$1"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAILED  %s\n' "$1"; }

cleanup() {
	stop_emulator
	if [ -n "${WORKDIR:-}" ] && [ -z "${KEEP_WORKDIR:-}" ]; then
		rm -rf "$WORKDIR"
	fi
}
trap cleanup EXIT

prepare_run

# CRM_TESTS="setup writes" runs just those pg_regress tests (setup first),
# for a quicker loop while working on one; the full suite is the default.
if [ -z "${CRM_TESTS:-}" ]; then

# 1. the emulator's own contract tests
log "emulator self-tests"
cp -r "$REPO/test/emulator" "$WORKDIR/emulator-tests"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$WORKDIR/emulator-tests"
if (cd "$WORKDIR/emulator-tests" &&
	as_run_user /usr/bin/python3 -m unittest discover -q -p 'test_*.py' >"$WORKDIR/emulator-tests.log" 2>&1); then
	pass "emulator contract ($(grep -o 'Ran [0-9]* tests' "$WORKDIR/emulator-tests.log"))"
else
	cat "$WORKDIR/emulator-tests.log"
	fail "emulator contract"
fi

# 1b. the provider's declared fields against the vendor's spec
if /usr/bin/python3 "$REPO/test/check_pipedrive_fields.py" >"$WORKDIR/fields.log" 2>&1; then
	pass "Pipedrive columns are in the spec ($(tail -1 "$WORKDIR/fields.log"))"
else
	cat "$WORKDIR/fields.log"
	fail "Pipedrive columns are in the spec"
fi

fi

# 2. pg_regress against the emulator
start_emulator
mkdir -p "$WORKDIR/regress"
cp -r "$REPO/sql" "$REPO/expected" "$WORKDIR/regress/"
[ "$(id -u)" -ne 0 ] || chown -R postgres: "$WORKDIR/regress"
TESTS=${CRM_TESTS:-$(make -s -C "$REPO" --no-print-directory print-regress PG_CONFIG="$PG_CONFIG")}
PG_REGRESS="$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress"
log "pg_regress: $TESTS"
set +e
export CRM_TEST_TOKEN="$CRM_EMULATOR_PIPEDRIVE_API_TOKEN"
export CRM_TEST_OAUTH_TOKEN="$CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN"
export CRM_TEST_AMOCRM_TOKEN="$CRM_EMULATOR_AMOCRM_TOKEN"
export CRM_TEST_SALESMAN_LOGIN="$CRM_EMULATOR_SALESMAN_LOGIN"
export CRM_TEST_SALESMAN_API_KEY="$CRM_EMULATOR_SALESMAN_API_KEY"
as_run_user "$PG_REGRESS" \
	--temp-instance="$WORKDIR/regress/tmp_check" \
	--inputdir="$WORKDIR/regress" --outputdir="$WORKDIR/regress" \
	--bindir="$PG_BIN" --dbname=contrib_regression --encoding=UTF8 \
	--temp-config="$REPO/test/regress.conf" \
	$TESTS >"$WORKDIR/regress/run.log" 2>&1
regress_rc=$?
set -e
cat "$WORKDIR/regress/run.log"
regress_failed_before=$FAILED
regress_counted=$PASSED
while read -r line; do
	name=$(sed -E 's/^(test|    )? *([a-z_0-9]+) +\.\.\. .*/\2/' <<<"$line")
	case "$line" in
		*"... ok"*) pass "regress $name" ;;
		*"... FAILED"* | *"... failed"*) fail "regress $name" ;;
	esac
done < <(grep -E '\.\.\. (ok|FAILED|failed)' "$WORKDIR/regress/run.log")
# pg_regress failing without naming a failed test (no cluster, a missing file)
if [ "$regress_rc" -ne 0 ] && [ "$FAILED" -eq "$regress_failed_before" ]; then
	fail "pg_regress exited with status $regress_rc"
fi
if [ "$PASSED" -eq "$regress_counted" ] && [ "$FAILED" -eq "$regress_failed_before" ]; then
	fail "pg_regress ran no test"
fi
if [ -f "$WORKDIR/regress/regression.diffs" ] && [ -s "$WORKDIR/regress/regression.diffs" ]; then
	head -c "${CRM_DIFF_BYTES:-20000}" "$WORKDIR/regress/regression.diffs"
fi

# 3. no secret anywhere: test outputs, the server log, the emulator log
leaks=$(grep -rlF -e "$CRM_EMULATOR_PIPEDRIVE_API_TOKEN" -e "$CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN" \
	-e "$CRM_EMULATOR_AMOCRM_TOKEN" -e "$CRM_EMULATOR_SALESMAN_API_KEY" \
	"$WORKDIR/regress/results" "$WORKDIR/regress/tmp_check/log" "$WORKDIR/emulator.log" \
	"$WORKDIR/regress/run.log" 2>/dev/null || true)
if [ -z "$leaks" ]; then
	pass "no token in any output or log"
else
	fail "a token leaked into: $leaks"
fi

stop_emulator
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
