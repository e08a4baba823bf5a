#!/usr/bin/env bash
# Runs the widget's Chromium end-to-end specs against the real search-api on loopback, over an
# index of the evaluation corpus plus the widget's fixtures (which hold the XSS corpus).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --locked -q -p indexer -p search-api
# The widget fixtures hold hostile URLs, e-mails and phones that the importer must reject;
# data/fixtures/xss.ndjson holds payloads in every text field that pass validation.
target/debug/indexer build --index-dir "$work/index" \
    data/eval/corpus.ndjson widget/test/fixtures/records.ndjson data/fixtures/xss.ndjson >"$work/build.log" 2>&1 \
    || { cat "$work/build.log"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
target/debug/search-api --listen "127.0.0.1:$port" --index-dir "$work/index" >"$work/api.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/ready" >/dev/null || { cat "$work/api.log"; exit 1; }

(cd widget && TARJOTIN_API_URL="http://127.0.0.1:$port" npm run test:e2e)
