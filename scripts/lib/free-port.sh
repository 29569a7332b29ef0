# free_port: a loopback port nobody listens on, for every script that starts a daemon
# (zombienet's validators included). Handed out in turn from 20000-32767, below Linux's
# ephemeral range (where the kernel picks the ports of outgoing connections and of
# `bind(0)`, as the Rust tests' nodes do), under a lock shared by every script of the user, so that
# scripts running side by side (scripts/test.sh runs its stages concurrently) never pick
# the same port in the seconds between choosing it and their daemon binding it.
# The counter lives in the user's cache, not a shared /tmp where another user could plant a
# symlink to a file of ours for it to truncate.
free_port() {
	mkdir -p "$HOME/.cache/din"
	python3 - "$HOME/.cache/din/free-port" <<-'EOF'
		import fcntl, socket, sys
		FIRST, COUNT = 20000, 12768
		with open(sys.argv[1], "a+") as counter:
		    fcntl.flock(counter, fcntl.LOCK_EX)
		    counter.seek(0)
		    last = int(counter.read().strip() or FIRST - 1)
		    for step in range(1, COUNT + 1):
		        port = FIRST + (last - FIRST + step) % COUNT
		        try:
		            with socket.socket() as probe:
		                probe.bind(("127.0.0.1", port))
		        except OSError:
		            continue
		        counter.seek(0)
		        counter.truncate()
		        counter.write(str(port))
		        print(port)
		        break
		    else:
		        sys.exit("no free loopback port in 20000-32767")
	EOF
}
