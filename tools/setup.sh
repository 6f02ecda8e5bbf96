#!/usr/bin/env bash
# Idempotent installer for everything the tests need on a fresh Debian 12 box
# (root, only PyPI / npm / apt reachable).  Fast no-op when all is present.
#   tools/setup.sh            # apt + npm + pip
# Env: PYTHON (default python3).  Afterwards: python tools/make_dist.py
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# 1. apt: chromium + chromedriver for the chrome runtime; the rest are for the
#    C/wasm side of the project.  `apt-get update` only if something is missing.
APT_PKGS=(chromium chromium-driver emscripten uthash-dev valgrind clang)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. npm: Pyodide runtimes (package.json / package-lock.json at repo root).
#    npm writes node_modules/.package-lock.json on install; if it is newer
#    than package-lock.json the tree is current.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ ! -f node_modules/pyodide/pyodide.mjs ] || [ ! -f node_modules/pyodide-0293/pyodide.mjs ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 3. pip: pinned test deps; skip pip entirely when every pin is satisfied.
if ! "$PYTHON" - tools/requirements-test.txt <<'PY'
import sys, re
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)==(\S+)", line)
    if not m: continue
    try:
        if version(m[1]) != m[2]: sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
then
  echo "setup: pip install -r tools/requirements-test.txt"
  "$PYTHON" -m pip install -q --disable-pip-version-check -r tools/requirements-test.txt
fi
echo "setup: ok"
