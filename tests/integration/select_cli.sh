#!/bin/sh
# select_cli.sh — selection through the command line (DESIGN.md rules 1-4):
#   - a refused selector file (malformed line, unknown key, unknown approval, specific without
#     facilities, from >= until, missing list, bad list line) exits 1 with one line naming
#     FILE:LINE and writes nothing (no records file, no key);
#   - `-o -` writes only records to standard output, the summary to standard error;
#   - the stats file has the documented keys, and its counts add up with the records;
#   - with broad selectors on all three channels, no planted secret appears anywhere the
#     sensor wrote; e-mail local parts and URI query values come out hashed;
#   - every record's direction fits its channel; an expired approval selects nothing.
# Environment: SAKIMORI, WORK. Exit 0 pass, 1 fail (one line), 77 skip.
TEST=select_cli
. "$(dirname "$0")/lib/prelude.sh"
[ -x "$S" ] || fail "no executable at $S"

"$S" gen --seed 7 --packets 60000 -o cap.pcap --truth truth.json >/dev/null 2>gen.err ||
	fail "gen: $(cat gen.err)"

# --- refused selector files ------------------------------------------------------------------
APP='approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z'
n=0
# refuse EXPECT LINE...: selector file of these lines, in a fresh directory (lists already
# there); the sensor must exit 1 with one stderr line containing "EXPECT: " and write nothing.
refuse() {
	expect=$1
	shift
	d=bad/$n
	printf '%s\n' "$@" >"$d/sel.sel"
	(cd "$d" && "$S" sensor -r ../../cap.pcap -s sel.sel -o rec.jsonl --stats stats.json \
		--pseudonym-key key >out.txt 2>err.txt)
	rc=$?
	[ $rc -eq 1 ] || fail "case $n ($expect): exit status $rc, want 1"
	[ "$(wc -l <"$d/err.txt")" -eq 1 ] || fail "case $n: not one line on stderr: $(cat "$d/err.txt")"
	grep -q -F "$expect: " "$d/err.txt" || fail "case $n: want '$expect: ', got: $(cat "$d/err.txt")"
	[ -s "$d/out.txt" ] && fail "case $n: refused file but printed: $(head -1 "$d/out.txt")"
	for f in rec.jsonl stats.json key; do
		[ -e "$d/$f" ] && fail "case $n: refused file but wrote $f"
	done
	n=$((n + 1))
}
i=0
while [ $i -lt 12 ]; do mkdir -p bad/$i; i=$((i + 1)); done
printf '203.0.113.7\n198.51.100.0/24\n\n# a comment\nnot-an-address\n' >bad/7/ips.txt
printf 'example.com\n.example.net\nbad..name\n' >bad/8/names.txt
printf '2001:db8::/129\n' >bad/9/ips.txt

refuse sel.sel:4 '# comment' "$APP" '' 'select s1 approval=A1 port=tcp/25 garbage'    # 0
refuse sel.sel:2 "$APP" 'select s1 approval=A1 colour=red'                            # 1
refuse sel.sel:2 "$APP" 'select s1 approval=NOPE port=tcp/25'                         # 2
refuse sel.sel:1 'approval S1 channel=specific from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z' \
	'select s1 approval=S1 port=tcp/443'                                            # 3
refuse sel.sel:1 'approval A1 channel=agreement from=2027-01-01T00:00:00Z until=2026-01-01T00:00:00Z' \
	'select s1 approval=A1 port=tcp/25'                                             # 4
refuse sel.sel:1 'approval A1 channel=agreement from=2026-10-01T00:00:00Z until=2026-10-01T09:00:00+09:00' \
	'select s1 approval=A1 port=tcp/25'                                             # 5: from == until
refuse sel.sel:2 "$APP" 'select s1 approval=A1 ip-list=missing.txt'                   # 6
refuse ips.txt:5 "$APP" 'select s1 approval=A1 ip-list=ips.txt'                       # 7
refuse names.txt:3 "$APP" 'select s1 approval=A1 port=tcp/443 domain-list=names.txt'  # 8
refuse ips.txt:1 "$APP" 'select s1 approval=A1 ip-list=ips.txt'                       # 9
refuse sel.sel:1 'this is not a selector line'                                        # 10
refuse sel.sel:3 "$APP" 'select s1 approval=A1 port=tcp/25' 'select s1 approval=A1 port=tcp/80' # 11: duplicate ID

# --- broad selectors on all three channels --------------------------------------------------
# The specific channel's facilities: the beacons' destinations (foreign C2-like servers).
fac=$(sed -n '/"beacons"/,/^ \]/p' truth.json | sed -n 's/^ *"dst": "\(.*\)",$/\1/p' | paste -s -d, -)
[ -n "$fac" ] || fail "truth file lists no beacon destinations"
sed -n '/"secrets"/,/]/p' truth.json | sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p' >secrets.txt
[ "$(wc -l <secrets.txt)" -gt 20 ] || fail "truth lists too few secrets"
grep -q -a -F -f secrets.txt cap.pcap || fail "the capture carries none of the secrets to look for"

mkdir run
cat >run/sel.sel <<EOF
# every channel, broad port selectors; X1 expired before the capture began
approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z
approval T1 channel=transit from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z
approval S1 channel=specific from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z facility=$fac
approval X1 channel=agreement from=2025-01-01T00:00:00Z until=2026-01-01T00:00:00Z

select a-smtp approval=A1 port=tcp/25
select a-http approval=A1 port=tcp/80
select a-tls approval=A1 port=tcp/443
select a-dns approval=A1 port=udp/53
select t-smtp approval=T1 port=tcp/25
select t-http approval=T1 port=tcp/80
select t-tls approval=T1 port=tcp/443
select t-dns approval=T1 port=udp/53
select s-http approval=S1 port=tcp/80
select s-tls approval=S1 port=tcp/443
select s-alt approval=S1 port=tcp/8080
select x-tls approval=X1 port=tcp/443
EOF
nsel=$(grep -c '^select ' run/sel.sel)

cd run || exit 1
"$S" sensor -r ../cap.pcap -s sel.sel -o rec.jsonl --stats stats.json --pseudonym-key key \
	>stdout.txt 2>stderr.txt || fail "sensor with broad selectors: $(tail -1 stderr.txt)"
"$S" sensor -r ../cap.pcap -s sel.sel -o - --pseudonym-key key >out.jsonl 2>err.txt ||
	fail "sensor -o -: $(tail -1 err.txt)"
cd .. || exit 1

# -o -: records only on stdout, the same as written to a file; the summary on stderr
[ -s run/out.jsonl ] || fail "-o - wrote no records"
bad=$(grep -c -v '^{"ts_first":.*}$' run/out.jsonl)
[ "$bad" -eq 0 ] || fail "-o -: $bad stdout lines are not records: $(grep -v '^{"ts_first":' run/out.jsonl | head -1)"
cmp -s run/out.jsonl run/rec.jsonl || fail "-o - and -o FILE give different records"
grep -q 'selected packets' run/err.txt || fail "-o -: no summary on stderr"
grep -q 'records: [0-9]* lines to standard output' run/err.txt || fail "-o -: no records line on stderr"
grep -q 'selected packets' run/stdout.txt || fail "-o FILE: no summary on stdout"

# stats: documented keys, counts that add up
tr -d ' \t\n' <run/stats.json >stats.flat
for k in packets_read bytes_read decode_errors packets_by_direction eligible_packets \
	selected_packets discarded_packets selected_flows selectors; do
	grep -q "\"$k\":" stats.flat || fail "stats: no key $k"
done
get() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" stats.flat; }
read_=$(get packets_read) sel=$(get selected_packets) dis=$(get discarded_packets)
elig=$(get eligible_packets) nflows=$(get selected_flows)
[ "$read_" -eq 60000 ] || fail "stats: packets_read $read_, want 60000"
[ $((sel + dis)) -eq "$read_" ] || fail "stats: selected $sel + discarded $dis != read $read_"
[ "$sel" -gt 0 ] && [ "$sel" -le "$elig" ] || fail "stats: selected $sel, eligible $elig"
dirsum=$(sed -n 's/.*"packets_by_direction":{\([^}]*\)}.*/\1/p' stats.flat |
	tr ',' '\n' | sed 's/.*://' | awk '{ s += $1 } END { print s + 0 }')
[ "$dirsum" -eq "$read_" ] || fail "stats: packets_by_direction sum to $dirsum, not $read_"
# selectors: one object per select line, in order, each with its keys
sed -n 's/.*"selectors":\[{\(.*\)}\].*/\1/p' stats.flat | awk '{ gsub(/\},\{/, "\n"); print }' >stats.sel
[ "$(wc -l <stats.sel)" -eq "$nsel" ] || fail "stats: $(wc -l <stats.sel) selectors, want $nsel"
grep '^select ' run/sel.sel | awk '{ print $2 }' >ids.want
sed 's/.*"id":"\([^"]*\)".*/\1/' stats.sel >ids.got
cmp -s ids.want ids.got || fail "stats: selector ids $(paste -s -d, - <ids.got)"
for k in '"id":"' '"approval":"' '"channel":"' '"active":' '"packets":' '"flows":'; do
	m=$(grep -c -F "$k" stats.sel)
	[ "$m" -eq "$nsel" ] || fail "stats: key $k in $m of $nsel selectors"
done
grep -q '"id":"x-tls".*"active":false' stats.sel || fail "stats: expired x-tls not inactive"
grep '"id":"x-tls"' stats.sel | grep -q '"packets":0,"flows":0' || fail "stats: expired x-tls counted traffic"
for c in a:agreement t:transit s:specific; do
	grep "\"id\":\"${c%%:*}-" stats.sel | grep -v -q "\"channel\":\"${c#*:}\"" &&
		fail "stats: a ${c%%:*}- selector not on channel ${c#*:}"
done

# records: the first occurrence of a key is the record's own (dns/tls/http/smtp come last)
awk -v fac=",$fac," '
function str(k,   i, s) {
	i = index($0, "\"" k "\":\"")
	if (!i) return ""
	s = substr($0, i + length(k) + 4)
	return substr(s, 1, index(s, "\"") - 1)
}
function num(k,   i, s) {
	i = index($0, "\"" k "\":")
	if (!i) return -1
	s = substr($0, i + length(k) + 3)
	if (!match(s, /^[0-9]+/)) return -1
	return substr(s, 1, RLENGTH) + 0
}
function bad(why) { print "record " NR ": " why; err = 1; exit 1 }
{
	ch = str("channel"); dir = str("direction"); p = num("packets")
	if (p < 1) bad("no packets")
	sum += p
	if (dir == "domestic-domestic" || dir == "unknown" || dir == "") bad("direction " dir)
	if (ch == "agreement") { if (dir != "foreign-domestic") bad(ch " " dir) }
	else if (ch == "transit") { if (dir != "foreign-foreign") bad(ch " " dir) }
	else if (ch == "specific") {
		if (dir != "foreign-domestic" && dir != "domestic-foreign") bad(ch " " dir)
		if (!index(fac, "," str("src_ip") ",") && !index(fac, "," str("dst_ip") ","))
			bad("specific without a facility: " str("src_ip") " " str("dst_ip"))
		nspec++
	} else bad("channel " ch)
	if (index($0, "\"x-tls\"")) bad("selected by the expired x-tls")
	nch[ch]++
}
END {
	if (err) exit 1
	printf "%d %d %d %d %d\n", NR, sum, nch["agreement"], nch["transit"], nch["specific"]
}' run/rec.jsonl >rec.sum || fail "$(cat rec.sum)"
read -r nrec psum na nt ns <rec.sum
[ "$nrec" -eq "$nflows" ] || fail "$nrec records, stats say $nflows selected flows"
[ "$psum" -eq "$sel" ] || fail "records hold $psum packets, stats say $sel selected"
[ "$na" -gt 0 ] && [ "$nt" -gt 0 ] && [ "$ns" -gt 0 ] ||
	fail "records per channel: agreement $na, transit $nt, specific $ns"

# many records carry mechanical information of each protocol
for p in dns:100 tls:100 http:50 smtp:10; do
	m=$(grep -c "\"${p%%:*}\":[[{]" run/rec.jsonl)
	[ "$m" -ge "${p#*:}" ] || fail "only $m records with ${p%%:*}"
done

# rule 1: no planted secret anywhere the sensor wrote
if grep -r -a -F -f secrets.txt run >leak.txt || grep -r -a -q 'SECRET-' run; then
	fail "a planted secret appears in sensor output: $(head -c 200 leak.txt)"
fi

# rule 2: e-mail local parts and query values hashed (32 hex), the domains kept
grep -o '"mail_from":"[^"]*"' run/rec.jsonl >mail.txt
grep -q -E '^"mail_from":"[0-9a-f]{32}@[a-z0-9.-]+\.[a-z]+"$' mail.txt || fail "no hashed mail_from"
grep -v -E '^"mail_from":"([0-9a-f]{32}@[a-z0-9.-]+)?"$' mail.txt >mail.bad
[ -s mail.bad ] && fail "mail_from not hashed: $(head -1 mail.bad)"
grep -o '"rcpt_to":\[[^]]*\]' run/rec.jsonl | sed 's/^"rcpt_to":\[//; s/\]$//' | tr ',' '\n' |
	grep -v -E '^"[0-9a-f]{32}@[a-z0-9.-]+"$' >rcpt.bad
[ -s rcpt.bad ] && fail "rcpt_to not hashed: $(head -1 rcpt.bad)"
grep -o '"uri":"[^"]*"' run/rec.jsonl | sed -n 's/^"uri":"[^?"]*?\(.*\)"$/\1/p' | tr '&' '\n' >query.txt
grep -q -E '^[^=]+=[0-9a-f]{32}$' query.txt || fail "no http uri with a hashed query value"
grep -v -E '^[^=]+=([0-9a-f]{32})?$' query.txt >query.bad
[ -s query.bad ] && fail "query value not hashed: $(head -1 query.bad)"
exit 0
