#!/bin/sh
# sensor_cli.sh — the sakimori command as a user runs it: version, help, geo, gen, sensor on
# good, truncated and corrupt captures (one-line error, counts so far, no crash), and the
# law's first line: no secret planted in a payload or identifier appears in any output.
# Environment: SAKIMORI, WORK. Exit 0 pass, 1 fail.
TEST=sensor_cli
. "$(dirname "$0")/lib/prelude.sh"

"$S" version | grep -q '^sakimori [0-9]' || fail "version"
"$S" help | grep -q 'sensor' || fail "help lists no sensor"
"$S" help sensor | grep -q -- '-r FILE' || fail "help sensor"
"$S" nosuch 2>err.txt && fail "unknown command accepted"
grep -q "not a command" err.txt || fail "unknown command message"

# geo: a domestic, a foreign, a private address, and one that is no address
"$S" geo 133.1.1.1 >/dev/null || fail "geo on a good address"
"$S" geo 133.1.1.1 8.8.8.8 10.0.0.1 2001:200::1 not-an-ip >geo.txt 2>geo.err
[ $? -eq 1 ] || fail "geo exit status with a bad address"
grep -q '^133.1.1.1 .*cc=JP.*asn=4730.*domestic' geo.txt || fail "geo 133.1.1.1: $(cat geo.txt)"
grep -q '^8.8.8.8 .*cc=US.*asn=15169.*foreign' geo.txt || fail "geo 8.8.8.8"
grep -q '^10.0.0.1 .*unknown' geo.txt || fail "geo 10.0.0.1"
grep -q '^2001:200::1 .*cc=JP.*domestic' geo.txt || fail "geo 2001:200::1"
grep -q 'not-an-ip: not an IP address' geo.err || fail "geo bad address message"
printf '10.0.0.0/8\n' >dom.txt
"$S" geo --domestic dom.txt 10.0.0.1 | grep -q 'domestic' || fail "geo --domestic override"

# a generated capture read by the sensor
"$S" gen --seed 11 --packets 40000 -o cap.pcap --truth truth.json || fail "gen"
mkdir out
(cd out && "$S" sensor -r ../cap.pcap >stdout.txt 2>stderr.txt) || fail "sensor on a good capture"
grep -q 'packets read  *40000' out/stdout.txt || fail "sensor packet count: $(head -3 out/stdout.txt)"
for d in foreign-foreign foreign-domestic domestic-foreign domestic-domestic; do
	n=$(sed -n "s/^  $d  *[^ ]*  *\([0-9]*\) .*/\1/p" out/stdout.txt)
	[ "${n:-0}" -gt 0 ] || fail "no $d packets counted"
done
grep -q 'generated a new pseudonym key' out/stderr.txt || fail "no message about the new key"
[ -s out/sakimori-pseudonym.key ] || fail "pseudonym key not written"

# no planted secret anywhere the sensor wrote (stdout, stderr, files)
sed -n '/"secrets"/,/]/p' truth.json | sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p' >secrets.txt
[ "$(wc -l <secrets.txt)" -gt 100 ] || fail "truth lists too few secrets"
grep -q SECRET- cap.pcap || fail "the capture carries no secrets to look for"
if grep -r -a -F -f secrets.txt out >leak.txt; then
	head -3 leak.txt
	fail "a planted secret appears in sensor output"
fi

# a capture truncated in the middle of a record: one-line error, counts so far, exit 1
size=$(wc -c <cap.pcap)
head -c $((size / 2 + 7)) cap.pcap >trunc.pcap
"$S" sensor --pseudonym-key out/sakimori-pseudonym.key -r trunc.pcap >t.out 2>t.err && fail "truncated capture accepted"
[ "$(wc -l <t.err)" -eq 1 ] || fail "truncated capture: not one line: $(cat t.err)"
grep -q 'trunc.pcap: .*truncated.*after [0-9]* packets' t.err || fail "truncated message: $(cat t.err)"
grep -q 'packets read' t.out || fail "no counts after a truncated capture"

# corrupt header, empty file, missing file: one-line error, exit 1, no crash
printf 'this is not a capture file at all' >bad.pcap
: >empty.pcap
for f in bad.pcap empty.pcap missing.pcap; do
	"$S" sensor --pseudonym-key out/sakimori-pseudonym.key -r $f >/dev/null 2>e.txt
	rc=$?
	[ $rc -eq 1 ] || fail "$f: exit status $rc"
	[ "$(wc -l <e.txt)" -eq 1 ] || fail "$f: not one line: $(cat e.txt)"
done
exit 0
