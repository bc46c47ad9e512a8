#!/bin/sh
# workers_cli.sh — `sakimori sensor -w N` from a file gives what -w 1 gives:
#   - on a generated capture with the demo's selectors (`sakimori demo`), the SET of records
#     with -w 2 and -w 4 equals that of -w 1, every line a whole record, and the stats file is
#     the same but for "workers": N (packets per direction, selected, discarded, decode
#     errors, per selector); the summary says how many workers it sums;
#   - `-o -` with workers: only records on standard output, the same set;
#   - SIGHUP while the reader waits on a pipe: the set is reloaded at the same packet as with
#     -w 1 ("reloaded FILE: N selectors, after M packets"), the run ends cleanly, and the
#     records and stats equal those of -w 1 under the same reload; a broken file is refused
#     ("reload refused: FILE:LINE: reason") and the set in force stays;
#   - SIGTERM stops -w 4 reading a pipe: exit 0, "stopped by signal", stats and records out.
# Environment: SAKIMORI, WORK. Exit 0 pass, 1 fail (one line), 77 skip.
TEST=workers_cli
. "$(dirname "$0")/lib/prelude.sh"
[ -x "$S" ] || fail "no executable at $S"

# Only the demo's selector files are used here: they are written before its own run, so a
# failure later in the demo is its own test's business, not this one's.
"$S" demo >demo.out 2>&1 || echo "workers_cli: note: demo exited $?: $(grep -m 1 -i error demo.out)" >&2
[ -s demo-out/selectors.sel ] && [ -s demo-out/scanners.txt ] ||
	fail "demo wrote no selectors: $(tail -n 1 demo.out)"
cp demo-out/selectors.sel demo-out/scanners.txt . || fail "cannot copy the demo selectors"
"$S" gen --seed 5 --packets 120000 -o cap.pcap >/dev/null 2>gen.err || fail "gen: $(cat gen.err)"
KEY="--pseudonym-key key"

# run W: records rW.jsonl, stats sW.json, summary outW.txt
run() {
	"$S" sensor -w "$1" -r cap.pcap -s selectors.sel -o "r$1.jsonl" --stats "s$1.json" $KEY \
		>"out$1.txt" 2>"err$1.txt" || fail "-w $1: exit $?: $(tail -n 1 "err$1.txt")"
}
# The stats without the workers key
stats() { grep -v '^  "workers": ' "$1"; }
stat() { tr -d ' \n' <"$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

run 1
n1=$(wc -l <r1.jsonl)
[ "$n1" -gt 1000 ] || fail "-w 1 wrote only $n1 records"
[ "$(stat s1.json workers)" = 1 ] || fail "-w 1: stats workers $(stat s1.json workers)"
sort r1.jsonl >r1.sorted
stats s1.json >s1.cmp
for w in 2 4; do
	run $w
	[ "$(stat "s$w.json" workers)" = "$w" ] || fail "-w $w: stats workers $(stat "s$w.json" workers)"
	bad=$(grep -c -v '^{"ts_first":.*}$' "r$w.jsonl")
	[ "$bad" -eq 0 ] || fail "-w $w: $bad lines are not whole records"
	sort "r$w.jsonl" >"r$w.sorted"
	if ! cmp -s r1.sorted "r$w.sorted"; then
		diff r1.sorted "r$w.sorted" | head -n 4
		fail "-w $w: records differ from -w 1 ($(wc -l <"r$w.jsonl") vs $n1)"
	fi
	stats "s$w.json" >"s$w.cmp"
	cmp -s s1.cmp "s$w.cmp" || fail "-w $w: stats differ from -w 1: $(diff s1.cmp "s$w.cmp" | head -n 3)"
	grep -q "^workers  *$w   (figures summed)" "out$w.txt" || fail "-w $w: summary does not say it sums $w workers"
	# the summary's figures are those of -w 1
	# (but streams timed out: a worker's clock moves only with its own packets, see docs)
	grep -v -e '^workers ' -e 'timed out' -e '^records: ' "out$w.txt" >"out$w.cmp"
	grep -v -e 'timed out' -e '^records: ' out1.txt >out1.cmp
	cmp -s out1.cmp "out$w.cmp" || fail "-w $w: summary differs: $(diff out1.cmp "out$w.cmp" | head -n 3)"
done
# every selector of the demo that selects with -w 1 selects the same flows with -w 4 (above);
# make sure there is something to compare per selector
[ "$(grep -c '"selectors":\["mirai-telnet"\]' r1.jsonl)" -gt 10 ] || fail "few mirai-telnet records"

# -o - with workers
"$S" sensor -w 4 -r cap.pcap -s selectors.sel -o - $KEY >stdout.jsonl 2>stderr.txt ||
	fail "-w 4 -o -: $(tail -n 1 stderr.txt)"
sort stdout.jsonl | cmp -s - r1.sorted || fail "-w 4 -o -: standard output is not the record set"
grep -q 'records: [0-9]* lines to standard output' stderr.txt || fail "-w 4 -o -: no summary on stderr"

# --- SIGHUP while the reader waits on a pipe -------------------------------------------------
SEL2="$(cat selectors.sel)
select any-tls approval=A-2026-0012 port=tcp/443"
mkfifo hup.fifo || fail "mkfifo"
# hup W: first 3 MB, wait for go.W, the rest; SIGHUP (changed file) while waiting, then a
# second SIGHUP with a broken file once the first was taken up
hup() {
	w=$1
	mkdir "h$w"
	cp selectors.sel scanners.txt "h$w/"
	rm -f fed go
	{ head -c 3000000 cap.pcap; : >fed; while [ ! -e go ]; do sleep 0.05; done; tail -c +3000001 cap.pcap; } >hup.fifo &
	FEED=$!
	"$S" sensor -w "$w" -q -r hup.fifo -s "h$w/selectors.sel" -o "h$w/r.jsonl" --stats "h$w/s.json" \
		$KEY 2>"h$w/err.txt" &
	SENS=$!
	i=0
	until [ -e fed ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "-w $w: the sensor read nothing in 15 s"
		sleep 0.05
	done
	sleep 1        # the reader has read all it was given and waits in read()
	printf '%s\n' "$SEL2" >"h$w/selectors.sel"
	kill -HUP "$SENS" || fail "-w $w: SIGHUP"
	sleep 0.3
	: >go
	i=0
	until grep -q 'reloaded' "h$w/err.txt"; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "-w $w: no reload logged: $(cat "h$w/err.txt")"
		sleep 0.05
	done
	printf '%s\nselect broken approval=NOPE port=tcp/22\n' "$SEL2" >"h$w/selectors.sel"
	kill -HUP "$SENS" 2>/dev/null   # the run may be over already: then nothing is refused
	wait "$SENS"
	rc=$?
	wait "$FEED"
	[ $rc -eq 0 ] || fail "-w $w with SIGHUP on a pipe: exit $rc: $(cat "h$w/err.txt")"
}
hup 1
hup 2
at1=$(sed -n 's/.*reloaded .*selectors.sel: 10 selectors, after \([0-9]*\) packets.*/\1/p' h1/err.txt)
at2=$(sed -n 's/.*reloaded .*selectors.sel: 10 selectors, after \([0-9]*\) packets.*/\1/p' h2/err.txt)
[ -n "$at2" ] || fail "-w 2: reload not logged as expected: $(cat h2/err.txt)"
[ "$at1" = "$at2" ] || fail "reload after $at1 packets with -w 1, $at2 with -w 2"
[ "$(stat h2/s.json reloads)" = 1 ] || fail "-w 2: reloads $(stat h2/s.json reloads), want 1"
[ "$(stat h2/s.json packets_read)" = 120000 ] || fail "-w 2: read $(stat h2/s.json packets_read) packets"
tr -d ' \n' <h2/s.json | grep -q '"id":"any-tls"' || fail "-w 2: the reloaded set is not in force"
grep -q '"selectors":\["any-tls"\]' h2/r.jsonl || fail "-w 2: the new selector selected nothing"
if grep -q 'reload refused' h1/err.txt; then
	grep -q 'reload refused: .*selectors.sel:[0-9]*: ' h2/err.txt ||
		fail "-w 2: broken file not refused as with -w 1: $(cat h2/err.txt)"
fi
sort h1/r.jsonl >h1.sorted
sort h2/r.jsonl | cmp -s - h1.sorted || fail "-w 2 with a reload: records differ from -w 1"
stats h1/s.json >h1.cmp
stats h2/s.json | cmp -s - h1.cmp || fail "-w 2 with a reload: stats differ from -w 1"

# --- SIGTERM stops -w 4 on a pipe ------------------------------------------------------------
. "$LIB/term.sh"
# shellcheck disable=SC2086
term_on_pipe cap.pcap -w 4 -q -s selectors.sel -o term.jsonl --stats term.json $KEY
rc=$TERM_RC
[ $rc -eq 0 ] || fail "-w 4 stopped by SIGTERM: exit $rc: $(cat term.err)"
grep -q 'stopped by signal' term.err || fail "-w 4: no 'stopped by signal': $(cat term.err)"
[ "$(stat term.json workers)" = 4 ] || fail "-w 4 SIGTERM: no stats"
[ -s term.jsonl ] || fail "-w 4 SIGTERM: open flows not emitted"
[ "$(wc -l <term.jsonl)" = "$(stat term.json records)" ] || fail "-w 4 SIGTERM: records file and stats disagree"
exit 0
