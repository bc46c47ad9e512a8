#!/bin/sh
# hub_api.sh — the hub's API over loopback with a real HTTP client (curl), issue 5:
#   - tokens and an organisation made with `sakimori admin` while the hub runs;
#   - bad input gets the right 4xx with {"error": "..."} and changes nothing (documents counted
#     through the API, audit size from the signed tree head, before and after):
#     malformed JSON, wrong types, duplicate keys (400), a body where none belongs (400),
#     oversized bodies by Content-Length and chunked (413), unknown routes (404), wrong method
#     (405), a role not in the route (403), forged and malformed tokens (401);
#   - no token at all is the public role, not an error: public routes answer 200, protected
#     ones 403 (401 is kept for credentials that were presented and are wrong);
#   - a real flow: org, operator token, asset notification, forward, incident report, written
#     report, corrective order and its status, sensor records, an audited read;
#   - the hub stops on SIGTERM with status 0 and `sakimori audit verify` passes on the stored log;
#   - restarted with --retention 1s --sweep 1s, its retention thread deletes the new records
#     (the older ones stay) and logs the deletion as "hub-retention"; the log still verifies.
# Environment: SAKIMORI, WORK. Needs curl and jq. Exit 0 pass, 1 fail (one line), 77 skip.
TEST=hub_api
. "$(dirname "$0")/lib/prelude.sh"
[ -x "$S" ] || fail "no executable at $S"
command -v curl >/dev/null 2>&1 || { echo "curl is not installed"; exit 77; }
command -v jq >/dev/null 2>&1 || { echo "jq is not installed"; exit 77; }

HUB_PID=
cleanup() {
	if [ -n "$HUB_PID" ]; then
		kill "$HUB_PID" 2>/dev/null
		wait "$HUB_PID" 2>/dev/null
	fi
}
trap cleanup EXIT

. "$LIB/hub.sh"

# req TOKEN METHOD PATH [BODY]: prints the status; the response body is in resp.json.
# TOKEN "" sends no Authorization header; a BODY starting with @ names a file.
req() {
	_tok=$1 _m=$2 _p=$3
	_data=
	if [ $# -ge 4 ]; then
		case $4 in
		@*) _data=$4 ;;
		*) printf '%s' "$4" >req.body; _data=@req.body ;;
		esac
	fi
	set -- -s --path-as-is -o resp.json -w '%{http_code}' -X "$_m" -H 'Content-Type: application/json'
	[ -n "$_tok" ] && set -- "$@" -H "Authorization: Bearer $_tok"
	[ -n "$_data" ] && set -- "$@" --data-binary "$_data"
	curl "$@" "$BASE$_p" || echo 000
}

# expect CODE TOKEN METHOD PATH [BODY]: the status must be CODE; an error must be {"error": "..."}.
expect() {
	_want=$1
	shift
	_got=$(req "$@")
	[ "$_got" = "$_want" ] || fail "$2 $3: status $_got, want $_want: $(head -c 300 resp.json)"
	case $_want in
	4*|5*)
		jq -e 'type == "object" and length == 1 and (.error | type == "string" and length > 0)' \
			resp.json >/dev/null 2>&1 || fail "$2 $3: error body is not {\"error\": ...}: $(head -c 300 resp.json)"
		;;
	esac
}

# snapshot: documents visible through the API, then the audit log's size, one line. The read
# of records in it is audited, so each snapshot adds one entry of its own.
snapshot() {
	_s=""
	for _p in orgs assets notifications incidents orders; do
		expect 200 "$MIN" GET "/api/v1/$_p?limit=1000"
		_s="$_s $_p=$(jq "[.[] | arrays | length] | add" resp.json)"
	done
	expect 200 "$CAB" GET "/api/v1/orgs?limit=1000"
	_s="$_s cab_orgs=$(jq '.orgs | length' resp.json)"
	expect 200 "$COM" GET "/api/v1/records?limit=1000"
	_s="$_s records=$(jq "[.[] | arrays | length] | add" resp.json)"
	expect 200 "$COM" GET /api/v1/audit/sth
	echo "$_s audit=$(jq .tree_size resp.json)"
}

# --- organisation and tokens through the admin CLI, the hub running -----------------------------
"$S" admin org add org-a --sector electricity --name "A Electric Power" --dir hub >admin.out 2>admin.err ||
	fail "admin org add: $(cat admin.err)"
start_hub hub --threads 2
grep -q 'audit log 1 entries' hub.out || fail "start line: $(cat hub.out)"

tok() { "$S" admin token create --dir hub "$@" 2>>admin.err || fail "admin token create $*: $(cat admin.err)"; }
CAB=$(tok --role cabinet --label cabinet-1)
MIN=$(tok --role ministry --sector electricity,gas --label meti-1)
OPA=$(tok --role operator --org org-a --label org-a-soc)
SEN=$(tok --role sensor --label sensor-tokyo-1)
COM=$(tok --role commission --label commission-1)
for t in "$CAB" "$MIN" "$OPA" "$SEN" "$COM"; do
	case $t in skm_???????????????????????????????????????????) ;; *) fail "token format: $t" ;; esac
done
"$S" admin token create --dir hub --role operator --org org-none >/dev/null 2>&1 &&
	fail "an operator token for an unregistered organisation was made"
"$S" admin token list --dir hub >list.out 2>/dev/null || fail "admin token list"
grep -q '^commission-1 ' list.out || fail "token list lacks commission-1: $(cat list.out)"
for t in "$CAB" "$MIN" "$OPA" "$SEN" "$COM"; do
	grep -rqF "$t" list.out hub && fail "a token secret is stored or listed"
done

expect 200 "$OPA" GET /api/v1/whoami
[ "$(jq -r '.role + " " + .id + " " + .org' resp.json)" = "operator org-a-soc org-a" ] ||
	fail "whoami: $(cat resp.json)"

# --- bad input changes nothing --------------------------------------------------------------------
snapshot >snap.before
before=$(cat snap.before)
expect 400 "$CAB" POST /api/v1/orgs '{"id":"org-x","name":'
expect 400 "$CAB" POST /api/v1/orgs '[1,2,3]'
expect 400 "$CAB" POST /api/v1/orgs '{"id":7,"name":["A"],"sector":"electricity"}'
expect 400 "$CAB" POST /api/v1/orgs '{"id":"org-x","id":"org-y","name":"X","sector":"gas"}'
expect 400 "$CAB" POST /api/v1/orgs '{"id":"org-x","name":"X","sector":"steel"}'
expect 400 "$CAB" POST /api/v1/orgs ''
expect 400 "$OPA" POST /api/v1/incidents '{"type":"ddos","status":"occurred","aware_at":1700000000,"summary":"x"}'
expect 400 "$OPA" POST /api/v1/assets '{"product":1,"vendor":"V","version":"1","facility":"F"}'
expect 400 "$SEN" POST /api/v1/records '{"approvals":["A"],"channel":"agreement","ts_first":"2026-10-01T00:00:00Z"}
{"approvals":[],"channel":"agreement","ts_first":"2026-10-01T00:00:00Z"}'
expect 400 "$CAB" GET /api/v1/orgs '{}'
head -c 70000 /dev/zero | tr '\0' ' ' >big.json
printf '{}' >>big.json
expect 413 "$CAB" POST /api/v1/orgs @big.json
head -c 17000000 /dev/zero | tr '\0' '\n' >huge.jsonl
expect 413 "$SEN" POST /api/v1/records @huge.jsonl
code=$(curl -s -o resp.json -w '%{http_code}' -H "Authorization: Bearer $CAB" -H 'Transfer-Encoding: chunked' \
	--data-binary @big.json "$BASE/api/v1/orgs")
[ "$code" = 413 ] || fail "chunked oversized body: $code"
expect 404 "$CAB" GET /api/v1/nothing
expect 404 "$CAB" GET /api/v2/orgs
expect 404 "$CAB" GET /api/v1/assets/1/../../orgs
expect 405 "$CAB" DELETE /api/v1/orgs
expect 405 "$CAB" PUT /api/v1/incidents '{}'
expect 403 "$OPA" POST /api/v1/orgs '{"id":"org-x","name":"X","sector":"electricity"}'
expect 403 "$OPA" GET /api/v1/records
expect 403 "$SEN" GET /api/v1/incidents
expect 403 "" GET /api/v1/orgs
expect 403 "" POST /api/v1/incidents '{}'
expect 401 "skm_forgedforgedforgedforgedforgedforgedforgedf" GET /api/v1/orgs
expect 401 "skm_forgedforgedforgedforgedforgedforgedforgedf" GET /api/v1/whoami
expect 401 "${CAB}x" POST /api/v1/orgs '{"id":"org-x","name":"X","sector":"electricity"}'
code=$(curl -s -o resp.json -w '%{http_code}' -H "Authorization: Basic Y2FiaW5ldDpzZWNyZXQ=" "$BASE/api/v1/whoami")
[ "$code" = 401 ] || fail "Basic credentials: $code"
snapshot >snap.after
after=$(cat snap.after)
[ "${after% audit=*}" = "${before% audit=*}" ] || fail "bad requests changed documents: before$before, after$after"
[ "${after##* audit=}" -eq $((${before##* audit=} + 1)) ] ||
	fail "bad requests changed the audit log: $before -> $after (one audited read between)"

# no token is the public role
expect 200 "" GET /api/v1/whoami
[ "$(jq -r .role resp.json)" = public ] || fail "no token: $(cat resp.json)"
expect 200 "" GET /api/v1/audit/key

# --- a real flow ---------------------------------------------------------------------------------
expect 201 "$MIN" POST /api/v1/orgs '{"id":"org-b","name":"B Gas","sector":"gas"}'
ai=$(jq .audit_index resp.json)
[ "$ai" -ge 0 ] 2>/dev/null || fail "no audit_index in a write response: $(cat resp.json)"
expect 201 "$OPA" POST /api/v1/assets \
	'{"product":"EMS Historian","vendor":"Example Systems","version":"7.2.1","facility":"Tokyo load dispatch centre","cpe":"cpe:2.3:a:example:historian:7.2.1:*:*:*:*:*:*:*","model":"HX-700"}'
ASSET=$(jq -r .asset.id resp.json)
NOTIF=$(jq -r .notification.id resp.json)
expect 201 "$OPA" POST "/api/v1/assets/$ASSET/changes" '{"changes":{"version":"7.2.2"},"reason":"vendor security patch"}'
expect 200 "$MIN" POST "/api/v1/notifications/$NOTIF/forward" '{"note":"for the Cabinet Office"}'
expect 409 "$MIN" POST "/api/v1/notifications/$NOTIF/forward" '{}'
expect 200 "$CAB" GET "/api/v1/assets/$ASSET"
aware=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)
deadline=$(date -u -d '+14 days' +%Y-%m-%dT%H:%M:%SZ)
expect 201 "$OPA" POST /api/v1/incidents "{\"type\":\"ransomware\",\"status\":\"occurred\",\"aware_at\":\"$aware\",\"summary\":\"files on the historian encrypted\",\"affected_assets\":[$ASSET],\"ransomware\":{\"ransom_note\":\"README_RESTORE.txt\",\"encrypted_extension\":\".lockbit\",\"family\":\"LockBit 3.0\",\"intrusion_vector\":\"VPN appliance vulnerability\"},\"iocs\":{\"ipv4\":[\"203.0.113.50\"],\"domains\":[\"c2.example.net\"],\"sha256\":[\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"]}}"
INC=$(jq -r .id resp.json)
expect 200 "$MIN" GET "/api/v1/incidents/$INC"
expect 200 "$CAB" GET "/api/v1/incidents/$INC"
expect 200 "$OPA" POST "/api/v1/incidents/$INC/written" '{"summary":"LockBit via VPN","cause":"unpatched VPN appliance","impact":"historian offline 6 h","measures":"patched, credentials rotated"}'
expect 201 "$MIN" POST "/api/v1/incidents/$INC/orders" "{\"measures\":\"replace the VPN appliance\",\"deadline\":\"$deadline\"}"
ORD=$(jq -r .id resp.json)
expect 200 "$OPA" POST "/api/v1/orders/$ORD/status" '{"status":"reported","detail":"appliance replaced"}'
expect 200 "$MIN" POST "/api/v1/orders/$ORD/status" '{"status":"complied","detail":"confirmed on site"}'
cat >records.jsonl <<'EOF'
{"ts_first":"2026-10-01T00:00:07.202312Z","ts_last":"2026-10-01T00:00:07.307958Z","selectors":["py-bots"],"approvals":["T-2026-0031"],"channel":"transit","direction":"foreign-foreign","proto":"tcp","src_ip":"98.98.160.1","src_port":35105,"dst_ip":"86.38.234.73","dst_port":80,"src_cc":"US","dst_cc":"US","packets":7,"bytes":2726}
{"ts_first":"2026-10-01T00:00:09.178043Z","ts_last":"2026-10-01T00:00:09.551818Z","selectors":["c2-tls"],"approvals":["S-2026-0007"],"channel":"specific","direction":"domestic-foreign","proto":"tcp","src_ip":"99.77.62.40","src_port":61719,"dst_ip":"103.148.195.26","dst_port":443,"src_cc":"JP","dst_cc":"ID","packets":14,"bytes":1964}
EOF
expect 201 "$SEN" POST /api/v1/records @records.jsonl
[ "$(jq .accepted resp.json)" = 2 ] || fail "records: $(cat resp.json)"
sz=$(curl -s -H "Authorization: Bearer $COM" "$BASE/api/v1/audit/sth" | jq .tree_size)
curl -s -D hdr.txt -o resp.json -H "Authorization: Bearer $CAB" "$BASE/api/v1/records?channel=specific" ||
	fail "GET records"
[ "$(jq '.records | length' resp.json)" = 1 ] || fail "records read: $(head -c 300 resp.json)"
grep -qi '^X-Audit-Index: ' hdr.txt || fail "an audited read without X-Audit-Index"
expect 200 "$COM" GET "/api/v1/audit/entries?start=$sz&end=$((sz + 1))"
jq -e '.entries[0].entry | fromjson | .who == "cabinet-1" and .action == "GET /api/v1/records"' \
	resp.json >/dev/null || fail "the read of records is not the next audit entry: $(head -c 400 resp.json)"
expect 200 "$COM" GET /api/v1/audit/sth
size=$(jq .tree_size resp.json)
expect 200 "$CAB" GET "/api/v1/audit/proof/inclusion?index=3&size=$size"
expect 200 "$COM" GET "/api/v1/audit/proof/consistency?first=2&second=$size"

# --- stop, verify offline -----------------------------------------------------------------------
kill -TERM "$HUB_PID"
wait "$HUB_PID"
rc=$?
HUB_PID=
[ $rc -eq 0 ] || fail "hub exit status after SIGTERM: $rc ($(cat hub.err))"
"$S" audit verify --db hub --key hub/audit.pub >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
grep -q "^audit: $size entries verified" verify.out || fail "audit verify said: $(cat verify.out)"

# --- retention: the hub's sweep deletes expired records and logs it ---------------------------------
start_hub hub --retention 1s --sweep 1s
grep -q "audit log $size entries" hub.out || fail "restart: $(cat hub.out)"
expect 201 "$SEN" POST /api/v1/records @records.jsonl
i=0
while :; do
	expect 200 "$COM" GET /api/v1/records
	[ "$(jq '.records | length' resp.json)" = 2 ] && break     # the two kept for two years
	i=$((i + 1))
	[ $i -lt 40 ] || fail "expired records not swept: $(head -c 300 resp.json)"
	sleep 0.25
done
expect 200 "$COM" GET /api/v1/audit/sth
size=$(jq .tree_size resp.json)
expect 200 "$COM" GET "/api/v1/audit/entries?start=0&end=$size"
jq -e '[.entries[].entry | fromjson | select(.who == "hub-retention")] | length == 1' resp.json >/dev/null ||
	fail "the retention sweep left no single audit entry"
kill -TERM "$HUB_PID"
wait "$HUB_PID" || fail "hub exit status after SIGTERM"
HUB_PID=
"$S" audit verify --db hub --key hub/audit.pub >verify.out 2>&1 || fail "audit verify: $(cat verify.out)"
exit 0
