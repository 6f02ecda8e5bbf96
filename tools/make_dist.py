#!/usr/bin/env python3
"""Assemble an offline Pyodide "dist dir" per version under build/pyodide/<version>/.

    python tools/make_dist.py            # all versions in VERSIONS
    python tools/make_dist.py 314.0.7    # just one

Why this exists: the npm `pyodide` package ships only the core runtime (no
package wheels), and both Pyodide (loadPackage) and pytest-pyodide expect a
directory that holds pyodide.{js,mjs,asm.*}, python_stdlib.zip, pyodide-lock.json
*and* the wheels named in the lock.  We only need micropip (+ packaging) for
the tests, and we cannot reach the Pyodide CDN, so we take those wheels from
PyPI at the exact versions pinned in each lock file.

Notes:
* pytest-pyodide's module_test.html / module_webworker_*.js are served from
  memory by its own web server (server.py: DefaultHandler.get_template) and its
  node driver is loaded from the pytest_pyodide package, so nothing of
  pytest-pyodide has to be copied here.
* The wheels on PyPI are NOT byte-identical to the ones Pyodide built for its
  CDN (different sha256), and loadPackage verifies sha256 from the lock file
  (SRI in browsers, explicit check in node).  So we rewrite the sha256 of those
  entries in the *copied* lock file.  Each patch is printed.
* Why the lock is patched as plain JSON and not with the `pyodide-lock` package:
  pyodide-lock 0.1.x (the last for Python 3.11, the host's Python here and on Debian
  12) rejects the 314.0.7 lock (359 validation errors: the packages' new `tool` field,
  no `info.version`), and 0.2.x, which reads it, requires Python >= 3.12.  Revisit
  when the host Python is 3.12: PyodideLockSpec.from_json, update_package_sha256,
  to_json.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# version -> npm package dir (see root package.json; 0.29.3 is an npm alias)
VERSIONS = {
    "314.0.7": ROOT / "node_modules" / "pyodide",
    "0.29.3": ROOT / "node_modules" / "pyodide-0293",
}
# Packages from the lock we make available offline (their lock `depends` are
# followed too).  micropip vendors packaging, but we ship packaging anyway so
# loadPackage("packaging") also works.  pytest + tblib: pytest-pyodide's
# run_in_pyodide loadPackage()s them whenever they are in the lock (assert
# rewriting / traceback pickling), so without them every test fails offline.
# cloudpickle: pywebworker's one dependency (WorkerPool), found by micropip in the lock.
WANTED = ["micropip", "packaging", "pytest", "tblib", "cloudpickle"]


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def copy_if_changed(src: Path, dst: Path) -> None:
    if dst.exists() and dst.stat().st_size == src.stat().st_size and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    shutil.copy2(src, dst)


def fetch_wheel(name: str, version: str, py_mm: str, whl: Path) -> None:
    """Put PyPI's wheel for name==version at `whl` (the lock's file name)."""
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip"]
        # --python-version: micropip>=0.10 requires python>=3.13, host is 3.11.
        r = subprocess.run(pip + ["download", "-q", "--no-deps", "--only-binary=:all:",
                                  "--python-version", py_mm, f"{name}=={version}", "-d", tmp],
                           capture_output=True)
        if r.returncode != 0:
            # Some lock entries (e.g. atomicwrites 1.4.1, a pytest dep) exist
            # on PyPI only as sdists; Pyodide built the wheel itself.  They are
            # pure Python, so build the wheel locally from the sdist.
            print(f"no wheel for {name}=={version} on PyPI: building from sdist")
            subprocess.run(pip + ["wheel", "-q", "--no-deps", f"{name}=={version}", "-w", tmp], check=True)
        (got,) = Path(tmp).glob("*.whl")
        if got.name != whl.name:
            print(f"note: {got.name} stored as {whl.name} (lock file name)")
        shutil.move(str(got), whl)


def lock_key(packages: Mapping[str, object], name: str) -> str:
    """The lock's key for a `depends` entry (ipython depends on "prompt_toolkit", the lock
    names it "prompt-toolkit"): PEP 503 normalization on both sides."""
    if name in packages:
        return name
    norm = re.sub(r"[-_.]+", "-", name).lower()
    for key in packages:
        if re.sub(r"[-_.]+", "-", key).lower() == norm:
            return str(key)
    raise KeyError(f"{name} not in the Pyodide lock")


def make(version: str, dest: Path | None = None, wanted: list[str] | None = None) -> Path:
    """The dist dir of `version` at `dest` (default build/pyodide/<version>/) with the
    `wanted` lock packages (default WANTED) and their lock dependencies."""
    src = VERSIONS[version]
    if not (src / "package.json").exists():
        sys.exit(f"{src} missing: run tools/setup.sh (npm ci) first")
    npm_version = json.loads((src / "package.json").read_text())["version"]
    assert npm_version == version, (src, npm_version, version)
    dest = dest or ROOT / "build" / "pyodide" / version
    dest.mkdir(parents=True, exist_ok=True)
    for f in src.iterdir():
        if f.is_file() and f.name != "pyodide-lock.json":
            copy_if_changed(f, dest / f.name)

    lock = json.loads((src / "pyodide-lock.json").read_text())
    py_mm = ".".join(lock["info"]["python"].split(".")[:2])  # wheels' Requires-Python
    todo, seen, patched = list(wanted or WANTED), set(), []
    while todo:
        name = lock_key(lock["packages"], todo.pop())
        if name in seen:
            continue
        seen.add(name)
        ent = lock["packages"][name]
        todo += ent.get("depends", [])
        whl = dest / ent["file_name"]
        if not whl.exists():
            fetch_wheel(ent["name"], ent["version"], py_mm, whl)
        digest = sha256(whl)
        if digest != ent["sha256"]:
            patched.append(name)  # Pyodide CDN build != PyPI build
            ent["sha256"] = digest
    out = json.dumps(lock, indent=None, separators=(",", ":"))
    lock_path = dest / "pyodide-lock.json"
    if not lock_path.exists() or lock_path.read_text() != out:
        lock_path.write_text(out)
    if patched:
        print(f"[{version}] lock sha256 patched to the PyPI wheels for: {' '.join(sorted(patched))}")
    shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest
    print(f"[{version}] dist ready: {shown} (python {lock['info']['python']})")
    return dest


if __name__ == "__main__":
    for v in sys.argv[1:] or list(VERSIONS):
        make(v)
