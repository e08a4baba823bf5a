#!/usr/bin/env bash
# Publishing under load: wrk drives the release API on loopback while the index is republished
# 10 times (alternately `indexer build` and `indexer apply` into the API's index directory; the
# API polls CURRENT and swaps engines with arc-swap). Passes when no response is non-2xx, no
# socket error occurs, every publish is picked up, and p99 stays within 2x a baseline run.
#
# The indexer runs niced, as a batch job beside a live service should: on a 2-CPU
# machine an un-niced build competes with the searches for the CPUs, which is a capacity matter,
# not a publishing one.
#
# Env: RECORDS (20000), CONNECTIONS (8), THREADS (2), BASELINE (30s), PUBLISHES (10),
# INDEXER_NICE (10; at 19 on a machine saturated by other work the build starves),
# RESPONSE_CACHE_MB (0: the API's response cache off; see below).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load/common.sh
records=${RECORDS:-20000}
connections=${CONNECTIONS:-8}
threads=${THREADS:-2}
baseline=${BASELINE:-30s}
publishes=${PUBLISHES:-10}
indexer_nice=${INDEXER_NICE:-10}

need_wrk
build_release
work=$(mktemp -d)
trap 'stop_api; rm -rf "$work"' EXIT
idx="$work/idx"
target/release/indexer synth --records "$records" --seed 42 --out "$work/input.ndjson" > /dev/null
target/release/indexer synth --records $((records / 4)) --seed 43 --changes --out "$work/changes.ndjson" > /dev/null
target/release/indexer build --index-dir "$idx" "$work/input.ndjson" > /dev/null
# The response cache is off unless RESPONSE_CACHE_MB says otherwise: with it on, the baseline is
# all cache hits while every publish empties the cache, so the p99 ratio would measure the
# cache warming up, not the swap of the index.
start_api "$idx" --reload-interval-ms 200 --max-queue 1024 --response-cache-mb "${RESPONSE_CACHE_MB:-0}"

echo "== warm-up 5s, then baseline $baseline ($connections connections)"
wrk -t"$threads" -c"$connections" -d5s -s scripts/load/count.lua "$BASE" > /dev/null
base_line=$(wrk -t"$threads" -c"$connections" -d"$baseline" -s scripts/load/count.lua "$BASE" | grep '^RESULT')
echo "baseline: $base_line"

echo "== the same load while publishing $publishes times"
wrk -t"$threads" -c"$connections" -d600s -s scripts/load/count.lua "$BASE" > "$work/wrk.out" &
wrk_pid=$!
sleep 3
picked=0
for i in $(seq 1 "$publishes"); do
  before=$(generation)
  if (( i % 2 )); then
    nice -n "$indexer_nice" target/release/indexer build --index-dir "$idx" "$work/input.ndjson" > /dev/null
  else
    nice -n "$indexer_nice" target/release/indexer apply --index-dir "$idx" "$work/changes.ndjson" > /dev/null
  fi
  published=$(cat "$idx/CURRENT")
  for _ in $(seq 1 100); do
    [[ $(generation) == "$published" ]] && break
    sleep 0.1
  done
  now=$(generation)
  [[ $now == "$published" && $now != "$before" ]] && picked=$((picked + 1))
  echo "publish $i: $before -> $now"
done
sleep 3
# wrk prints its summary on SIGINT.
kill -INT "$wrk_pid"
wait "$wrk_pid" || true
load_line=$(grep '^RESULT' "$work/wrk.out")
echo "under publishing: $load_line"

p99_base=$(result_field "$base_line" p99_ms)
p99_load=$(result_field "$load_line" p99_ms)
non2xx=$(result_field "$load_line" non2xx)
errors=$(result_field "$load_line" socket_errors)
ratio=$(python3 -c "print(f'{$p99_load / $p99_base:.2f}')")
echo "publishes picked up: $picked/$publishes; non-2xx: $non2xx; socket errors: $errors; p99 $p99_base ms -> $p99_load ms (x$ratio)"
ok=1
[[ $picked == "$publishes" ]] || { echo "FAIL: not every publish was served"; ok=0; }
[[ $non2xx == 0 && $errors == 0 ]] || { echo "FAIL: failed or non-2xx responses"; ok=0; }
python3 -c "import sys; sys.exit(0 if $p99_load <= 2 * $p99_base else 1)" || { echo "FAIL: p99 over twice the baseline"; ok=0; }
(( ok )) && echo "PASS"
(( ok ))
