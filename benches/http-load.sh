#!/usr/bin/env bash
# Loopback HTTP load test of the release search API with wrk (Debian package `wrk`; installed with
# apt-get when missing and running as root).
#
# By default it serves the embedded default data (645 records); INDEX_DIR serves a larger index.
#
# During each measured run the server's CPU time is read from /proc/<pid>/stat (utime + stime)
# and wrk's own CPU time with bash's `time`, so the report shows whether the server (not the load
# generator) was the busy side.
#
# Env: CONNECTIONS (64), THREADS (2), DURATION (20s), WARMUP (5s), MAX_CONCURRENT (API search
# slots, default the API's own), MAX_QUEUE (API queue, default 256 so 64 connections queue rather
# than being shed), INDEX_DIR (serve this existing index, e.g. the latency harness's 1M index
# `target/bench-index/1000000-v4`, instead of building the default data into a temporary one),
# SERVER_CPUS and WRK_CPUS (pin the server and wrk to these CPUs with taskset, e.g. 0 and 1, to
# measure the server on one core). TARJOTIN_RESPONSE_CACHE_MB=0 turns the API's response cache
# off, to measure every request as a search.
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
if [ -n "${INDEX_DIR:-}" ]; then
    index_dir=$INDEX_DIR
    scratch=""
else
    index_dir=$(mktemp -d)
    scratch=$index_dir
fi
args=(--listen "127.0.0.1:$port" --index-dir "$index_dir" --max-queue "${MAX_QUEUE:-256}")
if [ -n "${MAX_CONCURRENT:-}" ]; then args+=(--max-concurrent "$MAX_CONCURRENT"); fi
server_pin=()
wrk_pin=()
if [ -n "${SERVER_CPUS:-}" ]; then server_pin=(taskset -c "$SERVER_CPUS"); fi
if [ -n "${WRK_CPUS:-}" ]; then wrk_pin=(taskset -c "$WRK_CPUS"); fi
TARJOTIN_LOG=warn "${server_pin[@]}" target/release/search-api "${args[@]}" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; [ -z "$scratch" ] || rm -rf "$scratch"' EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
    curl -fsS "$base/ready" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$base/ready"; echo

clk_tck=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat, counted after
# the command name, which is in parentheses and may contain spaces).
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}

# measure LABEL wrk-args...: runs wrk and reports server and wrk CPU over the run.
measure() {
    local label=$1
    shift
    echo "== $label"
    local before after t0 t1
    before=$(cpu_ticks "$server")
    t0=$(date +%s.%N)
    local TIMEFORMAT="wrk process: %U s user + %S s system CPU over %R s wall"
    time "${wrk_pin[@]}" wrk "$@"
    t1=$(date +%s.%N)
    after=$(cpu_ticks "$server")
    awk -v a="$after" -v b="$before" -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" -v n="$(nproc)" \
        'BEGIN { s = (a - b) / hz; w = t1 - t0;
                 printf "search-api process: %.1f s CPU over %.1f s wall = %.0f%% of one core (%.0f%% of %d cores)\n",
                        s, w, 100 * s / w, 100 * s / w / n, n }'
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== warm-up ($warmup)"
"${wrk_pin[@]}" wrk -t"$threads" -c"$connections" -d"$warmup" -s benches/http/mix.lua "$base" >/dev/null
measure "mix: $connections connections, $threads wrk threads, $duration" \
    -t"$threads" -c"$connections" -d"$duration" --latency -s benches/http/mix.lua "$base"
measure "long-tail mix (benches/http/longtail.lua): $connections connections, $duration" \
    -t"$threads" -c"$connections" -d"$duration" --latency -s benches/http/longtail.lua "$base"
measure "text only (/v1/search?q=kuoro)" \
    -t"$threads" -c"$connections" -d"$duration" --latency "$base/v1/search?q=kuoro"
