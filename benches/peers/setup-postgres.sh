#!/usr/bin/env bash
# Installs the peers the comparison harness (benches/src/bin/compare.rs) needs from Debian:
# PostgreSQL 15 and PostGIS 3. SQLite needs nothing: rusqlite bundles it.
#
# The harness starts its own throw-away cluster (initdb in a temporary directory, loopback only,
# a free non-default port) and stops it when done; the cluster the Debian package may create is
# not used. Run as root (apt-get); the harness itself runs the server as the `postgres` user
# when started as root.
set -euo pipefail

packages=(postgresql-15 postgresql-15-postgis-3)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "missing ${missing[*]}: run as root, or apt-get install ${missing[*]}" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
/usr/lib/postgresql/15/bin/postgres --version
dpkg-query -W -f='postgis ${Version}\n' postgresql-15-postgis-3
