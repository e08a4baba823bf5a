#!/usr/bin/env bash
# Loopback HTTP load test of the release search API with wrk (Debian package `wrk`; installed with
# apt-get when missing and running as root).
#
# There is no synthetic corpus generator yet, so this runs over the embedded default data
# (data/eval/corpus.ndjson, 645 records): it measures the HTTP stack and per-request engine cost,
# not scaling with corpus size.
#
# Env: CONNECTIONS (64), THREADS (2), DURATION (20s), WARMUP (5s), MAX_CONCURRENT (API search
# slots, default the API's own), MAX_QUEUE (API queue, default 256 so 64 connections queue rather
# than being shed).
set -euo pipefail
cd "$(dirname "$0")/.."

connections=${CONNECTIONS:-64}
threads=${THREADS:-2}
duration=${DURATION:-20s}
warmup=${WARMUP:-5s}

if ! command -v wrk >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq wrk
    else
        echo "wrk is not installed (apt-get install wrk)" >&2
        exit 1
    fi
fi

cargo build --locked --release -p search-api
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
index_dir=$(mktemp -d)
args=(--listen "127.0.0.1:$port" --index-dir "$index_dir" --max-queue "${MAX_QUEUE:-256}")
if [ -n "${MAX_CONCURRENT:-}" ]; then args+=(--max-concurrent "$MAX_CONCURRENT"); fi
TARJOTIN_LOG=warn target/release/search-api "${args[@]}" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$index_dir"' EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
    curl -fsS "$base/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$base/ready"; echo

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== warm-up ($warmup)"
wrk -t"$threads" -c"$connections" -d"$warmup" -s benches/http/mix.lua "$base" >/dev/null
echo "== mix: $connections connections, $threads wrk threads, $duration"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s benches/http/mix.lua "$base"
echo "== text only (/v1/search?q=kuoro)"
wrk -t"$threads" -c"$connections" -d"$duration" --latency "$base/v1/search?q=kuoro"
