#!/usr/bin/env bash
# Disk full: the index lives on a small tmpfs (root needed for mount). A build and an apply that
# do not fit must fail with a clear message, leave CURRENT and the served index unchanged (same
# generation, same document count and id checksum, the API still answering), and a build that
# fits must succeed afterwards (no lock or half-written generation left behind eating the space).
#
# Env: SIZE_MB (tmpfs size, 24), SMALL (2000 records), LARGE (60000 records).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/load/common.sh
size_mb=${SIZE_MB:-24}
small=${SMALL:-2000}
large=${LARGE:-60000}

build_release
bin=target/release/indexer
work=$(mktemp -d)
fs="$work/fs"
mkdir -p "$fs"
cleanup() { stop_api; umount "$fs" 2> /dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
if ! mount -t tmpfs -o "size=${size_mb}m" tmpfs "$fs"; then
  echo "cannot mount a tmpfs (needs root or CAP_SYS_ADMIN)" >&2
  exit 2
fi
idx="$fs/idx"
$bin synth --records "$small" --seed 42 --out "$work/small.ndjson" > /dev/null
$bin synth --records "$large" --seed 7 --out "$work/large.ndjson" > /dev/null
$bin build --index-dir "$idx" "$work/small.ndjson" > /dev/null
fingerprint() { $bin stats --index-dir "$idx" --ids | sha256sum | cut -c1-16; }
gen_before=$(cat "$idx/CURRENT")
fp_before=$(fingerprint)
start_api "$idx"
served_before=$(generation)
echo "tmpfs ${size_mb} MB: $(df -h "$fs" | awk 'NR==2 {print $3 " used, " $4 " free"}') with generation $gen_before ($small records)"

ok=1
check_unchanged() { # $1 = what was attempted
  local gen fp served code
  gen=$(cat "$idx/CURRENT")
  fp=$(fingerprint)
  served=$(generation)
  code=$(curl -s -o "$work/search.json" -w '%{http_code}' "$BASE/v1/search?q=kuoro")
  if [[ $gen == "$gen_before" && $fp == "$fp_before" && $served == "$served_before" && $code == 200 ]]; then
    echo "  after the failed $1: CURRENT, content ($fp) and the served generation unchanged; search answers 200"
  else
    echo "FAIL: after the failed $1: CURRENT $gen, content $fp, served $served, search $code $(head -c 200 "$work/search.json")"
    ok=0
  fi
  echo "  space: $(df -h "$fs" | awk 'NR==2 {print $3 " used, " $4 " free"}'); files: $(ls "$idx" | tr '\n' ' ')"
}

for what in build apply; do
  echo "== $what of $large records on the full disk"
  if $bin "$what" --index-dir "$idx" "$work/large.ndjson" > "$work/$what.out" 2> "$work/$what.err"; then
    echo "FAIL: the $what succeeded; make SIZE_MB smaller or LARGE bigger"
    ok=0
    continue
  fi
  msg=$(grep -v '^\s*$' "$work/$what.err" | tail -3)
  echo "  exit status non-zero; message:"
  sed 's/^/    /' <<< "$msg"
  if ! grep -qiE 'no space left|disk full|ENOSPC|quota' "$work/$what.err"; then
    echo "FAIL: the message does not say the disk is full"
    ok=0
  fi
  check_unchanged "$what"
done

echo "== a build that fits, afterwards"
if $bin build --index-dir "$idx" "$work/small.ndjson" > /dev/null 2> "$work/again.err"; then
  echo "  OK: generation $(cat "$idx/CURRENT")"
else
  echo "FAIL: a build that fits failed after the disk-full runs:"
  cat "$work/again.err"
  ok=0
fi
(( ok )) && echo "PASS"
(( ok ))
