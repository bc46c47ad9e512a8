#!/bin/sh
# live_netns.sh — the live path for real: a veth pair inside a network namespace this test
# creates, a generated capture replayed into one end with tcpreplay, `sakimori sensor -i` on
# the other end (AF_PACKET ring), compared with the same capture read from the file:
#   1. same packets read, no kernel drops, and the same set of selected flows
#      (proto, src, sport, dst, dport, selectors) — timestamps differ (capture time);
#   2. SIGHUP mid-replay with a changed, valid selector file (one selector more): the reload
#      happens mid-capture, no flow selected in the file run is missing from the live
#      records, and the new selector selects; then SIGHUP with a broken file: "reload
#      refused: FILE:LINE: reason", and the set in force (the changed one) stays;
#   3. and 4. the same two with two workers (-w 2: two rings in one PACKET_FANOUT group):
#      the same packets read and the same set of selected flows as the file, stats summed
#      ("workers": 2), the reload taken up by both workers;
#   and, without root, a file run (from a pipe) stopped by SIGTERM exits 0 with its flows
#   flushed and its stats written.
# The kernel reassembles IPv4 fragments for PACKET_FANOUT_FLAG_DEFRAG, so a live sensor sees
# one packet where the file has several; the replayed capture is the generated one without
# its IPv4 fragments, so that packet counts can be compared exactly.
# Traffic goes only to the veth pair inside the namespace. The namespace is always deleted.
# Environment: SAKIMORI, WORK. Exit 0 pass, 1 fail, 77 skip (not root, no netns, no tools).
TEST=live_netns
. "$(dirname "$0")/lib/prelude.sh"
skip() { echo "live_netns: skipped: $*"; exit 77; }
[ -x "$S" ] || fail "no executable at $S"
# --- a file run stopped by SIGTERM (no root needed): flows flushed, stats written, exit 0 ---
"$S" gen --seed 21 --packets 20000 -o gen.pcap >/dev/null 2>gen.err || fail "gen: $(cat gen.err)"
printf '%s\n' 'approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2030-01-01T00:00:00Z' \
	'select a-tls approval=A1 port=tcp/443' >term.sel
. "$LIB/term.sh"
term_on_pipe gen.pcap -s term.sel -o term.jsonl --stats term.json --pseudonym-key key -q
rc=$TERM_RC
[ $rc -eq 0 ] || fail "file run stopped by SIGTERM: exit $rc: $(cat term.err)"
grep -q 'stopped by signal' term.err || fail "file run: no 'stopped by signal': $(cat term.err)"
[ -s term.json ] && [ -s term.jsonl ] || fail "file run stopped by SIGTERM: no stats or records"

[ "$(id -u)" -eq 0 ] || skip "not root (needs a network namespace and AF_PACKET)"

need=""
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v tcpreplay >/dev/null 2>&1 || need="$need tcpreplay"
command -v tcpdump >/dev/null 2>&1 || need="$need tcpdump"
if [ -n "$need" ]; then
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y $need; } \
		>apt.log 2>&1 || skip "cannot install$need: $(tail -n 1 apt.log)"
fi

NS=skm-$$
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
ip netns add "$NS" 2>netns.err || skip "ip netns add failed: $(cat netns.err)"
NX="ip netns exec $NS"
# nothing of the namespace's own talks on the link (no IPv6 DAD/ND/MLD, no addresses)
$NX sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
	fail "cannot disable IPv6 in the namespace"
ip -n "$NS" link add veth-a mtu 9000 type veth peer name veth-b mtu 9000 || fail "veth pair"
ip -n "$NS" link set veth-a up && ip -n "$NS" link set veth-b up || fail "veth up"

tcpdump -r gen.pcap -w cap.pcap \
	'not (ip[6:2] & 0x3fff != 0 or (vlan and (ip[6:2] & 0x3fff != 0 or (vlan and ip[6:2] & 0x3fff != 0))))' \
	2>tcpdump.err || fail "tcpdump: $(tail -n 1 tcpdump.err)"

SEL1='approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2030-01-01T00:00:00Z
approval T1 channel=transit from=2026-01-01T00:00:00Z until=2030-01-01T00:00:00Z
select a-http approval=A1 port=tcp/80
select a-tls approval=A1 port=tcp/443
select a-dns approval=A1 port=udp/53
select t-tls approval=T1 port=tcp/443
select t-dns approval=T1 port=udp/53'
SEL2="$SEL1
select a-smtp approval=A1 port=tcp/25"
printf '%s\n' "$SEL1" >sel1.sel
printf '%s\n' "$SEL2" >sel2.sel
KEY="--pseudonym-key key"

# The selected flows of a records file, one line each: proto src sport dst dport [selectors]
flows() {
	sed -n 's/^{"ts_first":"[^"]*","ts_last":"[^"]*","selectors":\(\[[^]]*\]\),"approvals":\[[^]]*\],"channel":"[^"]*","direction":"[^"]*","proto":"\([^"]*\)","src_ip":"\([^"]*\)","src_port":\([0-9]*\),"dst_ip":"\([^"]*\)","dst_port":\([0-9]*\),.*/\2 \3 \4 \5 \6 \1/p' "$1" |
		sort -u
}
# A number from a stats file: key
stat() { tr -d ' \n' <"$1" | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

# start_live DIR SELFILE [WORKERS]: the live sensor in the background, ready to capture
start_live() {
	$NX "$S" sensor -i veth-b -w "${3:-1}" -s "$1/$2" -o "$1/live.jsonl" --stats "$1/live.json" $KEY \
		>"$1/out.txt" 2>"$1/err.txt" &
	LIVE=$!
	PIDS="$PIDS $LIVE"
	i=0
	until grep -q 'veth-b: capturing' "$1/err.txt" 2>/dev/null; do
		kill -0 "$LIVE" 2>/dev/null || fail "live sensor died: $(cat "$1/err.txt")"
		i=$((i + 1))
		[ $i -lt 300 ] || fail "live sensor not capturing after 30 s"
		sleep 0.1
	done
}
# stop_live DIR: SIGTERM, wait; the sensor must exit 0 with its stats written
stop_live() {
	sleep 0.5     # the last ring block retires after 10 ms; leave the sensor time to read it
	kill -TERM "$LIVE" || fail "live sensor gone before SIGTERM: $(cat "$1/err.txt")"
	wait "$LIVE"
	rc=$?
	[ $rc -eq 0 ] || fail "live sensor exit status $rc: $(cat "$1/err.txt")"
	grep -q 'stopped by signal' "$1/err.txt" || fail "no 'stopped by signal' line"
	grep -q 'kernel dropped 0 packets' "$1/err.txt" ||
		fail "kernel drops: $(grep 'kernel dropped' "$1/err.txt")"
	grep 'kernel dropped' "$1/err.txt" | grep -v -q 'kernel dropped 0 packets' &&
		fail "kernel drops: $(grep 'kernel dropped' "$1/err.txt" | paste -s -d' ' -)"
	[ -s "$1/live.json" ] || fail "no stats written on SIGTERM"
}

# --- the file run: the reference ---------------------------------------------------------
"$S" sensor -r cap.pcap -s sel1.sel -o file.jsonl --stats file.json $KEY -q 2>file.err ||
	fail "file run: $(cat file.err)"
flows file.jsonl >file.flows
nfile=$(stat file.json packets_read)
[ "$nfile" -gt 19000 ] || fail "file run read $nfile packets"
[ "$(wc -l <file.flows)" -gt 100 ] || fail "file run selected only $(wc -l <file.flows) flows"

# --- run 1: live equals file (DIR WORKERS) ---------------------------------------------------
live_equals_file() {
	d=$1
	mkdir "$d"
	cp sel1.sel "$d/sel.sel"
	start_live "$d" sel.sel "$2"
	$NX tcpreplay -q -i veth-a --pps=20000 cap.pcap >"$d/replay.txt" 2>&1 || fail "tcpreplay: $(cat "$d/replay.txt")"
	stop_live "$d"
	nlive=$(stat "$d/live.json" packets_read)
	[ "$nlive" = "$nfile" ] || fail "$d (-w $2): live read $nlive packets, the file $nfile"
	[ "$(stat "$d/live.json" workers)" = "$2" ] || fail "$d: stats workers $(stat "$d/live.json" workers), want $2"
	flows "$d/live.jsonl" >"$d/live.flows"
	if ! cmp -s file.flows "$d/live.flows"; then
		diff file.flows "$d/live.flows" | head -n 5
		fail "$d (-w $2): live and file select different flows ($(wc -l <"$d/live.flows") vs $(wc -l <file.flows))"
	fi
	[ "$(stat "$d/live.json" records)" = "$(stat file.json records)" ] ||
		fail "$d (-w $2): records $(stat "$d/live.json" records) live, $(stat file.json records) file"
}

# --- run 2: reload during the replay (DIR WORKERS) ---------------------------------------------
reload_during_replay() {
	d=$1
	mkdir "$d"
	cp sel1.sel "$d/sel.sel"
	start_live "$d" sel.sel "$2"
	$NX tcpreplay -q -i veth-a --pps=10000 cap.pcap >"$d/replay.txt" 2>&1 &
	REPLAY=$!
	PIDS="$PIDS $REPLAY"
	sleep 0.6
	cp sel2.sel "$d/sel.sel"
	kill -HUP "$LIVE" || fail "SIGHUP"
	sleep 0.4
	printf '%s\nselect broken approval=NOPE port=tcp/22\n' "$SEL2" >"$d/sel.sel"
	kill -HUP "$LIVE" || fail "second SIGHUP"
	wait "$REPLAY" || fail "tcpreplay: $(cat "$d/replay.txt")"
	stop_live "$d"

	at=$(sed -n 's/.*reloaded .*sel.sel: 6 selectors, after \([0-9]*\) packets.*/\1/p' "$d/err.txt")
	[ -n "$at" ] || fail "$d: no reload logged: $(cat "$d/err.txt")"
	[ "$at" -gt 0 ] && [ "$at" -lt "$nfile" ] || fail "$d: reload not during the replay (after $at packets)"
	grep -q 'reload refused: .*sel.sel:9: ' "$d/err.txt" || fail "$d: broken file not refused: $(cat "$d/err.txt")"
	[ "$(stat "$d/live.json" reloads)" = 1 ] || fail "$d: reloads $(stat "$d/live.json" reloads), want 1"
	# the set in force at the end is the changed one: the broken file did not replace it
	tr -d ' \n' <"$d/live.json" | grep -q '"id":"a-smtp"' || fail "$d: the reloaded set is not in force"
	tr -d ' \n' <"$d/live.json" | grep -q '"id":"broken"' && fail "$d: the broken set was taken"
	[ "$(stat "$d/live.json" packets_read)" = "$nfile" ] || fail "$d: live read $(stat "$d/live.json" packets_read) packets"

	# no flow selected from the file is missing from the live records (by 5-tuple)
	flows "$d/live.jsonl" >"$d/live.flows"
	cut -d' ' -f1-5 file.flows | sort -u >file.tuples
	cut -d' ' -f1-5 "$d/live.flows" | sort -u >"$d/live.tuples"
	missing=$(comm -23 file.tuples "$d/live.tuples" | wc -l)
	[ "$missing" -eq 0 ] || fail "$d: $missing selected flows lost across the reload: $(comm -23 file.tuples "$d/live.tuples" | head -n 1)"
	grep -q '"selectors":\["a-smtp"\]' "$d/live.jsonl" || fail "$d: the new selector selected nothing"
}

live_equals_file r1 1
reload_during_replay r2 1
live_equals_file r3 2
reload_during_replay r4 2
exit 0
