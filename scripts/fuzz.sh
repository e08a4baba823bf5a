#!/usr/bin/env bash
# Timed fuzz run of every target in fuzz/ with cargo-fuzz (libFuzzer), SECONDS per target
# (default 60). Starts from the committed seeds in fuzz/corpus/<target>; what the fuzzer adds goes
# to a scratch directory, so the committed corpus stays small. A crash is copied to
# fuzz/regressions/<target>/ (replayed by `cargo test` from then on) and the script fails.
#
# Stable Rust only: cargo-fuzz passes nightly-only flags (-Zsanitizer, sanitizer coverage), which
# RUSTC_BOOTSTRAP=1 unlocks on the stable compiler. AddressSanitizer is used when it links
# (the stable toolchain ships its runtime); SANITIZER=none turns it off.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]       Env: SANITIZER (address), JOBS (1)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
sanitizer=${SANITIZER:-address}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz > /dev/null; then
  cargo install cargo-fuzz --locked
fi
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build --sanitizer "$sanitizer"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
summary=()
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t" "fuzz/regressions/$t" "fuzz/artifacts/$t"
  seeds=$(ls "fuzz/corpus/$t" | wc -l)
  log="$scratch/$t.log"
  echo "== $t: ${secs} s from $seeds seeds"
  if cargo fuzz run --sanitizer "$sanitizer" "$t" "$scratch/$t" "fuzz/corpus/$t" "fuzz/regressions/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    > "$log" 2>&1; then
    status=ok
  else
    status=CRASH
    failed+=("$t")
    for a in fuzz/artifacts/"$t"/*; do
      [ -f "$a" ] && cp "$a" "fuzz/regressions/$t/" && echo "   crash input: fuzz/regressions/$t/$(basename "$a")"
    done
    grep -E 'panicked|ERROR: |SUMMARY' "$log" | head -5 | sed 's/^/   /' || true
  fi
  # A crash or timeout can leave no stats line: that must not end the whole run (set -e).
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  corpus=$(ls "$scratch/$t" | wc -l)
  line="$t: $status, ${runs:-?} runs, coverage ${cov:-?} edges, $corpus new corpus entries"
  echo "   $line"
  summary+=("$line")
done
echo
echo "== summary (${secs} s per target, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashes in: ${failed[*]} (inputs copied to fuzz/regressions/)"
  exit 1
fi
