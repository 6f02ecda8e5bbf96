#!/usr/bin/env python3
"""Build, offline, a JupyterLite site with pywebworker in build/lite/ (`make lite`).

    python tools/make_lite.py [--pyodide 314.0.7] [--out build/lite]   # build
    python tools/make_lite.py --serve [--port 8010] [--isolated]        # serve it

What it assembles in build/lite-src/ (the site's "lite dir"), then `jupyter lite build`:

* static/pyodide/ : Pyodide from npm (node_modules/pyodide) with the wheels the kernel loads
  from Pyodide's lock -- micropip, ipython, jedi and their lock dependencies -- taken from
  PyPI at the lock's versions by tools/make_dist.py (the same code as the test dists).
  jupyterlite-pyodide-kernel's build addon copies a lite dir's static/pyodide/ into the site
  and points the kernel's `pyodideUrl` at its pyodide.mjs (addons/pyodide.py: the
  "well-known" path, then `patch_jupyter-lite.json`).
* pypi/ : the pywebworker wheel (dist/) and `comm`, the one package of the kernel's start-up
  that is neither in the kernel's own pypi/ nor in Pyodide's lock.  The kernel's piplite
  indexes them in pypi/all.json, so `%pip install pywebworker` finds it by name.
* jupyter-lite.json : `disablePyPIFallback`: a package that is not in the site fails to
  install instead of being fetched from pypi.org, so the site is offline by construction
  (and the test fails if anything would come from the network).
* files/ : examples/notebooks/*.ipynb, the site's contents.

The kernel's start-up (jupyterlite-pyodide-kernel 0.8.6, its comlink worker): loadPackage
micropip; micropip.install(piplite wheel); piplite.install ipykernel, comm, pyodide-kernel,
jedi, ipython.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1] / "examples" / "web")]
import make_dist  # noqa: E402
from serve import serve  # noqa: E402

ROOT = make_dist.ROOT
# jupyterlite's own venv (tools/setup.sh lite; tools/requirements-lite.txt says why).
VENV = ROOT / "build" / "lite-venv"
# What the kernel installs from Pyodide's lock (see the module docstring); make_dist follows
# their lock `depends`.  cloudpickle: pywebworker's dependency.
KERNEL_WANTED = ["micropip", "ipython", "jedi", "cloudpickle"]
# Not in the lock: from PyPI into the site's pypi/.  comm: ipykernel's shim requires it.
EXTRA_WHEELS = ["comm==0.2.3"]
PYODIDE_KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


def fetch_extra(spec: str, py_mm: str, dest: Path) -> None:
    """Put PyPI's wheel for ``spec`` ("name==version") in ``dest`` unless it is there.

    Raises
    ------
    subprocess.CalledProcessError
        pip could not download it (no wheel for Python ``py_mm``, no network).
    """
    name, version = spec.split("==")
    if any(dest.glob(f"{name}-{version}-*.whl")):
        return
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                    "--only-binary=:all:", "--python-version", py_mm, spec, "-d", str(dest)],
                   check=True)


def lock_closure(lock: dict[str, Any], wanted: list[str]) -> dict[str, dict[str, Any]]:
    """The lock entries of ``wanted`` and of their lock dependencies, by lock key."""
    packages: dict[str, dict[str, Any]] = lock["packages"]
    todo, found = list(wanted), {}
    while todo:
        key = make_dist.lock_key(packages, todo.pop())
        if key not in found:
            found[key] = packages[key]
            todo += packages[key].get("depends", [])
    return found


def build(version: str, out: Path) -> None:
    """Assemble build/lite-src/ and build the site into ``out`` (replaced).

    Parameters
    ----------
    version
        The Pyodide of the site, a key of ``make_dist.VERSIONS`` (its npm package).
    out
        The site's directory.

    Raises
    ------
    SystemExit
        No pywebworker wheel in dist/.
    subprocess.CalledProcessError
        A wheel could not be fetched, or ``jupyter lite build`` failed.
    """
    src = ROOT / "build" / "lite-src" / version  # one per Pyodide: static/pyodide/ differs
    # Pyodide builds some standard-library modules as wheels of their own (0.29.3: sqlite3,
    # which ipython depends on; ssl); PyPI has no such distribution, so offline they cannot be.
    npm_lock = json.loads((make_dist.VERSIONS[version] / "pyodide-lock.json").read_text())
    own = sorted(k for k, e in lock_closure(npm_lock, KERNEL_WANTED).items()
                 if e.get("package_type") == "cpython_module")
    if own:
        sys.exit(f"Pyodide {version}: the kernel's packages need {', '.join(own)}, built by Pyodide "
                 "for its CDN and not on PyPI: no offline site with this version")
    pyodide = make_dist.make(version, dest=src / "static" / "pyodide", wanted=KERNEL_WANTED)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text())
    py_mm = ".".join(lock["info"]["python"].split(".")[:2])

    pypi = src / "pypi"
    wheels = sorted((ROOT / "dist").glob("pywebworker-*-py3-none-any.whl"))
    if not wheels:
        sys.exit("no dist/pywebworker-*.whl: run `make wheel` first")
    pypi.mkdir(parents=True, exist_ok=True)
    for old in pypi.glob("pywebworker-*.whl"):
        old.unlink()
    shutil.copy2(wheels[-1], pypi / wheels[-1].name)
    for spec in EXTRA_WHEELS:
        fetch_extra(spec, py_mm, pypi)

    files = src / "files"
    shutil.rmtree(files, ignore_errors=True)
    files.mkdir(parents=True)
    for nb in sorted((ROOT / "examples" / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, files / nb.name)

    (src / "jupyter-lite.json").write_text(json.dumps({
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "litePluginSettings": {PYODIDE_KERNEL_PLUGIN: {"disablePyPIFallback": True}},
        },
    }, indent=2) + "\n")
    (src / "jupyter_lite_config.json").write_text(json.dumps({
        "LiteBuildConfig": {"contents": ["files"], "no_sourcemaps": True},
    }, indent=2) + "\n")

    # A fresh site each time: doit's task database would otherwise skip merging an unchanged
    # jupyter-lite.json into an output dir that no longer has it.
    shutil.rmtree(out, ignore_errors=True)
    for db in src.glob(".jupyterlite.doit.db*"):
        db.unlink()
    subprocess.run([str(VENV / "bin" / "jupyter"), "lite", "build",
                    "--lite-dir", str(src), "--output-dir", str(out)], check=True, cwd=src)
    config = json.loads((out / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][PYODIDE_KERNEL_PLUGIN]
    print(f"site ready: {out.relative_to(ROOT)} (Pyodide {version}, "
          f"pyodideUrl {settings.get('pyodideUrl')}, pipliteUrls {settings.get('pipliteUrls')})")


def main() -> None:
    assert __doc__
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pyodide", default="314.0.7", choices=sorted(make_dist.VERSIONS))
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "lite")
    ap.add_argument("--serve", action="store_true", help="serve the built site instead")
    ap.add_argument("--port", type=int, default=8010)
    ap.add_argument("--isolated", action="store_true",
                    help="send COOP/COEP headers: shared memory in the kernel's worker")
    args = ap.parse_args()
    out = args.out.resolve()
    if not args.serve:
        build(args.pyodide, out)
        return
    if not (out / "jupyter-lite.json").exists():
        sys.exit(f"no site in {out}: run `make lite` first")
    with serve(args.port, isolated=args.isolated, root=out) as url:
        print(f"JupyterLite: {url}/lab/index.html  (one notebook: {url}/notebooks/index.html?path=quickstart.ipynb)")
        print("Ctrl-C to stop")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
