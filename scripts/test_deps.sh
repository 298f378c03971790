#!/usr/bin/env bash
# What the test suite needs beyond Python: Debian's chromium (the report test renders in a real browser). SLURM and
# PostgreSQL install themselves when their tests start them (scripts/slurm_up.sh). Installs when missing and this
# is root with apt-get; otherwise says in one line what to install and fails.
set -euo pipefail
if command -v chromium >/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing chromium (Debian) for the report test ..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "make test needs a Chromium browser at 'chromium' on PATH: install Debian's package chromium (apt-get install chromium) as root" >&2
exit 1
