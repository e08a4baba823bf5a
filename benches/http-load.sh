#!/usr/bin/env bash
# Loopback HTTP load test of the release search API, closed loop (each connection sends its next
# request when the previous answer arrives), with two load generators:
# - wrk (Debian package `wrk`; installed with apt-get when missing and running as root) for the
#   standard mix and a single word. Its latency percentiles include its coordinated-omission
#   correction: for every answer slower than the mean interval it adds imagined samples for the
#   requests that connection would have sent meanwhile. Under a steady load that changes little;
#   when a few answers take hundreds of milliseconds (cache misses of a long tail), the imagined
#   samples dominate its percentiles.
# - oha (built with `cargo install --locked` into target/tools when missing) for every mix,
#   reporting the latency of each request as sent. The long-tail mixes are URL files written by
#   benches/http/longtail.py (Zipf popularity; oha draws lines at random).
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

oha=target/tools/bin/oha
if [ ! -x "$oha" ]; then
    cargo install --locked --quiet oha --version 1.16.0 --root target/tools
fi
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

# oha_run LABEL URL-FILE: runs oha over the file's URLs and prints its summary and percentiles.
oha_run() {
    local label=$1 urls=$2
    echo "== $label (oha, per-request latency)"
    local before after t0 t1
    before=$(cpu_ticks "$server")
    t0=$(date +%s.%N)
    "${wrk_pin[@]}" "$oha" -c "$connections" -z "$duration" --no-tui --urls-from-file "$urls" \
        -H "Accept-Encoding: gzip" >"$scratch_files/oha.txt"
    t1=$(date +%s.%N)
    after=$(cpu_ticks "$server")
    sed -n '/^Summary/,/^$/p; /^Response time distribution/,/^$/p; /^Status code/,/^$/p' \
        "$scratch_files/oha.txt"
    awk -v a="$after" -v b="$before" -v hz="$clk_tck" -v t0="$t0" -v t1="$t1" \
        'BEGIN { printf "search-api process: %.0f%% of one core\n", 100 * (a - b) / hz / (t1 - t0) }'
    echo "response cache after the run: $(curl -fsS "$base/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("response_cache"))')"
}

scratch_files=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; [ -z "$scratch" ] || rm -rf "$scratch"; rm -rf "$scratch_files"' EXIT
# The standard mix as a URL file for oha: the paths of mix.lua with the ids it is given.
grep -o '"/v1/[^"]*"' benches/http/mix.lua | tr -d '"' | grep -v '/$' | sed "s|^|$base|" \
    >"$scratch_files/standard.txt"
echo "$base/v1/activities/${MIX_ACTIVITY_ID:-local:savon-omaishoitajat/vertaisryhma-kuopio}" \
    >>"$scratch_files/standard.txt"
echo "$base/v1/organisations/${MIX_ORGANISATION_ID:-local:savon-omaishoitajat}" \
    >>"$scratch_files/standard.txt"
python3 benches/http/longtail.py "$base" narrow 300000 7 >"$scratch_files/narrow.txt"
python3 benches/http/longtail.py "$base" wide 300000 7 >"$scratch_files/wide.txt"

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== warm-up ($warmup)"
"${wrk_pin[@]}" wrk -t"$threads" -c"$connections" -d"$warmup" -s benches/http/mix.lua "$base" >/dev/null
measure "mix: $connections connections, $threads wrk threads, $duration" \
    -t"$threads" -c"$connections" -d"$duration" --latency -s benches/http/mix.lua "$base"
oha_run "standard mix: $connections connections, $duration" "$scratch_files/standard.txt"
# The long tails start from a cache that holds the standard mix (and, for the wide one, the
# narrow one's answers, a few of which it shares): a distinct request's first asking is a miss.
oha_run "long-tail mix, narrow (930 distinct requests): $connections connections, $duration" \
    "$scratch_files/narrow.txt"
oha_run "long-tail mix, wide (~6,900 distinct requests): $connections connections, $duration" \
    "$scratch_files/wide.txt"
measure "text only (/v1/search?q=kuoro)" \
    -t"$threads" -c"$connections" -d"$duration" --latency "$base/v1/search?q=kuoro"
