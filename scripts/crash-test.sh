#!/usr/bin/env bash
# Long crash-safety run: SIGKILLs `indexer build` and `indexer apply` at random moments N times
# each (default 50) with a release build, and checks after every kill that the published index
# is the last complete one (checksum of the sorted ids, `indexer stats --ids`), that the writer lock was released, and that the next run
# succeeds. The quick version runs in `cargo test -p indexer` (crash_safety_build_and_apply).
#
# Usage: scripts/crash-test.sh [N] [RECORDS]     e.g. scripts/crash-test.sh 50 50000
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
RECORDS=${2:-50000}
SEED=${SEED:-1}
cargo build -q --release -p indexer
bin=target/release/indexer
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" synth --records "$RECORDS" --seed 42 --out "$work/input.ndjson"
"$bin" synth --records $((RECORDS / 4)) --seed 43 --changes --out "$work/changes.ndjson"

fingerprint() { # documents and a checksum of the sorted ids of the published index
  "$bin" stats --index-dir "$work/idx" --ids | sha256sum | cut -c1-16
}

run_kills() { # $1 = build|apply, $2 = input
  local what=$1 input=$2 killed=0 finished=0 bad=0 start ms
  start=$(date +%s%N)
  "$bin" "$what" --index-dir "$work/idx" "$input" > /dev/null
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  local expected; expected=$(fingerprint)
  RANDOM=$SEED
  for i in $(seq 1 "$N"); do
    local before; before=$(fingerprint)
    local gen_before; gen_before=$(cat "$work/idx/CURRENT")
    "$bin" "$what" --index-dir "$work/idx" "$input" > /dev/null 2>&1 &
    local pid=$!
    local wait_ms=$(( 50 + (RANDOM * 32768 + RANDOM) % (ms + 1) ))
    sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
    if kill -0 "$pid" 2> /dev/null; then
      kill -KILL "$pid" 2> /dev/null && killed=$((killed + 1))
    else
      finished=$((finished + 1))
    fi
    wait "$pid" 2> /dev/null || true
    local after; after=$(fingerprint) || { echo "kill $i: index does not open"; bad=$((bad + 1)); continue; }
    if [[ $(cat "$work/idx/CURRENT") == "$gen_before" && "$after" != "$before" ]]; then
      echo "kill $i ($what after ${wait_ms} ms): same generation, different content"; bad=$((bad + 1))
    fi
    if [[ "$after" != "$expected" ]]; then
      echo "kill $i ($what after ${wait_ms} ms): content is not the last complete publish"; bad=$((bad + 1))
    fi
  done
  "$bin" "$what" --index-dir "$work/idx" "$input" > /dev/null || { echo "$what after the kills failed"; bad=$((bad + 1)); }
  [[ $(fingerprint) == "$expected" ]] || { echo "$what after the kills: wrong content"; bad=$((bad + 1)); }
  echo "$what: $N runs (one full run ${ms} ms): $killed killed, $finished finished first, $bad inconsistent"
  return "$bad"
}

status=0
run_kills build "$work/input.ndjson" || status=1
run_kills apply "$work/changes.ndjson" || status=1
echo "generations left: $(ls "$work/idx/generations" | wc -l)"
exit $status
