#!/bin/sh
# demo_cli.sh — `sakimori demo` end to end, as `make demo` runs it: the sensor selects, the
# hub (started by the demo on loopback) stores the records, an asset notification and an
# incident report, and the audit log verifies. The law's first line across the whole chain:
# no secret planted in the capture appears in any file the demo wrote, the hub's store
# included. Environment: SAKIMORI, WORK. Exit 0 pass, 1 fail.
TEST=demo_cli
. "$(dirname "$0")/lib/prelude.sh"

"$S" demo --dir d --packets 60000 >out.txt 2>err.txt || fail "demo failed: $(tail -3 err.txt)"
for f in capture.pcap truth.json selectors.sel records.jsonl stats.json hub/hub.db hub/audit.pub \
	 hub/tokens.txt; do
	[ -s "d/$f" ] || fail "demo wrote no $f"
done
grep -q '^5\. sensor -> hub: [1-9][0-9]* selected records stored' out.txt || fail "records not stored"
n_rec=$(wc -l <d/records.jsonl)
grep -q "^5\. sensor -> hub: $n_rec selected" out.txt || fail "hub stored not all $n_rec records"
grep -q '^6\. asset notification' out.txt || fail "no asset notification"
grep -q '^7\. incident report' out.txt || fail "no incident report"
grep -q '^9\. audit: [0-9]* entries verified' out.txt || fail "audit log did not verify"
[ "$(stat -c %a d/hub/tokens.txt)" = 600 ] || fail "tokens file readable by others"

# the store holds exactly the records the sensor wrote
n_db=$(sqlite3 d/hub/hub.db "select count(*) from docs where kind='record'") || fail "sqlite3"
[ "$n_db" -eq "$n_rec" ] || fail "store has $n_db records, sensor wrote $n_rec"

# no planted secret in anything the demo wrote (WAL checkpointed into hub.db on close)
sed -n '/"secrets"/,/]/p' d/truth.json | sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p' >secrets.txt
[ "$(wc -l <secrets.txt)" -gt 20 ] || fail "truth lists too few secrets"
grep -q SECRET- d/capture.pcap || fail "the capture carries no secrets to look for"
find d -type f ! -name capture.pcap ! -name truth.json >files.txt
# shellcheck disable=SC2046
if grep -a -F -l -f secrets.txt $(cat files.txt) out.txt err.txt >leak.txt; then
	fail "a planted secret appears in: $(tr '\n' ' ' <leak.txt)"
fi

# a second run starts afresh (no duplicate records, a new log that verifies)
"$S" demo --dir d --packets 60000 >out2.txt 2>err2.txt || fail "second demo run failed"
n_db=$(sqlite3 d/hub/hub.db "select count(*) from docs where kind='record'")
[ "$n_db" -eq "$n_rec" ] || fail "second run left $n_db records"
echo "demo_cli: ok ($n_rec records through the hub)"
