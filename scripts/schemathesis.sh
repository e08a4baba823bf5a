#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests from /openapi.json and checks that the
# server never answers 5xx and that every response matches the documented schema.
#
# Installs schemathesis with pip into a local venv (target/schemathesis/venv), builds the API,
# starts it on a free loopback port over a fresh index of the embedded default data, runs a
# bounded schemathesis session and stops the server.
#
# Env: SCHEMATHESIS_MAX_EXAMPLES (default 30), SCHEMATHESIS_TIME_LIMIT seconds (default 600),
#      SCHEMATHESIS_VERSION (default a 4.x release), CARGO_PROFILE (dev|release, default dev).
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/schemathesis
venv=$work/venv
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-30}
time_limit=${SCHEMATHESIS_TIME_LIMIT:-600}
version=${SCHEMATHESIS_VERSION:->=4,<5}
profile=${CARGO_PROFILE:-dev}
mkdir -p "$work"

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis$version"
fi

cargo build --locked --profile "$profile" -p search-api
case "$profile" in dev) bin=target/debug/search-api ;; *) bin=target/$profile/search-api ;; esac

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
index_dir=$(mktemp -d)
log=$work/server.log
"$bin" --listen "127.0.0.1:$port" --index-dir "$index_dir" >"$log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$index_dir"
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do
    if curl -fsS "$base/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "search-api exited early:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.2
done
curl -fsS "$base/ready" >/dev/null

status=0
timeout "$time_limit" "$venv/bin/schemathesis" run "$base/openapi.json" \
    --url "$base" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$max_examples" \
    --seed 1 \
    --no-color || status=$?

if grep -q '"status":5\|status=5' "$log"; then
    echo "server log shows 5xx responses:" >&2
    grep '"status":5\|status=5' "$log" >&2 || true
fi
exit "$status"
