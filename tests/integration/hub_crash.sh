#!/bin/sh
# hub_crash.sh — an acknowledged write survives SIGKILL, and the audit log shows tampering (issue 5):
#   - two clients stream writes into a running hub: a sensor POSTing batches of records, an
#     operator POSTing incident reports; every id the hub acknowledged (2xx) is written down;
#   - the hub is killed with SIGKILL in the middle of it, and started again on the same
#     directory: every acknowledged record and report is there, and `sakimori audit verify`
#     passes on the stored log;
#   - then an attacker with file access drops the append-only trigger and changes one byte of
#     one stored audit entry: `sakimori audit verify` fails and names that entry, and the hub
#     refuses to start on that log.
# Environment: SAKIMORI, WORK. Needs curl, jq and sqlite3. Exit 0 pass, 1 fail, 77 skip.
TEST=hub_crash
. "$(dirname "$0")/lib/prelude.sh"
[ -x "$S" ] || fail "no executable at $S"
for tool in curl jq sqlite3; do
	command -v $tool >/dev/null 2>&1 || { echo "$tool is not installed"; exit 77; }
done

HUB_PID=
SEN_PID=
OPS_PID=
cleanup() {
	touch stop
	for p in $SEN_PID $OPS_PID $HUB_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
trap cleanup EXIT

. "$LIB/hub.sh"

# post TOKEN PATH FILE OUT: prints the status (000 when the hub is gone).
post() {
	curl -s --max-time 10 -o "$4" -w '%{http_code}' -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' --data-binary @"$3" "$BASE$2" || true
}

"$S" admin org add org-a --sector electricity --name "A Electric Power" --dir hub >/dev/null 2>admin.err ||
	fail "admin org add: $(cat admin.err)"
SEN=$("$S" admin token create --dir hub --role sensor --label sensor-1 2>>admin.err) || fail "token: $(cat admin.err)"
OPA=$("$S" admin token create --dir hub --role operator --org org-a --label org-a-soc 2>>admin.err) ||
	fail "token: $(cat admin.err)"
COM=$("$S" admin token create --dir hub --role commission --label commission-1 2>>admin.err) ||
	fail "token: $(cat admin.err)"
start_hub hub

# 25 records per batch, as a sensor writes them
i=0
: >batch.jsonl
while [ $i -lt 25 ]; do
	printf '{"ts_first":"2026-10-01T00:00:%02d.000000Z","ts_last":"2026-10-01T00:00:%02d.500000Z","selectors":["crash"],"approvals":["T-2026-0031"],"channel":"transit","direction":"foreign-foreign","proto":"udp","src_ip":"198.51.100.%d","src_port":%d,"dst_ip":"203.0.113.9","dst_port":53,"packets":1,"bytes":80}\n' \
		$((i % 60)) $((i % 60)) $((i + 1)) $((40000 + i)) >>batch.jsonl
	i=$((i + 1))
done
aware=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)

: >acked.records
: >acked.incidents
(
	while [ ! -e stop ]; do
		code=$(post "$SEN" /api/v1/records batch.jsonl sen.resp)
		case $code in
		2??) jq -r '"\(.first_id) \(.last_id)"' sen.resp >>acked.records ;;
		000) sleep 0.02 ;;
		esac
	done
) &
SEN_PID=$!
(
	n=0
	while [ ! -e stop ]; do
		n=$((n + 1))
		printf '{"type":"other","status":"suspected","aware_at":"%s","summary":"crash test report %d"}' \
			"$aware" $n >inc.json
		code=$(post "$OPA" /api/v1/incidents inc.json ops.resp)
		case $code in
		2??) jq -r .id ops.resp >>acked.incidents ;;
		000) sleep 0.02 ;;
		esac
	done
) &
OPS_PID=$!

# let both streams get going, then kill the hub in the middle of them
i=0
while [ $i -lt 200 ]; do
	[ "$(wc -l <acked.records)" -ge 10 ] && [ "$(wc -l <acked.incidents)" -ge 10 ] && break
	sleep 0.05
	i=$((i + 1))
done
[ $i -lt 200 ] || fail "the writers did not get going: $(head -c 200 sen.resp) $(head -c 200 ops.resp)"
sleep 0.3
kill -KILL "$HUB_PID"
wait "$HUB_PID" 2>/dev/null
HUB_PID=
sleep 0.2           # the writers see the hub gone (their last requests fail, unacknowledged)
touch stop
wait "$SEN_PID" 2>/dev/null
wait "$OPS_PID" 2>/dev/null
SEN_PID=
OPS_PID=
nrec=$(awk '{ n += $2 - $1 + 1 } END { print n + 0 }' acked.records)
ninc=$(wc -l <acked.incidents)

# --- after the restart, every acknowledged write is there ------------------------------------------
start_hub hub
# get_all TOKEN PATH KEY: every id of a paged listing, one per line, into have.KEY
get_all() {
	: >"have.$3"
	after=0
	while :; do
		code=$(curl -s -o list.json -w '%{http_code}' -H "Authorization: Bearer $1" \
			"$BASE$2?after_id=$after&limit=1000")
		[ "$code" = 200 ] || fail "GET $2: $code $(head -c 200 list.json)"
		jq -r ".$3[].id" list.json >>"have.$3"
		after=$(jq -r '.next_after_id // empty' list.json)
		[ -n "$after" ] && [ "$(jq ".$3 | length" list.json)" -gt 0 ] || break
	done
	sort -u "have.$3" -o "have.$3"
}
get_all "$COM" /api/v1/records records
get_all "$OPA" /api/v1/incidents incidents
awk '{ for (i = $1; i <= $2; i++) print i }' acked.records | sort -u >want.records
sort -u acked.incidents >want.incidents
missing=$(comm -23 want.records have.records | head -5)
[ -z "$missing" ] || fail "acknowledged records lost after SIGKILL: $missing (acked $nrec)"
missing=$(comm -23 want.incidents have.incidents | head -5)
[ -z "$missing" ] || fail "acknowledged incident reports lost after SIGKILL: $missing (acked $ninc)"
kill -TERM "$HUB_PID"
wait "$HUB_PID" || fail "hub exit status after SIGTERM"
HUB_PID=

"$S" audit verify --db hub --key hub/audit.pub >verify.out 2>&1 || fail "audit verify after the crash: $(cat verify.out)"
size=$(sqlite3 hub/hub.db 'SELECT count(*) FROM audit')
[ "$size" -gt $((ninc + 3)) ] || fail "audit log has $size entries for $ninc reports"
grep -q "^audit: $size entries verified" verify.out || fail "audit verify said: $(cat verify.out)"

# --- one byte of one stored entry changed ----------------------------------------------------------
K=$((size / 2))
hex=$(sqlite3 hub/hub.db "SELECT hex(entry) FROM audit WHERE idx = $K")
[ ${#hex} -gt 60 ] || fail "entry $K: $hex"
pair=$(printf %s "$hex" | cut -c41-42)
if [ "$pair" = 41 ]; then new=42; else new=41; fi
tampered="$(printf %s "$hex" | cut -c1-40)$new$(printf %s "$hex" | cut -c43-)"
sqlite3 hub/hub.db "UPDATE audit SET entry = X'$tampered' WHERE idx = $K" 2>/dev/null &&
	fail "the append-only trigger let an audit entry be changed"
sqlite3 hub/hub.db "DROP TRIGGER audit_no_update; UPDATE audit SET entry = X'$tampered' WHERE idx = $K" ||
	fail "could not tamper with entry $K"
"$S" audit verify --db hub --key hub/audit.pub >verify.out 2>&1 && fail "audit verify passed a changed entry"
grep -q "entry $K\b" verify.out || fail "audit verify did not name entry $K: $(cat verify.out)"
"$S" hub --dir hub --listen 127.0.0.1:$PORT >hub2.out 2>hub2.err &
p=$!
i=0
while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
if kill -0 $p 2>/dev/null; then
	kill $p
	fail "the hub started on a tampered audit log"
fi
wait $p
[ $? -eq 1 ] || fail "hub on a tampered log: exit status not 1"
grep -q "$K" hub2.err || fail "the hub's refusal does not name entry $K: $(cat hub2.err)"
echo "hub_crash: $nrec records and $ninc reports acknowledged, all present after SIGKILL; entry $K tampering found"
exit 0
