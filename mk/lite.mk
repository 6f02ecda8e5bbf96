# mk/lite.mk - a JupyterLite site with pywebworker, built offline (issue 15).
#
#   make lite        build/lite/: jupyterlite-core + jupyterlite-pyodide-kernel (PyPI, pinned in
#                    tools/requirements-lite.txt, in the venv build/lite-venv/), Pyodide
#                    $(LITE_PYODIDE) from npm inside the site with the kernel's wheels from
#                    PyPI, the pywebworker wheel in its pypi/ (`%pip install pywebworker`),
#                    examples/notebooks/ as its contents (tools/make_lite.py)
#   make serve-lite  serve it on http://127.0.0.1:$(LITE_PORT)/lab/index.html
#   make test-lite   tests/py/test_lite.py: the site in headless Chromium, a notebook's cells
#                    run one at a time (part of `make test`, ~1-2 minutes)

LITE_PYODIDE ?= 314.0.7
LITE_PORT ?= 8010

.PHONY: lite serve-lite test-lite deps-lite

deps-lite:
	@$(SETUP) lite

lite: deps-lite wheel
	$(PYTHON) tools/make_lite.py --pyodide $(LITE_PYODIDE)

serve-lite: lite
	$(PYTHON) tools/make_lite.py --serve --port $(LITE_PORT)

test-lite: lite
	PYWW_PYODIDE=$(LITE_PYODIDE) $(PYTHON) -m pytest tests/py/test_lite.py --rt chrome -p no:cacheprovider $(RERUN_ARGS) $(PYTEST_ARGS)
