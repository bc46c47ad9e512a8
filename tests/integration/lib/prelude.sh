# prelude.sh — sourced by the integration scripts after they set TEST to their name:
# strict variables, the C locale, $S = the sakimori executable as an absolute path (so the
# scripts also run by hand with a relative SAKIMORI), $LIB = this folder (for the other
# helpers here), the working directory $WORK, and fail().
set -u
LC_ALL=C
export LC_ALL
S=$SAKIMORI
case $S in /*) ;; *) S=$PWD/$S ;; esac
LIB=$(cd "$(dirname "$0")/lib" && pwd)
cd "$WORK" || exit 1
fail() { echo "$TEST: $*"; exit 1; }
