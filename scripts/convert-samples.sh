#!/usr/bin/env bash
# Converts the real-source samples in data/formats/ through the adapters into
# data/default/samples.ndjson (part of the embedded default data, see core/src/defaults.rs).
# Usage: scripts/convert-samples.sh   (from anywhere; builds the indexer if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/default/samples.ndjson
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build -q -p indexer
bin=target/debug/indexer
"$bin" import ptv data/formats/ptv/*.json --drop-orphans --out "$tmp/ptv.ndjson"
"$bin" import linkedevents data/formats/linkedevents/*.json --drop-orphans --out "$tmp/le.ndjson"
mkdir -p data/default
cat "$tmp/ptv.ndjson" "$tmp/le.ndjson" > "$out"
# Check what was written is a clean import on its own.
"$bin" validate --max-errors 0 "$out"
echo "wrote $out ($(wc -l < "$out") records)"
