#!/usr/bin/env bash
# Soak: a fixed request rate on loopback for DURATION (default 10 minutes). Samples the API's RSS
# and open file descriptors every 10 s. Passes when, after the warm-up, RSS grows by at most 10%,
# the descriptor count does not grow, and no request fails.
#
# The rate is fixed with wrk's `delay()` hook: CONNECTIONS connections, each waiting DELAY_MS
# between requests (at most CONNECTIONS * 1000 / DELAY_MS requests per second).
#
# Env: DURATION (600 s), WARMUP (60 s), CONNECTIONS (10), DELAY_MS (20), RECORDS (20000).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load/common.sh
duration=${DURATION:-600}
warmup=${WARMUP:-60}
connections=${CONNECTIONS:-10}
delay_ms=${DELAY_MS:-20}
records=${RECORDS:-20000}

need_wrk
build_release
work=$(mktemp -d)
trap 'stop_api; rm -rf "$work"' EXIT
target/release/indexer synth --records "$records" --seed 42 --out "$work/input.ndjson" > /dev/null
target/release/indexer build --index-dir "$work/idx" "$work/input.ndjson" > /dev/null
start_api "$work/idx" --max-queue 1024
echo "== $duration s at up to $((connections * 1000 / delay_ms)) requests/s ($connections connections, ${delay_ms} ms apart), warm-up $warmup s"
DELAY_MS=$delay_ms wrk -t2 -c"$connections" -d"${duration}s" -s scripts/load/count.lua "$BASE" > "$work/wrk.out" &
wrk_pid=$!
samples="$work/samples.tsv"
echo -e "t_s\trss_kb\tfds" > "$samples"
t=0
while kill -0 "$wrk_pid" 2> /dev/null; do
  echo -e "$t\t$(rss_kb "$API_PID")\t$(fd_count "$API_PID")" >> "$samples"
  sleep 10
  t=$((t + 10))
done
wait "$wrk_pid" || true
line=$(grep '^RESULT' "$work/wrk.out")
echo "$line"
cp "$samples" "${SOAK_SAMPLES:-/dev/null}" 2> /dev/null || true
python3 - "$samples" "$warmup" "$line" << 'PY'
import sys
rows = [tuple(map(int, l.split("\t"))) for l in open(sys.argv[1]).read().splitlines()[1:]]
warmup = int(sys.argv[2])
fields = dict(kv.split("=") for kv in sys.argv[3].split()[1:])
after = [r for r in rows if r[0] >= warmup]
base_rss, base_fd = after[0][1], after[0][2]
peak_rss = max(r[1] for r in after)
end_rss, end_fd = after[-1][1], after[-1][2]
max_fd = max(r[2] for r in after)
growth = (peak_rss - base_rss) / base_rss * 100
print(f"samples {len(rows)}; after warm-up: RSS {base_rss/1024:.1f} MB -> peak {peak_rss/1024:.1f} MB, end {end_rss/1024:.1f} MB (+{growth:.1f}%); fds {base_fd} -> max {max_fd}, end {end_fd}")
ok = True
if growth > 10:
    print("FAIL: RSS grew more than 10%"); ok = False
if end_fd > base_fd:
    print("FAIL: open file descriptors grew"); ok = False
if int(fields["non2xx"]) or int(fields["socket_errors"]):
    print("FAIL: errors"); ok = False
print("PASS" if ok else "")
sys.exit(0 if ok else 1)
PY
