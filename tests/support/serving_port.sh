# Sourced by the tests that start the binary (`serve --port 0`):
#   PORT=$(serving_port server.log) || { cat server.log; exit 1; }
# waits (up to TRIES x 0.1 s, default 100) for the "serving on http://HOST:PORT"
# line the server writes to stderr once it listens, and prints PORT.
serving_port() {
  local log=$1 tries=${2:-100} port=
  for _ in $(seq "$tries"); do grep -q "serving on" "$log" && break; sleep 0.1; done
  port=$(sed -n 's/.*serving on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$log")
  [ -n "$port" ] || { echo "FAIL: server did not start" >&2; return 1; }
  echo "$port"
}
