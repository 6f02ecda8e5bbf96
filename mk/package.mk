# mk/package.mk - the Python package: assets, wheel, demo, and the whole test run.
#
#   make wheel   dist/pywebworker-<version>-py3-none-any.whl (+ sdist), with
#                _core.wasm and js/*.js as package data
#   make demo    examples/quickstart.py in Pyodide on Node (the main job)
#   make test    every test: lint, C core, then Python in Pyodide on Node and Chromium
#   make lint    generated constants up to date (tools/gen_constants.py --check), ruff over
#                every Python file, mypy --strict (config: pyproject.toml)

PKG_JS := $(patsubst js/%,pywebworker/js/%,$(wildcard js/*.js))
PKG_PY := $(wildcard pywebworker/*.py) pywebworker/py.typed
PKG_VERSION := $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' pywebworker/_version.py)
WHEEL := dist/pywebworker-$(PKG_VERSION)-py3-none-any.whl
DEMO_PYODIDE ?= 314.0.7

.PHONY: wheel demo test lint clean-package

pywebworker/js/%.js: js/%.js
	@mkdir -p $(@D)
	cp $< $@

$(WHEEL): $(PKG_JS) $(PKG_PY) pywebworker/_core.wasm setup.cfg pyproject.toml MANIFEST.in README.md
	@$(SETUP) pip
	rm -rf dist/pywebworker-* build/lib build/bdist* pywebworker.egg-info
	$(PYTHON) -m build --outdir dist . >build/wheel.log 2>&1 || { cat build/wheel.log; exit 1; }
	@ls -l dist/pywebworker-*

wheel: $(WHEEL)

demo: deps wheel
	$(PYTHON) tools/make_dist.py $(DEMO_PYODIDE)
	node examples/run_node.mjs examples/quickstart.py

# lint first: seconds, and it fails before ten minutes of tests do.
test: deps lint test-c wheel test-py

lint: deps-pip
	$(PYTHON) tools/gen_constants.py --check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m mypy

clean-package:
	rm -rf dist pywebworker/js pywebworker.egg-info
