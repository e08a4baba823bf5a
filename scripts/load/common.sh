# Sourced by the reliability scripts: builds the release binaries, starts the API on a free
# loopback port and offers helpers. Expects `set -euo pipefail` and the repository root as cwd.

need_wrk() {
  if ! command -v wrk > /dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq wrk
    else
      echo "wrk is not installed (apt-get install wrk)" >&2
      exit 1
    fi
  fi
}

build_release() {
  cargo build --locked --release -q -p search-api -p indexer
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_api INDEX_DIR [extra flags...]: sets API_PID and BASE.
start_api() {
  local dir=$1
  shift
  local port
  port=$(free_port)
  TARJOTIN_LOG=${TARJOTIN_LOG:-warn} target/release/search-api --listen "127.0.0.1:$port" \
    --index-dir "$dir" "$@" > "${API_LOG:-/dev/null}" 2>&1 &
  API_PID=$!
  BASE="http://127.0.0.1:$port"
  for _ in $(seq 1 600); do
    curl -fsS "$BASE/ready" > /dev/null 2>&1 && return 0
    kill -0 "$API_PID" 2> /dev/null || { echo "the API exited" >&2; return 1; }
    sleep 0.2
  done
  echo "the API did not become ready" >&2
  return 1
}

stop_api() {
  if [ -n "${API_PID:-}" ]; then
    kill "$API_PID" 2> /dev/null || true
    wait "$API_PID" 2> /dev/null || true
    API_PID=
  fi
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }

# result_field LINE KEY: the value of KEY=... in a RESULT line.
result_field() { tr ' ' '\n' <<< "$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }

# generation: the generation the API serves.
generation() { curl -fsS "$BASE/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])'; }
