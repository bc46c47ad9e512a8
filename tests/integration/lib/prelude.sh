# prelude.sh — sourced by the integration scripts after they set TEST to their name:
# strict variables, the C locale, $S = the sakimori executable as an absolute path (so the
# scripts also run by hand with a relative SAKIMORI), the working directory $WORK, and fail().
set -u
LC_ALL=C
export LC_ALL
S=$SAKIMORI
case $S in /*) ;; *) S=$PWD/$S ;; esac
cd "$WORK" || exit 1
fail() { echo "$TEST: $*"; exit 1; }
