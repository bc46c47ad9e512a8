#!/bin/sh
# select_scale.sh — selection against 1,000,000 address indicators (IPv4 and IPv6 addresses
# and prefixes) and 100,000 domains, drawn with awk from a fixed seed, with planted hits:
#   - the scan and Mirai sources of the truth file go into the ip list; every one abroad
#     (foreign -> domestic, so the agreement approval applies) must appear in a record, the
#     bots at home (their traffic is not 外内) must not;
#   - DNS / TLS / HTTP names of the truth file go into the domain list;
#   - no false hit: a record of the ip selector has a planted endpoint, a record of the
#     domain selector carries a planted name. The random part avoids every address of the
#     capture's eligible traffic (learnt from one run with ip=0.0.0.0/0 and ip=::/0), so any
#     other hit is the matcher's fault.
# Prints the load time and peak memory of the big selector set when /usr/bin/time exists.
# Environment: SAKIMORI, WORK. Exit 0 pass, 1 fail (one line), 77 skip.
TEST=select_scale
. "$(dirname "$0")/lib/prelude.sh"
[ -x "$S" ] || fail "no executable at $S"
# addrs FILE: the distinct src_ip and dst_ip values of a records file
addrs() {
	awk '{
		for (k = 1; k <= 2; k++) {
			key = k == 1 ? "\"src_ip\":\"" : "\"dst_ip\":\""
			i = index($0, key)
			if (i) { s = substr($0, i + length(key)); print substr(s, 1, index(s, "\"") - 1) }
		}
	}' "$1" | sort -u
}
NADDR=1000000
NDOM=100000
SEED=20261001

"$S" gen --seed 3 --packets 60000 -o cap.pcap --truth truth.json >/dev/null 2>gen.err ||
	fail "gen: $(cat gen.err)"
"$S" gen --seed 3 --packets 200 -o tiny.pcap >/dev/null 2>gen.err || fail "gen: $(cat gen.err)"
APP='approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z'

# --- planted addresses: scan and Mirai sources, foreign or domestic -------------------------
{
	sed -n '/"scans"/,/^ \]/p' truth.json
	sed -n '/"mirai"/,/^ \]/p' truth.json
} | sed -n 's/^ *"src": "\(.*\)",$/\1/p' | sort -u >planted.txt
[ "$(wc -l <planted.txt)" -ge 4 ] || fail "truth file lists too few scan/Mirai sources"
# shellcheck disable=SC2046
"$S" geo $(cat planted.txt) >geo.txt 2>&1 || fail "geo: $(tail -1 geo.txt)"
awk '$NF == "foreign" { print $1 }' geo.txt | sort >planted.foreign
awk '$NF == "domestic" { print $1 }' geo.txt | sort >planted.domestic
[ -s planted.foreign ] || fail "no planted source abroad"

# --- planted names: DNS qnames, TLS SNIs, HTTP hosts (port dropped), 12 of each ---------------
for k in dns:qname tls:sni http:host; do
	sed -n "/^ \"${k%%:*}\": \[/,/^ \]/p" truth.json |
		sed -n "s/^ *\"${k#*:}\": \"\([^\"]\{1,\}\)\",\{0,1\}\$/\1/p" | sed 's/:[0-9]*$//' |
		awk '!seen[$0]++' | head -n 12
done | awk '!seen[$0]++' >names.planted
[ "$(wc -l <names.planted)" -ge 12 ] || fail "truth file lists too few names"

# --- the addresses of the capture's eligible (外内) traffic ---------------------------------
mkdir all
printf '%s\n%s\n%s\n' "$APP" 'select all4 approval=A1 ip=0.0.0.0/0' 'select all6 approval=A1 ip=::/0' >all/sel.sel
(cd all && "$S" sensor -q -r ../cap.pcap -s sel.sel -o rec.jsonl --pseudonym-key key 2>err.txt) ||
	fail "catch-all run: $(tail -1 all/err.txt)"
addrs all/rec.jsonl >seen.txt
[ "$(wc -l <seen.txt)" -ge 100 ] || fail "catch-all run saw only $(wc -l <seen.txt) addresses"
grep -q ':' seen.txt || fail "catch-all run saw no IPv6 address"
while read -r a; do
	grep -q -x -F "$a" seen.txt || fail "planted $a not seen in 外内 traffic by ip=0.0.0.0/0"
done <planted.foreign

# --- the random indicators (fixed seed), avoiding every seen address ------------------------
# IPv4: addresses, /20../30 prefixes from 1.0.0.0-223.255.255.255 (not 10/8, 127/8);
# IPv6: addresses, /32 /48 /64 prefixes under 2001::-2c0f::. An entry is dropped when it
# covers a seen address (same network at its prefix length).
awk -v n="$NADDR" -v seed="$SEED" '
function v4int(s,   o) { split(s, o, "."); return ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] }
function v4str(x) {
	return sprintf("%d.%d.%d.%d", int(x / 16777216), int(x / 65536) % 256, int(x / 256) % 256, x % 256)
}
function v6expand(s,   h, t, i, nh, nt, out, k) {      # 8 lowercase hextets, no leading zeros
	if (index(s, "::")) {
		nh = split(substr(s, 1, index(s, "::") - 1), h, ":")
		nt = split(substr(s, index(s, "::") + 2), t, ":")
	} else {
		nh = split(s, h, ":"); nt = 0
	}
	out = ""; k = 0
	for (i = 1; i <= nh; i++) { out = out (k++ ? ":" : "") norm(h[i]) }
	for (i = nh + nt; i < 8; i++) { out = out (k++ ? ":" : "") "0" }
	for (i = 1; i <= nt; i++) { out = out (k++ ? ":" : "") norm(t[i]) }
	return out
}
function norm(x) { sub(/^0+/, "", x); return x == "" ? "0" : tolower(x) }
function hx(lo, hi) { return sprintf("%x", lo + int(rand() * (hi - lo + 1))) }
function first(s, k,   p, i, out) {                   # first k hextets of an expanded address
	split(s, p, ":"); out = p[1]
	for (i = 2; i <= k; i++) out = out ":" p[i]
	return out
}
BEGIN {
	while ((getline a < "seen.txt") > 0) {
		if (index(a, ":")) {
			e = v6expand(a)
			for (k = 2; k <= 8; k++) bad6[k, first(e, k)] = 1
		} else {
			x = v4int(a)
			for (p = 20; p <= 32; p++) { m = 2 ^ (32 - p); bad4[p, int(x / m) * m] = 1 }
		}
	}
	srand(seed)
	out = 0; drop = 0
	while (out < n) {
		r = rand()
		if (r < 0.7) {                                 # IPv4
			o1 = 1 + int(rand() * 223)
			if (o1 == 10 || o1 == 127) continue
			x = o1 * 16777216 + int(rand() * 16777216)
			p = rand() < 0.75 ? 32 : 20 + int(rand() * 11)
			m = 2 ^ (32 - p); x = int(x / m) * m
			if ((p, x) in bad4) { drop++; continue }
			print v4str(x) (p == 32 ? "" : "/" p)
		} else {                                       # IPv6
			e = hx(8193, 11279) ":" hx(0, 65535) ":" hx(0, 65535) ":" hx(0, 65535) ":" \
			    hx(0, 65535) ":" hx(0, 65535) ":" hx(0, 65535) ":" hx(0, 65535)
			q = rand(); k = q < 0.7 ? 8 : q < 0.8 ? 2 : q < 0.9 ? 3 : 4
			if ((k, first(e, k)) in bad6) { drop++; continue }
			print (k == 8 ? e : first(e, k) "::/" k * 16)
		}
		out++
	}
	print drop > "random.dropped"
}' >ips.txt || fail "awk could not draw the address list"
cat planted.txt >>ips.txt
[ "$(wc -l <ips.txt)" -eq $((NADDR + $(wc -l <planted.txt))) ] || fail "address list has $(wc -l <ips.txt) lines"

# domains: random labels under common suffixes, a fifth as ".suffix" entries; none equal to a
# name of the truth file or a suffix of one
sed -n -E 's/^ *"(qname|sni|host|helo|mail_from_domain)": "([^"]+)",?$/\2/p' truth.json |
	sed 's/:[0-9]*$//' | sort -u >truth.names
awk -v n="$NDOM" -v seed="$SEED" '
function label(lo, hi,   l, i, s) {
	l = lo + int(rand() * (hi - lo + 1)); s = ""
	for (i = 0; i < l; i++) s = s substr("abcdefghijklmnopqrstuvwxyz0123456789-", 1 + int(rand() * (i && i < l - 1 ? 37 : 36)), 1)
	return s
}
BEGIN {
	while ((getline a < "truth.names") > 0) {
		m = split(a, p, "."); s = p[m]; bad[s] = 1
		for (i = m - 1; i >= 1; i--) { s = p[i] "." s; bad[s] = 1 }
	}
	nt = split("com net org jp co.jp ne.jp or.jp io info biz de uk co.uk ru cn kr br fr nl xyz top online site", tld, " ")
	nw = split("www mail api cdn static img login update m shop news", sub_, " ")
	srand(seed + 1)
	out = 0
	while (out < n) {
		d = label(4, 14) "." tld[1 + int(rand() * nt)]
		if (rand() < 0.5) d = sub_[1 + int(rand() * nw)] "." d
		if (d in bad || d in done) continue
		done[d] = 1
		print (rand() < 0.2 ? "." : "") d
		out++
	}
}' >names.txt || fail "awk could not draw the domain list"
cat names.planted >>names.txt
[ "$(wc -l <names.txt)" -eq $((NDOM + $(wc -l <names.planted))) ] || fail "domain list has $(wc -l <names.txt) lines"

# --- the run -----------------------------------------------------------------------------
mkdir run
mv ips.txt names.txt run/
printf '%s\n%s\n%s\n' "$APP" 'select ips approval=A1 ip-list=ips.txt' \
	'select names approval=A1 domain-list=names.txt' >run/sel.sel
(cd run && "$S" sensor -r ../cap.pcap -s sel.sel -o rec.jsonl --stats stats.json \
	--pseudonym-key key >out.txt 2>err.txt) || fail "sensor with the big lists: $(tail -1 run/err.txt)"
[ -s run/rec.jsonl ] || fail "no records"

# every planted source abroad appears, no bot at home does
addrs run/rec.jsonl >rec.addrs
missing=$(comm -23 planted.foreign rec.addrs | head -3 | paste -s -d' ' -)
[ -z "$missing" ] || fail "planted sources without a record: $missing"
home=$(comm -12 planted.domestic rec.addrs | head -3 | paste -s -d' ' -)
[ -z "$home" ] || fail "domestic bots selected under an agreement approval: $home"

# every record is explained by a planted address or a planted name
awk '
function str(k,   i, s) {
	i = index($0, "\"" k "\":\"")
	if (!i) return ""
	s = substr($0, i + length(k) + 4)
	return substr(s, 1, index(s, "\"") - 1)
}
BEGIN {
	while ((getline a < "planted.txt") > 0) ip[a] = 1
	while ((getline a < "names.planted") > 0) nm[a] = 1
}
{
	sel = substr($0, index($0, "\"selectors\":["))
	sel = substr(sel, 1, index(sel, "]"))
	if (str("direction") != "foreign-domestic" || str("channel") != "agreement") {
		print "record " NR ": " str("channel") " " str("direction"); err = 1; exit 1
	}
	if (index(sel, "\"ips\"")) {
		if (!(str("src_ip") in ip) && !(str("dst_ip") in ip)) {
			print "false ip hit: " str("src_ip") " -> " str("dst_ip"); err = 1; exit 1
		}
		nip++
	}
	if (index(sel, "\"names\"")) {
		ok = 0
		for (k in nm)
			if (index($0, "\"" k "\"") || index($0, "\"" k ":")) { ok = 1; break }
		if (!ok) { print "false name hit: record " NR ": " substr($0, 1, 300); err = 1; exit 1 }
		nname++
	}
	if (!index(sel, "\"ips\"") && !index(sel, "\"names\"")) {
		print "record " NR " names no selector: " sel; err = 1; exit 1
	}
}
END { if (err) exit 1; printf "%d %d %d\n", NR, nip, nname }' run/rec.jsonl >rec.sum || fail "$(cat rec.sum)"
read -r nrec nip nname <rec.sum
[ "$nip" -gt 0 ] && [ "$nname" -gt 0 ] || fail "records: $nip by address, $nname by name"

# --- figures: load of the big set, measured against a one-selector set on a tiny capture -----
if [ -x /usr/bin/time ]; then
	printf '%s\n%s\n' "$APP" 'select one approval=A1 ip=192.0.2.1' >run/one.sel
	for f in one sel; do
		(cd run && /usr/bin/time -f '%e %M' -o "$f.time" "$S" sensor -q -r ../tiny.pcap \
			-s "$f.sel" -o /dev/null --pseudonym-key key 2>/dev/null) ||
			fail "timed run with $f.sel failed"
	done
	read -r t1 m1 <run/one.time
	read -r t2 m2 <run/sel.time
	echo "select_scale: $NADDR addresses + $NDOM domains (+ planted): load $(awk -v a="$t2" -v b="$t1" 'BEGIN { printf "%.2f", a - b }') s," \
		"$(( (m2 - m1) / 1024 )) MB more peak RSS (total ${t2} s, $((m2 / 1024)) MB;" \
		"one selector ${t1} s, $((m1 / 1024)) MB)"
fi
echo "select_scale: $nrec records ($nip by address, $nname by name);" \
	"$(wc -l <planted.foreign) planted sources abroad all found; $(cat random.dropped) random entries redrawn"
exit 0
