# term.sh — sourced by integration scripts after prelude.sh.
#
# term_on_pipe CAPTURE SENSOR-ARGS...: feed the first 2 MB of CAPTURE to
# `sakimori sensor -r term.fifo SENSOR-ARGS...` through a pipe that then stays open, SIGTERM the
# sensor once it has read all but a pipe buffer of it, and set TERM_RC to its exit status; its
# standard error is in term.err.
term_on_pipe() {
	_cap=$1
	shift
	rm -f term.fifo term.fed
	mkfifo term.fifo || fail "mkfifo"
	# the feeder's head returns once the sensor has read all but a pipe buffer of it
	{ head -c 2000000 "$_cap"; : >term.fed; sleep 10; } >term.fifo &
	_feed=$!
	"$S" sensor -r term.fifo "$@" 2>term.err &
	_sens=$!
	i=0
	until [ -e term.fed ]; do
		i=$((i + 1))
		[ $i -lt 300 ] || fail "SIGTERM run: the sensor read nothing in 30 s: $(cat term.err)"
		sleep 0.1
	done
	sleep 0.3
	kill -TERM "$_sens"
	wait "$_sens"
	TERM_RC=$?
	kill "$_feed" 2>/dev/null
}
