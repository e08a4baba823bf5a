#!/usr/bin/env bash
# Overload: ten times more concurrent connections than --max-concurrent (with a small queue, so
# the excess cannot simply wait). Passes when every answer is 200 or 503 `overloaded`, every 503
# carries Retry-After, the server's peak RSS stays bounded (under MAX_RSS_MB), and straight after
# the load every one of 50 sequential requests is answered 200.
#
# Env: MAX_CONCURRENT (4), MAX_QUEUE (4), DURATION (30s), MAX_RSS_MB (512).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load/common.sh
max_concurrent=${MAX_CONCURRENT:-4}
max_queue=${MAX_QUEUE:-4}
duration=${DURATION:-30s}
max_rss_mb=${MAX_RSS_MB:-512}
connections=$((max_concurrent * 10))

need_wrk
build_release
work=$(mktemp -d)
trap 'stop_api; rm -rf "$work"' EXIT
# The response cache is off: its hits never reach the search slots this run is about.
start_api "$work/idx" --max-concurrent "$max_concurrent" --max-queue "$max_queue" --response-cache-mb 0
idle_rss=$(rss_kb "$API_PID")
echo "== $connections connections against --max-concurrent $max_concurrent --max-queue $max_queue for $duration"
line=$(wrk -t2 -c"$connections" -d"$duration" -s scripts/load/count.lua "$BASE" | grep '^RESULT')
echo "$line"
peak_rss=$(hwm_kb "$API_PID")
after_rss=$(rss_kb "$API_PID")

echo "== recovery: 50 sequential requests right after"
start=$(date +%s%N)
recovered=0
for _ in $(seq 1 50); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/search?q=kuoro")
  [[ $code == 200 ]] && recovered=$((recovered + 1))
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))

requests=$(result_field "$line" requests)
non2xx=$(result_field "$line" non2xx)
s503=$(result_field "$line" s503)
no_retry=$(result_field "$line" s503_no_retry_after)
errors=$(result_field "$line" socket_errors)
echo "requests $requests: $s503 shed with 503 ($((non2xx - s503)) other non-2xx), $no_retry 503s without Retry-After, $errors socket errors"
echo "RSS idle $((idle_rss / 1024)) MB, peak $((peak_rss / 1024)) MB, after $((after_rss / 1024)) MB; recovery: $recovered/50 OK in $ms ms"
ok=1
(( s503 > 0 )) || { echo "FAIL: nothing was shed; the limit did not engage"; ok=0; }
(( non2xx == s503 )) || { echo "FAIL: answers other than 200 and 503"; ok=0; }
(( no_retry == 0 )) || { echo "FAIL: a 503 without Retry-After"; ok=0; }
(( errors == 0 )) || { echo "FAIL: socket errors"; ok=0; }
(( peak_rss / 1024 < max_rss_mb )) || { echo "FAIL: peak RSS over $max_rss_mb MB"; ok=0; }
(( recovered == 50 )) || { echo "FAIL: not recovered"; ok=0; }
(( ok )) && echo "PASS"
(( ok ))
