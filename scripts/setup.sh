#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine with Python 3.11+.
#   scripts/setup.sh          runtime only (the app)
#   scripts/setup.sh --dev    runtime + tests + browser + CJK fonts
# Idempotent: a second run only checks. The virtualenv lives in .venv/ (override: VENV=...).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
DEV=0
[ "${1:-}" = "--dev" ] && DEV=1

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
req=requirements.txt
[ "$DEV" = 1 ] && req=requirements-dev.txt
stamp="$VENV/.installed-$(sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$DEV"
if [ ! -f "$stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  touch "$stamp"
fi

# System packages: a CJK font so Chinese renders in maps, PDFs and screenshots, and
# Debian's Chromium for the browser tests (Playwright drives it; it never downloads one).
need=()
# Not `grep -q`: it stops reading at the first match, fc-list then dies of SIGPIPE and,
# under pipefail, the font would count as missing (and be installed again every run).
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || need+=(fonts-noto-cjk)
if [ "$DEV" = 1 ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  # A real PostgreSQL server for the store's tests (tests/pg_server.py starts its own).
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
    echo "installing Debian packages: ${need[*]}"
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      "${need[@]}" fontconfig >/dev/null
  else
    echo "note: cannot install ${need[*]} without root; Chinese text may render as boxes" >&2
  fi
fi
