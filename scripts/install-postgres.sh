#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the tests (tests/helpers/postgres.ts starts a throwaway server per
# test file from its binaries), only when no server is installed. Debian/Ubuntu with apt-get and root.
set -euo pipefail

if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "postgresql present: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-postgres: apt-get not found; install a PostgreSQL server by hand (initdb on the PATH, or PG_BIN_DIR)" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update
# The package's own cluster is not used (the tests make their own); it may fail to start without an init
# system, which is fine.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends postgresql || true
ls /usr/lib/postgresql/*/bin/initdb
