# Test infrastructure targets (see tools/).  Included by the top-level Makefile.
#
#   make deps      everything `make test` needs: apt, npm, pip (tools/setup.sh)
#   make deps-pip  only the pinned Python tools (tools/requirements-test.txt)
# Pyodide versions to test against (each has build/pyodide/<v>/ from make_dist)
PYODIDE_VERSIONS ?= 314.0.7 0.29.3
# pytest-pyodide runtimes (comma separated): node, chrome
PYODIDE_RUNTIMES ?= node,chrome
PYTEST_ARGS ?=
# A Chromium renderer that dies under a test ("tab crashed") is the machine, not pywebworker:
# rerun that test once in a new browser (tests/py/conftest.py `selenium`); pytest's summary
# says "1 rerun".  Any other failure fails at once.
RERUN_ARGS ?= --reruns 1 --only-rerun "tab crashed"

.PHONY: deps deps-pip pyodide-dist test-py

deps:
	@$(SETUP)

deps-pip:
	@$(SETUP) pip

pyodide-dist:
	$(PYTHON) tools/make_dist.py $(PYODIDE_VERSIONS)

# One pytest run per Pyodide version: pytest-pyodide has one global dist dir
# per session.  Runs all versions even if one fails, fails if any failed.
test-py: pyodide-dist
	@rc=0; for v in $(PYODIDE_VERSIONS); do \
	  echo "=== pytest tests/py: Pyodide $$v, runtimes $(PYODIDE_RUNTIMES)"; \
	  PYWW_PYODIDE=$$v $(PYTHON) -m pytest tests/py --rt $(PYODIDE_RUNTIMES) $(RERUN_ARGS) $(PYTEST_ARGS) || rc=1; \
	done; exit $$rc
