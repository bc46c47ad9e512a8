# hub.sh — sourced by the hub's integration scripts after prelude.sh.
#
# start_hub DIR [OPTIONS]: start `sakimori hub` on loopback with a port derived from $$ (the
# next ones on a clash), wait until it listens; sets PORT, BASE and HUB_PID. The hub's
# stdout and stderr go to hub.out and hub.err in the working directory.
start_hub() {
	_dir=$1
	shift
	try=0
	while [ $try -lt 8 ]; do
		PORT=$((20000 + ($$ * 13 + try * 977) % 40000))
		# the child truncates hub.out only once it runs: remove an earlier run's first
		rm -f hub.out hub.err
		"$S" hub --dir "$_dir" --listen 127.0.0.1:$PORT "$@" >hub.out 2>hub.err &
		HUB_PID=$!
		i=0
		while [ $i -lt 100 ]; do
			if grep -q '^hub: listening on ' hub.out 2>/dev/null; then
				BASE=http://127.0.0.1:$PORT
				return 0
			fi
			kill -0 "$HUB_PID" 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill "$HUB_PID" 2>/dev/null
		wait "$HUB_PID" 2>/dev/null
		HUB_PID=
		try=$((try + 1))
	done
	fail "the hub did not start: $(cat hub.err)"
}
