#!/bin/sh
# tshark_compare.sh — the extraction engine against Wireshark's dissectors.
#
# Generates a capture with `sakimori gen`, prints what the engine extracts (tests/tools/
# metadump) and what tshark dissects from the same frames, and compares, field by field, the
# multiset of values (sort | uniq -c). Every field must agree. Normalisation, to compare
# fairly:
#   - names the engine lower-cases (DNS names, SNI, Host, HELO name, mail domains) are
#     lower-cased on tshark's side too;
#   - http.request.uri: only the path before '?' (the engine hashes query values, rule 2);
#   - smtp: tshark's command lines are reduced to what the engine reports: the verb
#     (EHLO and HELO both as HELO; MAIL; RCPT), the HELO name, the domain of each address;
#   - DNS only on port 53 (tshark also dissects mDNS/LLMNR with dns.* fields).
#
# Environment: SAKIMORI (build/sakimori), TOOLS (build/tools), WORK (a temporary directory);
# optional PACKETS (default 200000), SEED (default 7), TSHARK_COMPARE_PCAP (compare this
# capture instead of generating one). Exit 0 agree, 77 tshark missing, 1 otherwise.
set -u
LC_ALL=C
export LC_ALL

if ! command -v tshark >/dev/null 2>&1; then
	echo "tshark_compare: tshark is not installed"
	exit 77
fi
: "${TOOLS:?TOOLS must name the build/tools directory}"
WORK=${WORK:-$(mktemp -d)}
PACKETS=${PACKETS:-200000}
SEED=${SEED:-7}
PCAP=${TSHARK_COMPARE_PCAP:-}
TRUTH=

if [ ! -x "$TOOLS/metadump" ]; then
	echo "tshark_compare: $TOOLS/metadump not built"
	exit 1
fi
if [ -z "$PCAP" ]; then
	: "${SAKIMORI:?SAKIMORI must name the sakimori executable}"
	PCAP=$WORK/compare.pcap
	TRUTH=$WORK/compare.json
	if ! "$SAKIMORI" gen --seed "$SEED" --packets "$PACKETS" -o "$PCAP" --truth "$TRUTH"; then
		echo "tshark_compare: sakimori gen failed"
		exit 1
	fi
fi

# ---- the engine
if ! "$TOOLS/metadump" "$PCAP" >"$WORK/ours.tsv" 2>"$WORK/ours.err"; then
	cat "$WORK/ours.err"
	echo "tshark_compare: metadump failed"
	exit 1
fi
cat "$WORK/ours.err"

# ---- tshark: one pass, one line per matching frame, multi-valued fields joined by \037
US=$(printf '\037')
if ! tshark -r "$PCAP" -n \
	-Y '(dns && (udp.port == 53 || tcp.port == 53)) || tls.handshake.type == 1 || http.request || smtp.req' \
	-T fields -E separator=/t -E occurrence=a -E "aggregator=$US" \
	-e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a -e dns.aaaa -e dns.cname \
	-e tls.handshake.extensions_server_name -e tls.handshake.ja3 \
	-e tls.handshake.extensions_alpn_str \
	-e http.request.method -e http.host -e http.user_agent -e http.request.uri \
	-e smtp.command_line \
	>"$WORK/tshark.raw" 2>"$WORK/tshark.err"; then
	cat "$WORK/tshark.err"
	echo "tshark_compare: tshark failed"
	exit 1
fi

awk -F '\t' '
BEGIN {
	n = split("dns.qry.name dns.qry.type dns.flags.rcode dns.a dns.aaaa dns.cname " \
		  "tls.handshake.extensions_server_name tls.handshake.ja3 " \
		  "tls.handshake.extensions_alpn_str http.request.method http.host " \
		  "http.user_agent http.request.uri smtp.command_line", name, " ")
	lower["dns.qry.name"] = lower["dns.cname"] = 1
	lower["tls.handshake.extensions_server_name"] = lower["http.host"] = 1
}
function domain(arg,    a, at) {
	# "FROM:<user@Example.JP>" or "TO:<a@b>": the address between < and >, else the token
	a = arg
	sub(/^[A-Za-z]+:[ ]*/, "", a)
	if (a ~ /^</) {
		sub(/^</, "", a)
		sub(/>.*$/, "", a)
	}
	at = match(a, /@[^@]*$/)
	if (at)
		printf "smtp.domain\t%s\n", tolower(substr(a, at + 1))
}
function smtp(line,    verb, t, k) {
	sub(/(\\r)?\\n$/, "", line)
	k = split(line, t, " ")
	verb = toupper(t[1])
	if (verb == "EHLO" || verb == "HELO") {
		print "smtp.req.command\tHELO"
		if (k >= 2)
			printf "smtp.helo\t%s\n", tolower(t[2])
	} else if (verb == "MAIL" || verb == "RCPT") {
		printf "smtp.req.command\t%s\n", verb
		domain(substr(line, length(t[1]) + 2))
	}
}
{
	for (i = 1; i <= n && i <= NF; i++) {
		if ($i == "")
			continue
		f = name[i]
		if (f == "tls.handshake.extensions_alpn_str") {
			v = $i
			gsub("\037", ",", v)
			printf "%s\t%s\n", f, v
			continue
		}
		k = split($i, vals, "\037")
		for (j = 1; j <= k; j++) {
			v = vals[j]
			if (f == "smtp.command_line") {
				smtp(v)
				continue
			}
			if (f == "http.request.uri") {
				f2 = "http.request.uri.path"
				sub(/\?.*$/, "", v)
				printf "%s\t%s\n", f2, v
				continue
			}
			if (f in lower)
				v = tolower(v)
			printf "%s\t%s\n", f, v
		}
	}
}' "$WORK/tshark.raw" >"$WORK/tshark.tsv"

# ---- compare, field by field
fail=0
for f in dns.qry.name dns.qry.type dns.flags.rcode dns.a dns.aaaa dns.cname \
	tls.handshake.extensions_server_name tls.handshake.ja3 tls.handshake.extensions_alpn_str \
	http.request.method http.host http.user_agent http.request.uri.path \
	smtp.req.command smtp.helo smtp.domain; do
	awk -F '\t' -v f="$f" '$1 == f { sub(/^[^\t]*\t/, ""); print }' "$WORK/ours.tsv" |
		sort | uniq -c >"$WORK/a.cnt"
	awk -F '\t' -v f="$f" '$1 == f { sub(/^[^\t]*\t/, ""); print }' "$WORK/tshark.tsv" |
		sort | uniq -c >"$WORK/b.cnt"
	na=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/a.cnt")
	nb=$(awk '{ s += $1 } END { print s + 0 }' "$WORK/b.cnt")
	if cmp -s "$WORK/a.cnt" "$WORK/b.cnt"; then
		echo "$f: $na values, agree"
	else
		echo "$f: DIFFER (sakimori $na values, tshark $nb); first differences (< sakimori, > tshark):"
		diff "$WORK/a.cnt" "$WORK/b.cnt" | grep '^[<>]' | head -n 10
		fail=1
	fi
done

# The comparison must not be vacuous: each protocol has to be there.
for f in dns.qry.name tls.handshake.ja3 http.request.method smtp.req.command; do
	if ! grep -q "^$f	" "$WORK/ours.tsv"; then
		echo "tshark_compare: no $f values at all in the capture"
		fail=1
	fi
done

# Rule 1/2: none of the planted secrets may appear in what the engine reports.
if [ -n "$TRUTH" ] && [ -f "$TRUTH" ]; then
	if command -v jq >/dev/null 2>&1; then
		jq -r '.secrets[]' "$TRUTH" >"$WORK/secrets.txt"
	else
		grep -o 'SECRET-[A-Za-z0-9]*' "$TRUTH" | sort -u >"$WORK/secrets.txt"
	fi
	if [ -s "$WORK/secrets.txt" ] && grep -F -q -f "$WORK/secrets.txt" "$WORK/ours.tsv"; then
		echo "tshark_compare: a planted secret appears in the extracted values:"
		grep -F -f "$WORK/secrets.txt" "$WORK/ours.tsv" | head -n 3
		fail=1
	else
		echo "secrets: $(wc -l <"$WORK/secrets.txt") planted, none in the extracted values"
	fi
fi

exit $fail
