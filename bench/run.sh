#!/bin/sh
# bench/run.sh — the sensor against the ceiling and the tools people use today, one machine,
# one input, one table (docs/bench.md says what each row means).
#
#   sh bench/run.sh            (or `make bench`)
#
# Environment:
#   BENCH_PACKETS  packets in the generated capture (default 5000000)
#   BENCH_RUNS     runs per row of the peers, (d) to (f) (default 3)
#   BENCH_ROUNDS   rounds of rows (a) to (c), one run of each per round (default 5)
#   The table shows the median packets/s of each row's runs.
#   SAKIMORI       a sakimori executable to use instead of building build/sakimori
#   BENCH_DIR      work directory (default build/bench); everything is written there
#
# Steps: install the peers if missing (tcpdump, libndpi-bin, nfdump, time), build sakimori and
# bench/ceiling.c, generate the capture and its truth file, generate the indicator set
# (1,000,000 addresses/prefixes, 100,000 domains, 1,000 patterns, the truth file's scanner
# and Mirai sources and a few names and patterns of the capture planted among them), run every
# row (rows (a) to (c) in BENCH_ROUNDS rounds, one run of each per round; the peers
# BENCH_RUNS times each), print the table as markdown and write it to BENCH_DIR/results.md.
# Not part of `make test`: these are figures, not verdicts.
# Word splitting of the run lists ($ts, $ms) is intended.
# shellcheck disable=SC2086
set -u
LC_ALL=C
export LC_ALL
cd "$(dirname "$0")/.." || exit 1

N=${BENCH_PACKETS:-5000000}
RUNS=${BENCH_RUNS:-3}
ROUNDS=${BENCH_ROUNDS:-5}
B=${BENCH_DIR:-build/bench}
TIMEOUT_COMPILE=${BENCH_COMPILE_TIMEOUT:-120}

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "$*"; exit 1; }

case $N in ''|*[!0-9]*) die "BENCH_PACKETS must be a number" ;; esac
case $RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS must be a number >= 1" ;; esac
case $ROUNDS in ''|*[!0-9]*|0) die "BENCH_ROUNDS must be a number >= 1" ;; esac
mkdir -p "$B" || die "cannot create $B"

# --- tools -----------------------------------------------------------------------------------
need_pkgs=
command -v tcpdump >/dev/null 2>&1 || need_pkgs="$need_pkgs tcpdump"
command -v ndpiReader >/dev/null 2>&1 || need_pkgs="$need_pkgs libndpi-bin"
command -v nfpcapd >/dev/null 2>&1 || need_pkgs="$need_pkgs nfdump"
[ -x /usr/bin/time ] || need_pkgs="$need_pkgs time"
if [ -n "$need_pkgs" ]; then
	say "installing:$need_pkgs"
	if [ "$(id -u)" = 0 ]; then
		SUDO=
	elif command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		SUDO=none
	fi
	if [ "$SUDO" != none ]; then
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $need_pkgs >"$B/apt.log" 2>&1 ||
			{ $SUDO apt-get update -q >>"$B/apt.log" 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $need_pkgs \
				>>"$B/apt.log" 2>&1; } ||
			say "apt-get failed (see $B/apt.log); rows of missing tools say n/a"
	else
		say "not root and no sudo: rows of missing tools say n/a"
	fi
fi
[ -x /usr/bin/time ] || die "/usr/bin/time (Debian package time) is needed for peak memory"
command -v pkg-config >/dev/null 2>&1 || die "pkg-config is needed"

# --- build -----------------------------------------------------------------------------------
if [ -n "${SAKIMORI:-}" ]; then
	S=$SAKIMORI
else
	make --no-print-directory build/sakimori >"$B/make.log" 2>&1 ||
		die "make failed (see $B/make.log)"
	S=build/sakimori
fi
[ -x "$S" ] || die "no sakimori executable at $S"
# shellcheck disable=SC2046
cc -O2 bench/ceiling.c $(pkg-config --cflags --libs libpcap) -o "$B/ceiling" ||
	die "cannot build bench/ceiling.c"

# --- input -----------------------------------------------------------------------------------
CAP=$B/capture-$N.pcap
TRUTH=$B/truth-$N.json
if [ ! -s "$CAP" ] || [ ! -s "$TRUTH" ]; then
	say "generating $N packets into $CAP"
	"$S" gen --seed 1 --packets "$N" -o "$CAP" --truth "$TRUTH" >"$B/gen.log" 2>&1 ||
		die "gen failed: $(cat "$B/gen.log")"
fi
CAP_BYTES=$(wc -c <"$CAP")
ONE=$B/one.pcap
"$S" gen --seed 1 --packets 1 -o "$ONE" >/dev/null 2>&1 || die "cannot generate $ONE"

# Planted addresses: the sources of the truth file's scans and Mirai SYNs (IPv4 or IPv6).
awk '
	/^ "scans": \[/ || /^ "mirai": \[/ { on = 1; next }
	/^ "[a-z_]+":/ { on = 0 }
	on && /"src":/ { s = $0; sub(/.*"src": "/, "", s); sub(/".*/, "", s); print s }
' "$TRUTH" | sort -u >"$B/planted-ips.txt"
NPLANT=$(wc -l <"$B/planted-ips.txt")
[ "$NPLANT" -gt 0 ] || die "no scanner or Mirai sources in $TRUTH"

# The indicator set. Fixed seed: the same files for the same capture.
#   ips.txt      1,000,000 lines: the planted sources first, then IPv4 /32 (60 %), IPv4 /24../28
#                prefixes (15 %), IPv6 /128 (20 %), IPv6 /48 prefixes (5 %)
#   domains.txt  100,000 lines: planted suffixes of the capture's names, then made-up names,
#                one in five a suffix form (.name)
#   selectors    an agreement and a transit approval over the capture's time; 1,000 Hyperscan
#                patterns over the six match= fields, four of them planted (two names, two
#                channels)
awk -v seed=11 -v total=1000000 -v planted="$B/planted-ips.txt" '
	function r(n) { return int(rand() * n) }
	BEGIN {
		srand(seed)
		n = 0
		while ((getline a < planted) > 0) { print a; n++ }
		left = total - n
		v4 = int(left * 0.60); p4 = int(left * 0.15); v6 = int(left * 0.20)
		p6 = left - v4 - p4 - v6
		for (i = 0; i < v4; i++)
			printf "%d.%d.%d.%d\n", 1 + r(222), r(256), r(256), 1 + r(254)
		for (i = 0; i < p4; i++) {
			plen = 24 + r(5)
			step = 2 ^ (32 - plen)
			printf "%d.%d.%d.%d/%d\n", 1 + r(222), r(256), r(256), int(r(256) / step) * step, plen
		}
		for (i = 0; i < v6; i++)
			printf "%x:%x:%x:%x:%x:%x:%x:%x\n", 8192 + r(4096), r(65536), r(65536), r(65536),
			       r(65536), r(65536), r(65536), 1 + r(65535)
		for (i = 0; i < p6; i++)
			printf "%x:%x:%x::/48\n", 8192 + r(4096), r(65536), r(65536)
	}' >"$B/ips.txt"

printf '%s\n' .gamezone.kr .cdn-telemetry.net >"$B/planted-domains.txt"
awk -v seed=12 -v total=100000 -v planted="$B/planted-domains.txt" '
	function r(n) { return int(rand() * n) }
	function word(len,   s, i) {
		s = ""
		for (i = 0; i < len; i++) s = s substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + r(36), 1)
		return s
	}
	BEGIN {
		srand(seed)
		split("com net org info biz ru cn io xyz top kr de br in co.uk com.br online site", tld, " ")
		nt = 18
		n = 0
		while ((getline d < planted) > 0) { print d; n++ }
		for (i = n; i < total; i++) {
			name = word(6 + r(10)) "." tld[1 + r(nt)]
			if (r(5) == 0) print "." name
			else if (r(2)) print word(3 + r(4)) "." name
			else print name
		}
	}' >"$B/domains.txt"

{
	echo "# bench/run.sh: generated indicator set (1,000,000 addresses/prefixes, 100,000 domains,"
	echo "# 1,000 patterns) under one agreement and one transit approval over the capture's time."
	echo "approval BENCH-A channel=agreement from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z"
	echo "approval BENCH-T channel=transit from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z"
	echo "select ind-ip approval=BENCH-A ip-list=ips.txt"
	echo "select ind-dom approval=BENCH-A domain-list=domains.txt"
	echo "select ind-dom-t approval=BENCH-T domain-list=planted-domains.txt"
	echo 'select pat-ua-a approval=BENCH-A match=http.user_agent~/python-requests\/[0-9.]+/'
	echo 'select pat-ua-t approval=BENCH-T match=http.user_agent~/python-requests\/[0-9.]+/'
	echo 'select pat-helo-a approval=BENCH-A match=smtp.helo~/^mail\.gamezone\.kr$/i'
	echo 'select pat-helo-t approval=BENCH-T match=smtp.helo~/^mail\.gamezone\.kr$/i'
	awk -v seed=13 '
		function r(n) { return int(rand() * n) }
		function word(len,   s, i) {
			s = ""
			for (i = 0; i < len; i++) s = s substr("abcdefghijklmnopqrstuvwxyz", 1 + r(26), 1)
			return s
		}
		BEGIN {
			srand(seed)
			split("http.user_agent http.user_agent http.user_agent http.uri http.uri http.host tls.sni dns.qname smtp.helo", f, " ")
			for (i = 0; i < 996; i++) {
				fld = f[1 + r(9)]
				k = r(4)
				if (fld == "http.user_agent")
					re = (k == 0) ? "^" word(5) "bot\\/[0-9]+\\.[0-9]+" : \
					     (k == 1) ? word(4) "-(scan|crawl)er-" word(3) : \
					     (k == 2) ? "Mozilla\\/5\\.0 \\(compatible; ?" word(6) : word(8) "[0-9]{2,4}"
				else if (fld == "http.uri")
					re = (k < 2) ? "\\.(php|cgi|asp)\\?" word(5) "=" : word(7) "\\/(shell|cmd|exec)"
				else if (fld == "smtp.helo")
					re = "^(mail|smtp|mx)[0-9]*\\." word(7) "\\."
				else
					re = (k < 2) ? "^[a-z0-9]{16,}\\." word(6) "\\." : word(5) "-" word(4) "\\.(top|xyz|info)$"
				gsub(/ /, "\\x20", re)
				printf "select pat%04d approval=%s match=%s~/%s/%s\n", i, (r(2) ? "BENCH-A" : "BENCH-T"), \
				       fld, re, (r(3) == 0 ? "i" : "")
			}
		}'
} >"$B/bench.sel"
NSELIPS=$(wc -l <"$B/ips.txt")
NSELDOM=$(wc -l <"$B/domains.txt")
NPAT=$(grep -c 'match=' "$B/bench.sel")
say "indicators: $NSELIPS addresses/prefixes ($NPLANT planted), $NSELDOM domains, $NPAT patterns"

# --- measuring -------------------------------------------------------------------------------
# timed TAG CMD...: run CMD, its output in $B/TAG.out/.err; T = wall seconds, M = peak RSS (KB).
timed() {
	tag=$1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -v -o "$B/$tag.time" "$@" >"$B/$tag.out" 2>"$B/$tag.err"
	rc=$?
	t1=$(date +%s%N)
	T=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
	M=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$B/$tag.time")
	printf '%s\t%s s\t%s KB\t%s CPU\texit %s\n' "$tag" "$T" "$M" \
		"$(awk -F': ' '/Percent of CPU/ { print $2 }' "$B/$tag.time")" "$rc" >>"$B/runs.txt"
	return $rc
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	if (NR == 0) print "0"; else if (NR % 2) print v[(NR + 1) / 2];
	else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
pps() { awk -v n="$1" -v t="$2" 'BEGIN { if (t > 0) printf "%.0f", n / t; else print "n/a" }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
ratio() { awk -v a="$1" -v c="$2" 'BEGIN { if (c > 0 && a != "n/a") printf "%.3f", a / c; else print "n/a" }'; }
sub_t() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a - b }'; }
fmt() { awk -v v="$1" 'BEGIN { if (v == "n/a") print v; else {
	s = sprintf("%.0f", v); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o;
	s = substr(s, 1, length(s) - 3) } print s o } }'; }

ROWS=$B/rows.md
: >"$ROWS"
: >"$B/runs.txt"
row() { printf '| %s | %s | %s | %s | %s | %s |\n' "$@" >>"$ROWS"; }

# Rows (a) to (c) run in rounds, one run of each row per round, so that the runs of every
# row see the same states of the machine: on a shared VM the same command's time moves by
# tens of per cent over minutes, and the goals are ratios between these rows.
CORES=$(nproc 2>/dev/null || echo 1)
HAVE_W=0
"$S" sensor -h 2>&1 | grep -q -- '-w N' && HAVE_W=1
c_ts=; c_ms=; c2_ts=; c2_ms=; su=; su0=; sk_ts=; sk_ms=; w_ts=; w_ms=
i=0
while [ $i -lt "$ROUNDS" ]; do
	say "round $((i + 1)) of $ROUNDS: ceiling, reader, sensor start-up, sensor, sensor -w $CORES"
	# (a) the ceiling
	timed ceiling "$B/ceiling" "$CAP" || die "ceiling failed: $(cat "$B/ceiling.err")"
	c_ts="$c_ts $T"
	c_ms="$c_ms $M"
	# (a') the same without libpcap: 1 MiB pread chunks walked in place, as the sensor reads
	# a classic pcap file. Not the issue's ceiling; shown so that the sensor's ratio is not
	# read as if it came only from its own work.
	timed ceiling-chunks "$B/ceiling" --chunks "$CAP" || die "ceiling --chunks failed: $(cat "$B/ceiling-chunks.err")"
	c2_ts="$c2_ts $T"
	c2_ms="$c2_ms $M"
	# (b) start-up on a 1-packet capture: with the selectors (database + indicators) and
	# without (database only); the indicator load time is the difference of the medians.
	timed sk-start "$S" sensor -q -r "$ONE" -s "$B/bench.sel" -o "$B/one.jsonl" \
		--pseudonym-key "$B/pseudonym.key" || die "sensor start-up failed: $(cat "$B/sk-start.err")"
	su="$su $T"
	timed sk-start0 "$S" sensor -q -r "$ONE" || die "sensor failed: $(cat "$B/sk-start0.err")"
	su0="$su0 $T"
	# (b) sakimori sensor, one worker, the full indicator set
	timed sk "$S" sensor -q -r "$CAP" -s "$B/bench.sel" -o "$B/records.jsonl" \
		--stats "$B/stats.json" --pseudonym-key "$B/pseudonym.key" ||
		die "sensor failed: $(cat "$B/sk.err")"
	sk_ts="$sk_ts $T"
	sk_ms="$sk_ms $M"
	# (c) as many workers as cores (-w $(nproc)), sharing blocks of the capture, each keeping
	# the flows whose endpoints hash to it (docs/sensor.md, "Workers")
	if [ $HAVE_W = 1 ]; then
		timed skw "$S" sensor -q -w "$CORES" -r "$CAP" -s "$B/bench.sel" \
			-o "$B/records-w.jsonl" --pseudonym-key "$B/pseudonym.key" ||
			die "sensor -w $CORES failed: $(cat "$B/skw.err")"
		w_ts="$w_ts $T"
		w_ms="$w_ms $M"
	fi
	i=$((i + 1))
done

C_T=$(median $c_ts)
C_PPS=$(pps "$N" "$C_T")
row "(a) ceiling: libpcap loop, touch one byte" "$(fmt "$C_PPS")" "1.000" "$(mib "$(maxof $c_ms)")" "—" "n/a (no matching)"
say "ceiling: $C_PPS packets/s"

C2_PPS=$(pps "$N" "$(median $c2_ts)")
row "(a') reader without libpcap: 1 MiB pread chunks, touch one byte" "$(fmt "$C2_PPS")" "$(ratio "$C2_PPS" "$C_PPS")" "$(mib "$(maxof $c2_ms)")" "—" "n/a (no matching)"
say "ceiling without libpcap: $C2_PPS packets/s"

SK_START=$(median $su)
SK_START0=$(median $su0)
SK_LOAD=$(sub_t "$SK_START" "$SK_START0")
SK_T=$(median $sk_ts)
SK_PPS=$(pps "$N" "$SK_T")
SK_PPS_ADJ=$(pps "$N" "$(sub_t "$SK_T" "$SK_START")")
# Planted hits: every planted source appears as an endpoint of a record; and the planted
# domain and pattern selectors each produced a record.
awk '{ s = $0; while (match(s, /"(src|dst)_ip":"[^"]*"/)) { v = substr(s, RSTART, RLENGTH);
	sub(/^"(src|dst)_ip":"/, "", v); sub(/"$/, "", v); print v; s = substr(s, RSTART + RLENGTH) } }' \
	"$B/records.jsonl" | sort -u >"$B/sk-endpoints.txt"
SK_FOUND=$(comm -12 "$B/planted-ips.txt" "$B/sk-endpoints.txt" | wc -l)
SK_RECS=$(wc -l <"$B/records.jsonl")
sel_hit=
for id in ind-dom ind-dom-t pat-ua-a pat-ua-t pat-helo-a; do
	grep -q "\"$id\"" "$B/records.jsonl" || sel_hit="$sel_hit $id"
done
if [ "$SK_FOUND" -eq "$NPLANT" ] && [ -z "$sel_hit" ]; then
	SK_HITS="yes: $SK_FOUND/$NPLANT planted sources; planted names and patterns selected"
else
	SK_HITS="NO: $SK_FOUND/$NPLANT planted sources${sel_hit:+; no record from$sel_hit}"
fi
row "(b) \`sakimori sensor\`, 1 worker, full set: raw / start-up adjusted" \
	"$(fmt "$SK_PPS") / $(fmt "$SK_PPS_ADJ")" \
	"$(ratio "$SK_PPS" "$C_PPS") / $(ratio "$SK_PPS_ADJ" "$C_PPS")" \
	"$(mib "$(maxof $sk_ms)")" "${SK_LOAD} s (start-up ${SK_START} s)" "$SK_HITS"
say "sakimori: $SK_PPS packets/s raw, $SK_PPS_ADJ adjusted; $SK_RECS records"

# (c): the scaling ratio is (c) over (b), start-up adjusted.
if [ $HAVE_W = 1 ]; then
	W_T=$(median $w_ts)
	W_PPS=$(pps "$N" "$W_T")
	W_ADJ=$(pps "$N" "$(sub_t "$W_T" "$SK_START")")
	awk '{ s = $0; while (match(s, /"(src|dst)_ip":"[^"]*"/)) { v = substr(s, RSTART, RLENGTH);
		sub(/^"(src|dst)_ip":"/, "", v); sub(/"$/, "", v); print v; s = substr(s, RSTART + RLENGTH) } }' \
		"$B/records-w.jsonl" | sort -u >"$B/skw-endpoints.txt"
	W_FOUND=$(comm -12 "$B/planted-ips.txt" "$B/skw-endpoints.txt" | wc -l)
	W_SCALE=$(ratio "$W_ADJ" "$SK_PPS_ADJ")
	# the workers must write what one worker writes (as a set: the order of lines differs)
	if [ "$(sort "$B/records.jsonl" | cksum)" = "$(sort "$B/records-w.jsonl" | cksum)" ]; then
		W_SAME="the same records as (b)"
	else
		W_SAME="records DIFFER from (b)"
	fi
	row "(c) \`sakimori sensor\`, $CORES workers: raw / start-up adjusted (×$W_SCALE of (b))" \
		"$(fmt "$W_PPS") / $(fmt "$W_ADJ")" \
		"$(ratio "$W_PPS" "$C_PPS") / $(ratio "$W_ADJ" "$C_PPS")" \
		"$(mib "$(maxof $w_ms)")" "as (b)" "$W_FOUND/$NPLANT planted sources; $W_SAME"
else
	row "(c) \`sakimori sensor\`, $CORES workers" "n/a (this sensor has no -w N)" "n/a" "n/a" "n/a" "n/a"
fi

# (d) tcpdump with a BPF filter of 1,000 indicator hosts (the planted sources first, up to
# half of them, then /32 addresses of the list); compile times at 1k and 5k measured apart.
if command -v tcpdump >/dev/null 2>&1; then
	hosts() {
		{ head -n "$(($1 / 2))" "$B/planted-ips.txt"; grep -v / "$B/ips.txt" | tail -n +"$((NPLANT + 1))"; } |
			head -n "$1" | awk 'NR > 1 { printf " or " } { printf "host %s", $1 } END { print "" }'
	}
	hosts 1000 >"$B/bpf-1k.txt"
	hosts 5000 >"$B/bpf-5k.txt"
	head -n 500 "$B/planted-ips.txt" | sort -u >"$B/bpf-planted.txt"
	NBPFPLANT=$(wc -l <"$B/bpf-planted.txt")
	compile() { # compile FILTER-FILE [-O]: sets CT to seconds or "did not compile in 120 s"
		t0=$(date +%s%N)
		if timeout "$TIMEOUT_COMPILE" tcpdump ${2:-} -r "$ONE" -d -F "$1" >"$B/bpf.d" 2>/dev/null; then
			t1=$(date +%s%N)
			CT=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", (b - a) / 1e9 }')
			CT="$CT ($(wc -l <"$B/bpf.d") BPF instructions)"
		else
			CT="did not compile in $TIMEOUT_COMPILE s"
		fi
	}
	compile "$B/bpf-1k.txt"; BPF1K=$CT
	compile "$B/bpf-5k.txt"; BPF5K=$CT
	compile "$B/bpf-1k.txt" -O; BPF1K_O=$CT
	compile "$B/bpf-5k.txt" -O; BPF5K_O=$CT
	say "tcpdump compile: 1k $BPF1K, 5k $BPF5K; optimizer off: 1k $BPF1K_O, 5k $BPF5K_O"
	BPF1K_S=$(printf '%s\n' "$BPF1K" | awk '{ print $1 }')
	ts=
	ms=
	i=0
	while [ $i -lt "$RUNS" ]; do
		timed tcpdump tcpdump -n -r "$CAP" -w "$B/tcpdump-hits.pcap" -F "$B/bpf-1k.txt" ||
			die "tcpdump failed: $(cat "$B/tcpdump.err")"
		ts="$ts $T"
		ms="$ms $M"
		i=$((i + 1))
	done
	TD_T=$(median $ts)
	TD_PPS=$(pps "$N" "$TD_T")
	case $BPF1K_S in
	[0-9]*) TD_ADJ=$(pps "$N" "$(sub_t "$TD_T" "$BPF1K_S")"); TD_LOAD="$BPF1K_S s (BPF compile)" ;;
	*) TD_ADJ=n/a; TD_LOAD="BPF $BPF1K" ;;
	esac
	tcpdump -n -t -r "$B/tcpdump-hits.pcap" 2>/dev/null |
		awk '{ for (i = 1; i <= NF; i++) if ($i == ">") { print $(i - 1); print $(i + 1) } }' |
		sed 's/:$//; s/\.[0-9]*$//' | sort -u >"$B/tcpdump-endpoints.txt"
	TD_FOUND=$(comm -12 "$B/bpf-planted.txt" "$B/tcpdump-endpoints.txt" | wc -l)
	if [ "$TD_FOUND" -eq "$NBPFPLANT" ]; then
		TD_HITS="yes: $TD_FOUND/$NBPFPLANT planted sources in its filter (of $NPLANT)"
	elif [ "$TD_FOUND" -gt 0 ]; then
		TD_HITS="partly: $TD_FOUND/$NBPFPLANT planted sources in its filter (of $NPLANT)"
	else
		TD_HITS="no: 0/$NBPFPLANT planted sources in its filter (of $NPLANT)"
	fi
	row "(d) \`tcpdump -r -w\`, BPF of 1,000 hosts: raw / compile adjusted" \
		"$(fmt "$TD_PPS") / $(fmt "$TD_ADJ")" \
		"$(ratio "$TD_PPS" "$C_PPS") / $(ratio "$TD_ADJ" "$C_PPS")" \
		"$(mib "$(maxof $ms)")" "$TD_LOAD" "$TD_HITS"
else
	BPF1K="n/a"; BPF5K="n/a"; BPF1K_O="n/a"; BPF5K_O="n/a"
	row "(d) tcpdump" "n/a (not installed)" "n/a" "n/a" "n/a" "n/a"
fi

# (e) ndpiReader, (f) nfpcapd: throughput peers without indicators.
peer() { # peer LABEL TAG CMD...
	label=$1
	tag=$2
	shift 2
	ts=
	ms=
	i=0
	while [ $i -lt "$RUNS" ]; do
		rm -rf "$B/nfdir" && mkdir -p "$B/nfdir"
		if ! timed "$tag" "$@"; then
			row "$label" "failed (see $B/$tag.err)" "n/a" "n/a" "—" "n/a"
			return
		fi
		ts="$ts $T"
		ms="$ms $M"
		i=$((i + 1))
	done
	P_T=$(median $ts)
	P_PPS=$(pps "$N" "$P_T")
	row "$label" "$(fmt "$P_PPS")" "$(ratio "$P_PPS" "$C_PPS")" "$(mib "$(maxof $ms)")" "—" \
		"n/a (no indicator matching)"
	say "$tag: $P_PPS packets/s"
}
if command -v ndpiReader >/dev/null 2>&1; then
	peer "(e) \`ndpiReader -i -q\` (nDPI $(ndpiReader -h 2>&1 | awk '/Welcome to nDPI/ { print $4; exit }'))" \
		ndpi ndpiReader -i "$CAP" -q
else
	row "(e) ndpiReader" "n/a (not installed)" "n/a" "n/a" "n/a" "n/a"
fi
if command -v nfpcapd >/dev/null 2>&1; then
	peer "(f) \`nfpcapd -r -w\` (nfdump flows)" nfpcapd nfpcapd -r "$CAP" -w "$B/nfdir"
else
	row "(f) nfpcapd" "n/a (not installed)" "n/a" "n/a" "n/a" "n/a"
fi

# --- the table -------------------------------------------------------------------------------
{
	echo "## sakimori bench: $(fmt "$N") packets, $(awk -v b="$CAP_BYTES" 'BEGIN { printf "%.0f MB", b / 1e6 }'), median of $ROUNDS rounds (rows a-c) and $RUNS runs (d-f)"
	echo
	echo "Machine: $CORES cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr); input: \`sakimori gen --seed 1 --packets $N\` (in the page cache)."
	echo "Indicators: $(fmt "$NSELIPS") addresses/prefixes ($NPLANT planted: the scanner and Mirai sources of the truth file), $(fmt "$NSELDOM") domains, $(fmt "$NPAT") patterns (Hyperscan); 1 agreement + 1 transit approval."
	echo
	echo "| row | packets/s | ratio to ceiling | peak RSS | indicator load | planted hits found |"
	echo "| --- | ---: | ---: | ---: | --- | --- |"
	cat "$ROWS"
	echo
	echo "Notes:"
	echo "- packets/s = packets / wall seconds of the whole process, median of the runs; peak RSS = largest \"Maximum resident set size\" (\`/usr/bin/time -v\`) of the runs."
	echo "- (b) raw counts the sensor's fixed start-up; adjusted subtracts it. Start-up = median wall time of \`sakimori sensor\` on a 1-packet capture with the same selectors ($SK_START s: location database, pseudonym key and indicator load); indicator load = that minus the same run without selectors ($SK_START0 s)."
	echo "- (d) compile adjusted subtracts the BPF compile time of the 1,000-host filter. Compile (\`tcpdump -d -F\`, optimizer on): 1,000 hosts $BPF1K; 5,000 hosts $BPF5K. Optimizer off (\`-O\`): 1,000 hosts $BPF1K_O; 5,000 hosts $BPF5K_O. A BPF filter holds only a sliver of the indicator set: at most half of its hosts are planted sources. \`host\` does not look past an 802.1Q/QinQ tag (that takes \`vlan and ...\`, a second copy of the filter), so planted sources seen only in tagged frames are missed."
	echo "- (e) and (f) do no indicator matching; they are throughput peers (protocol detection, flow building). nfpcapd 1.7.1 skips QinQ (0x88a8) frames."
	echo "- sakimori: $SK_RECS records written. Every run (wall time, peak RSS, CPU share): $B/runs.txt."
} >"$B/results.md"
cat "$B/results.md"
