#!/bin/sh
# audit_cli.sh — `sakimori audit` on a log kept in a real SQLite store (DESIGN.md rule 6):
#   - a log written through the library as the hub writes it (tests/tools/auditgen: one store
#     transaction per entry) verifies, from the store and from its export; `audit sth` prints
#     the head the commission saves, and verifying against it passes;
#   - one byte of one stored entry changed — by patching the database file's bytes (triggers
#     untouched), and through SQL after dropping the append-only trigger — fails, exit 1,
#     naming that entry; so does one byte changed in the export;
#   - the log cut below a saved head (DELETE after dropping the trigger) fails naming the first
#     missing entry, though the shorter log alone still verifies (why heads are saved);
#   - another key fails at entry 0; another log's head is refused; usage errors exit 2; a
#     missing store is reported, not created.
# Environment: SAKIMORI, TOOLS, WORK. Exit 0 pass, 1 fail (one line), 77 skip.
TEST=audit_cli
case ${TOOLS:-} in /*) ;; *) TOOLS=$PWD/${TOOLS:-build/tools} ;; esac
. "$(dirname "$0")/lib/prelude.sh"
[ -x "$S" ] || fail "no executable at $S"
G=$TOOLS/auditgen
[ -x "$G" ] || fail "no test tool at $G"
command -v sqlite3 >/dev/null || { echo "$TEST: needs the sqlite3 command"; exit 77; }
command -v perl >/dev/null || { echo "$TEST: needs perl"; exit 77; }

# expect_fail WANT ARGS...: `sakimori audit verify ARGS` exits 1 and prints a line with WANT.
expect_fail() {
	want=$1
	shift
	"$S" audit verify "$@" >out.txt 2>err.txt
	rc=$?
	[ $rc -eq 1 ] || fail "verify $*: exit $rc, want 1: $(cat out.txt err.txt)"
	grep -qF "$want" out.txt || fail "verify $*: want '$want', got: $(cat out.txt err.txt)"
}

# --- a clean log of 40 entries ----------------------------------------------------------
"$G" hub 40 export.json >gen.out 2>gen.err || fail "auditgen: $(cat gen.err)"
[ "$(cat gen.out)" = 40 ] || fail "auditgen wrote $(cat gen.out) entries, want 40"
[ -e hub/hub.db-wal ] && [ -s hub/hub.db-wal ] && fail "the store left a WAL behind; byte patching would miss it"
KEY=hub/audit.pub

out=$("$S" audit verify --db hub --key "$KEY" 2>&1) || fail "clean log: $out"
case $out in
"audit: 40 entries verified, root "*", size 40") ;;
*) fail "clean log: unexpected output: $out" ;;
esac
"$S" audit sth --db hub >saved.json 2>err.txt || fail "audit sth: $(cat err.txt)"
root=$(sed -n 's/.*"root_hash":"\([^"]*\)".*/\1/p' saved.json)
[ -n "$root" ] || fail "audit sth printed no root_hash: $(cat saved.json)"
echo "$out" | grep -qF "root $root," || fail "verify's root is not the saved head's $root: $out"
grep -q '"tree_size":40' saved.json || fail "saved head is not at size 40: $(cat saved.json)"
# the head the verifier holds after checking everything is the same one
"$S" audit sth --db hub --key "$KEY" >checked.json 2>err.txt || fail "audit sth --key: $(cat err.txt)"
cmp -s saved.json checked.json || fail "audit sth with and without --key differ"

out=$("$S" audit verify --db hub/hub.db --key "$KEY" --sth saved.json 2>&1) ||
	fail "clean log with its saved head: $out"
out=$("$S" audit verify --log export.json --key "$KEY" --sth saved.json 2>&1) ||
	fail "clean export with its saved head: $out"
echo "$out" | grep -qF "audit: 40 entries verified, root $root, size 40" || fail "export: $out"
# the public key as base64 text works too
base64 <"$KEY" >pub.b64
"$S" audit verify --db hub --key pub.b64 >/dev/null 2>&1 || fail "base64 public key refused"

# --- one byte of entry 17 patched in the database file ------------------------------------
# Entry k names object asset/(k+1): "asset/18" -> "asset/19" is a one-byte change.
cp -r hub a
perl -0777 -pi -e 's{"object":"asset/18"}{"object":"asset/19"}g' a/hub.db
cmp -s hub/hub.db a/hub.db && fail "patching the database file changed nothing"
expect_fail "audit: entry 17 does not verify: leaf hash" --db a --key "$KEY"

# --- the same through SQL, after dropping the append-only trigger ------------------------
cp -r hub b
sqlite3 b/hub.db "UPDATE audit SET entry = CAST(replace(CAST(entry AS TEXT), 'op-1', 'op-2') AS BLOB) WHERE idx = 25;" \
	2>err.txt && fail "the store let an audit row be updated"
grep -q "append-only" err.txt || fail "update refused, but not by the trigger: $(cat err.txt)"
sqlite3 b/hub.db "DROP TRIGGER audit_no_update;
	UPDATE audit SET entry = CAST(replace(CAST(entry AS TEXT), 'op-1', 'op-2') AS BLOB) WHERE idx = 25;" \
	2>err.txt || fail "sqlite3: $(cat err.txt)"
expect_fail "audit: entry 25 does not verify: leaf hash" --db b --key "$KEY"

# --- the log cut below the saved head --------------------------------------------------
cp -r hub c
sqlite3 c/hub.db "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE idx >= 30;" 2>err.txt ||
	fail "sqlite3: $(cat err.txt)"
out=$("$S" audit verify --db c --key "$KEY" 2>&1) ||
	fail "a cut log verifies on its own (every head in it is genuine), but: $out"
echo "$out" | grep -qF "audit: 30 entries verified" || fail "cut log: $out"
expect_fail "audit: entry 30 does not verify: missing" --db c --key "$KEY" --sth saved.json

# --- one byte of the export changed ----------------------------------------------------
cp export.json export2.json
perl -pi -e 's{asset/12\\"}{asset/13\\"}' export2.json
cmp -s export.json export2.json && fail "patching the export changed nothing"
expect_fail "audit: entry 11 does not verify" --log export2.json --key "$KEY"

# --- wrong keys and heads ----------------------------------------------------------------
"$G" other 3 >/dev/null 2>gen.err || fail "auditgen other: $(cat gen.err)"
expect_fail "audit: entry 0 does not verify: bad signature" --db hub --key other/audit.pub
"$S" audit sth --db other >other.json 2>/dev/null || fail "audit sth on the other log"
expect_fail "saved tree head: bad signature" --db hub --key "$KEY" --sth other.json

# --- usage --------------------------------------------------------------------------------
"$S" audit verify --db hub >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify without --key: want exit 2"
"$S" audit verify --db hub --log export.json --key "$KEY" >/dev/null 2>&1
[ $? -eq 2 ] || fail "verify with both --db and --log: want exit 2"
"$S" audit frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown audit command: want exit 2"
"$S" audit verify --db nowhere --key "$KEY" >/dev/null 2>err.txt
[ $? -eq 1 ] || fail "verify of a missing store: want exit 1"
[ -e nowhere ] && fail "verify created a store at 'nowhere'"
"$S" audit help | grep -q "audit verify" || fail "audit help does not describe verify"
exit 0
