# mk/lite.mk - a JupyterLite site with pywebworker, built offline (issue 15).
#
#   make lite        build/lite/ (tools/make_lite.py): jupyterlite-core and
#                    jupyterlite-pyodide-kernel 0.8.6 from PyPI (pinned in
#                    tools/requirements-lite.txt, in their own venv build/lite-venv/), Pyodide
#                    $(LITE_PYODIDE) from npm inside the site with the wheels its kernel loads
#                    (from PyPI at the lock's versions), the pywebworker wheel in its pypi/
#                    (`%pip install pywebworker` finds it by name), examples/notebooks/ as its
#                    contents; no PyPI fallback at run time: offline
#   make serve-lite  serve it on http://127.0.0.1:$(LITE_PORT)/lab/index.html
#                    (LITE_ISOLATED=1: with COOP/COEP, shared memory in the kernel's worker)
#   make test-lite   only tests/py/test_lite.py: the site in headless Chromium, each notebook's
#                    cells run one at a time (~1.5 minutes). `make test` runs it too, inside
#                    test-py's Pyodide $(LITE_PYODIDE) session with --rt chrome.

LITE_PYODIDE ?= 314.0.7
LITE_PORT ?= 8010
LITE_ISOLATED ?=

.PHONY: lite serve-lite test-lite deps-lite

deps-lite:
	@$(SETUP) lite

lite: deps-lite wheel
	$(PYTHON) tools/make_lite.py --pyodide $(LITE_PYODIDE)

serve-lite: lite
	$(PYTHON) tools/make_lite.py --serve --port $(LITE_PORT) $(if $(LITE_ISOLATED),--isolated)

# test-py's sessions find the site built (tests/py/test_lite.py builds it only when missing).
test-py: lite

test-lite: lite
	PYWW_PYODIDE=$(LITE_PYODIDE) $(PYTHON) -m pytest tests/py/test_lite.py --rt chrome -p no:cacheprovider $(RERUN_ARGS) $(PYTEST_ARGS)
