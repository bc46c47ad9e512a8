#!/bin/sh
# bench/hub.sh — how many selected records and incident reports the hub takes per second.
#
#   sh bench/hub.sh            (or `make bench-hub`; `make bench` runs it after the sensor rows)
#
# Environment:
#   BENCH_SECONDS  seconds per wrk run (default 10)
#   BENCH_BATCH    records per POST /api/v1/records (default 100)
#   BENCH_DIR      work directory (default build/bench-hub)
#   SAKIMORI       a sakimori executable to use instead of building build/sakimori
#
# A fresh hub (SQLite, WAL, synchronous=FULL: every acknowledged request is on disk) on
# loopback; wrk (Debian package wrk) posts a fixed batch of real sensor records (from
# `sakimori demo`) as a sensor, and a ransomware incident report as an operator, first with one
# connection (latency of one client), then with 8. Each accepted request is one transaction and
# one audit entry (Merkle leaf + Ed25519-signed tree head). At the end `sakimori audit verify`
# checks the whole log and its time is reported. Figures, not verdicts: not part of `make test`.
set -u
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/.." || exit 1

SECS=${BENCH_SECONDS:-10}
BATCH=${BENCH_BATCH:-100}
B=${BENCH_DIR:-build/bench-hub}
say() { printf '%s\n' "bench-hub: $*" >&2; }
die() { say "$*"; exit 1; }

mkdir -p "$B" || die "cannot create $B"
B=$(cd "$B" && pwd)
if ! command -v wrk >/dev/null 2>&1; then
	say "installing wrk"
	SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
	{ DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q wrk ||
	  { $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q wrk; }; } \
		>"$B/apt.log" 2>&1 || die "cannot install wrk (see $B/apt.log)"
fi
if [ -n "${SAKIMORI:-}" ]; then
	S=$SAKIMORI
else
	make --no-print-directory build/sakimori >"$B/make.log" 2>&1 || die "make failed (see $B/make.log)"
	S=$(pwd)/build/sakimori
fi

# --- input: real sensor records ---------------------------------------------------------------
if [ ! -s "$B/demo/records.jsonl" ]; then
	"$S" demo --dir "$B/demo" --no-hub >"$B/demo.log" 2>&1 || die "sakimori demo failed (see $B/demo.log)"
fi
head -n "$BATCH" "$B/demo/records.jsonl" >"$B/records.body"
[ "$(wc -l <"$B/records.body")" -eq "$BATCH" ] || die "the demo wrote fewer than $BATCH records"
cat >"$B/incident.body" <<'JSON'
{"type":"ransomware","status":"occurred","aware_at":"2026-11-20T09:30:00Z",
 "summary":"file servers encrypted at the control centre",
 "ransomware":{"ransom_note":"README_RESTORE.txt","encrypted_extension":".lockbit",
  "family":"LockBit 3.0","intrusion_vector":"VPN appliance (CVE-2023-4966)"},
 "iocs":{"ipv4":["198.51.100.23"],"domains":["update-check.example"],
  "sha256":["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]}}
JSON

# --- hub --------------------------------------------------------------------------------------
D=$B/hub
rm -rf "$D"
"$S" admin org add bench-power --sector electricity --name "Bench Power Co." --dir "$D" >/dev/null ||
	die "admin org add failed"
SENSOR=$("$S" admin token create --role sensor --label bench-sensor --dir "$D") || die "token failed"
OPER=$("$S" admin token create --role operator --org bench-power --label bench-op --dir "$D") ||
	die "token failed"
PORT=$((20000 + $$ % 20000))
"$S" hub --dir "$D" --listen "127.0.0.1:$PORT" >"$B/hub.log" 2>&1 &
HUB=$!
trap 'kill $HUB 2>/dev/null' EXIT INT TERM
i=0
until curl -fsS "http://127.0.0.1:$PORT/api/v1/whoami" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "hub did not start (see $B/hub.log)"
	sleep 0.1
done

run() { # name path token body ctype connections
	BENCH_BODY=$4 BENCH_PATH=$2 BENCH_TOKEN=$3 BENCH_CTYPE=$5 \
		wrk -t "$(( $6 < 2 ? 1 : 2 ))" -c "$6" -d "${SECS}s" -s bench/wrk_post.lua \
		"http://127.0.0.1:$PORT" >"$B/wrk-$1-$6.txt" 2>&1
	line=$(grep '^wrk: ' "$B/wrk-$1-$6.txt") || die "wrk failed (see $B/wrk-$1-$6.txt)"
	echo "$line"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

{
	echo "| load | connections | requests/s | items/s | p50 ms | p99 ms | non-2xx |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
	for c in 1 8; do
		l=$(run records /api/v1/records "$SENSOR" "$B/records.body" application/x-ndjson $c)
		rps=$(field "$l" rps)
		printf '| records (%s per POST) | %s | %s | %.0f | %s | %s | %s |\n' "$BATCH" $c "$rps" \
			"$(awk -v r="$rps" -v b="$BATCH" 'BEGIN { print r * b }')" "$(field "$l" p50_ms)" "$(field "$l" p99_ms)" "$(field "$l" non2xx)"
		l=$(run incidents /api/v1/incidents "$OPER" "$B/incident.body" application/json $c)
		rps=$(field "$l" rps)
		printf '| incident reports | %s | %s | %s | %s | %s | %s |\n' $c "$rps" "$rps" \
			"$(field "$l" p50_ms)" "$(field "$l" p99_ms)" "$(field "$l" non2xx)"
	done
} | tee "$B/results.md"

kill $HUB; wait $HUB 2>/dev/null
trap - EXIT INT TERM
t0=$(date +%s.%N)
"$S" audit verify --db "$D/hub.db" --key "$D/audit.pub" >"$B/verify.txt" 2>&1 || die "audit verify failed: $(cat "$B/verify.txt")"
t1=$(date +%s.%N)
printf '\n%s (%.2f s)\n' "$(cat "$B/verify.txt")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" | tee -a "$B/results.md"
printf 'store: %s\n' "$(du -h "$D/hub.db" | cut -f1)" | tee -a "$B/results.md"
