#!/usr/bin/env python3
"""Fails when any dependency's licence expression allows only copyleft (GPL/LGPL/AGPL) terms.

A dual licence such as "MIT OR GPL-2.0" is fine: we take it under MIT. An expression is rejected
when no alternative is free of GPL-family licences, or when a crate states no licence at all.
"""
import json
import re
import subprocess
import sys

COPYLEFT = re.compile(r"\b(A?GPL|LGPL)", re.IGNORECASE)

meta = json.loads(
    subprocess.check_output(
        ["cargo", "metadata", "--format-version", "1", "--locked"], text=True
    )
)
bad = []
for pkg in meta["packages"]:
    lic = pkg.get("license")
    if not lic:
        if pkg.get("source") is None:
            continue  # our own workspace crates
        bad.append(f"{pkg['name']} {pkg['version']}: no licence stated")
        continue
    alternatives = re.split(r"\s+OR\s+|/", lic.replace("(", " ").replace(")", " "))
    if all(COPYLEFT.search(alt) for alt in alternatives if alt.strip()):
        bad.append(f"{pkg['name']} {pkg['version']}: {lic}")
if bad:
    print("copyleft or unlicensed dependencies:", *bad, sep="\n  ")
    sys.exit(1)
print(f"{len(meta['packages'])} packages checked, none GPL/LGPL/AGPL-only")
