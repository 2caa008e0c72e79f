#!/usr/bin/env bash
# Shared by test/run_tests.sh and test/demo.sh: installs what is missing,
# builds and installs the extension, and starts the CRM emulator and (for
# the demo) a throwaway PostgreSQL cluster.  Works as root or not: as root
# the database and the emulator run as the postgres OS user, since initdb
# refuses root; otherwise as the calling user, with sudo for apt and
# "make install".

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"
PG_CONFIG="${PG_CONFIG:-/usr/bin/pg_config}"
APT_PACKAGES=(postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR
	libcurl4-openssl-dev libjansson-dev pkg-config make gcc curl python3)

log() { printf '== %s\n' "$*" >&2; }

# The caller's locale must not matter: a cluster made under LANG unset is
# SQL_ASCII, and psql aligns columns by the locale's idea of a character.
# Every run uses a UTF-8 locale that exists on the machine, whatever the
# shell had; ensure_utf8_locale installs one if there is none.
for v in $(env | sed -n 's/^\(LC_[A-Z_]*\|LANG\|LANGUAGE\)=.*/\1/p'); do unset "$v"; done

# Prints the first UTF-8 locale "locale -a" lists, preferring C.UTF-8.
find_utf8_locale() {
	local all
	all=$(locale -a 2>/dev/null || true)
	for l in C.utf8 C.UTF-8 en_US.utf8 en_US.UTF-8; do
		if grep -qx "$l" <<<"$all"; then echo "$l"; return 0; fi
	done
	grep -i -m1 -E '\.utf-?8$' <<<"$all" || return 1
}

ensure_utf8_locale() {
	if ! UTF8_LOCALE=$(find_utf8_locale); then
		log "no UTF-8 locale on this machine: installing one"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends locales >/dev/null
		as_root sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
		as_root locale-gen >/dev/null
		UTF8_LOCALE=$(find_utf8_locale) || { log "could not install a UTF-8 locale"; return 1; }
	fi
	# LANG, not LC_ALL: pg_regress keeps its messages English with LC_MESSAGES
	export LANG="$UTF8_LOCALE"
	export UTF8_LOCALE
}

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		log "this step needs root: run as root, or install sudo (it ran: $*)"
		return 1
	fi
}

# The account that runs the database and the emulator.
if [ "$(id -u)" -eq 0 ]; then RUN_USER=postgres; else RUN_USER="$(id -un)"; fi

# A prefix that runs a command as the run user; backgrounding "${RUN_AS[@]}"
# cmd & keeps $! the command's own process (or runuser's, which passes
# signals on), never a subshell that would outlive a kill.
if [ "$(id -u)" -eq 0 ]; then RUN_AS=(runuser -u postgres --); else RUN_AS=(); fi

as_run_user() {
	"${RUN_AS[@]}" "$@"
}

ensure_packages() {
	local missing=()
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "installing ${missing[*]}"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends "${missing[@]}" >/dev/null
	fi
}

build_and_install() {
	log "building crm_fdw (warnings are errors)"
	make -C "$REPO" -s clean PG_CONFIG="$PG_CONFIG" >/dev/null
	make -C "$REPO" -s PG_CONFIG="$PG_CONFIG"
	log "installing crm_fdw"
	as_root make -C "$REPO" -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

# A scratch directory the run user can write; removed by cleanup.
make_workdir() {
	WORKDIR="$(mktemp -d /tmp/crm_fdw.XXXXXX)"
	chmod 755 "$WORKDIR"
	if [ "$(id -u)" -eq 0 ]; then chown postgres: "$WORKDIR"; fi
}

# start_emulator [extra args...]: sets EMULATOR_PID and CRM_EMULATOR_URL.
start_emulator() {
	# a copy the run user can read, wherever the checkout lives
	cp -r "$REPO/test/emulator" "$WORKDIR/emulator"
	[ "$(id -u)" -ne 0 ] || chown -R postgres: "$WORKDIR/emulator"
	# tokens travel in the exported environment, never on a command line
	export CRM_EMULATOR_PIPEDRIVE_API_TOKEN CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN \
		CRM_EMULATOR_AMOCRM_TOKEN CRM_EMULATOR_SALESMAN_API_KEY CRM_EMULATOR_SALESMAN_LOGIN
	"${RUN_AS[@]}" /usr/bin/python3 "$WORKDIR/emulator/crm_emulator.py" --port 0 \
		--port-file "$WORKDIR/emulator.port" --quiet "$@" \
		>"$WORKDIR/emulator.log" 2>&1 &
	EMULATOR_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$WORKDIR/emulator.port" ] && break
		kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$WORKDIR/emulator.log" >&2; return 1; }
		sleep 0.1
	done
	[ -s "$WORKDIR/emulator.port" ] || { log "the emulator did not start"; return 1; }
	CRM_EMULATOR_URL="http://127.0.0.1:$(cat "$WORKDIR/emulator.port")"
	export CRM_EMULATOR_URL
	log "emulator at $CRM_EMULATOR_URL"
}

stop_emulator() {
	if [ -n "${EMULATOR_PID:-}" ]; then
		kill "$EMULATOR_PID" 2>/dev/null || true
		wait "$EMULATOR_PID" 2>/dev/null || true
		EMULATOR_PID=
	fi
}

# Everything a run needs before it starts servers: packages, a build with
# warnings as errors, the installed extension, a scratch directory, and
# fresh random credentials for the emulator (not secrets, handled as such).
prepare_run() {
	ensure_packages
	ensure_utf8_locale
	build_and_install
	make_workdir
	CRM_EMULATOR_PIPEDRIVE_API_TOKEN="$(new_token)"
	CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN="$(new_token)"
	CRM_EMULATOR_AMOCRM_TOKEN="$(new_token)"
	CRM_EMULATOR_SALESMAN_API_KEY="$(new_token)"
	CRM_EMULATOR_SALESMAN_LOGIN="admin@example.com"
	export CRM_EMULATOR_PIPEDRIVE_API_TOKEN CRM_EMULATOR_PIPEDRIVE_OAUTH_TOKEN \
		CRM_EMULATOR_AMOCRM_TOKEN CRM_EMULATOR_SALESMAN_API_KEY CRM_EMULATOR_SALESMAN_LOGIN
}

# start_cluster: a throwaway cluster in $WORKDIR/data on a free port, its
# socket in $WORKDIR; sets PGDATA_DIR and PGPORT.  (The test suite leaves
# this to pg_regress --temp-instance.)
start_cluster() {
	log "starting a throwaway PostgreSQL cluster"
	PGDATA_DIR="$WORKDIR/data"
	PGPORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
	as_run_user "$PG_BIN/initdb" -D "$PGDATA_DIR" --auth=trust --username=crm \
		--encoding=UTF8 --locale="$UTF8_LOCALE" --no-instructions >"$WORKDIR/initdb.log" 2>&1
	as_run_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$WORKDIR/postgres.log" -w \
		-o "-c port=$PGPORT -c listen_addresses='' -c unix_socket_directories='$WORKDIR'" \
		start >/dev/null
}

# stops the cluster and the emulator, removes $WORKDIR: an EXIT trap
stop_all() {
	if [ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		as_run_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
	fi
	stop_emulator
	[ -z "${WORKDIR:-}" ] || rm -rf "$WORKDIR"
}

# A random token per run: no test expectation can contain it.
new_token() {
	head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 24
}
