# mk/calls.mk - call benchmark (issue 5): pywebworker calls against comlink and PyScript.
#
#   make bench-calls   bench/calls/run.py: round-trip latency (median, p99) and calls/s
#                      for PyWorker and JsWorker calls from Python in Pyodide, in Node
#                      (run.mjs, against comlink in the same process) and in headless
#                      Chromium (chromium.py + chromium.html: comlink, PyScript
#                      named-worker exports and pywebworker in one page). Prints tables
#                      of ratios; writes build/bench/calls.json.
# BENCH_CALLS_ARGS: "<sequential calls> <calls at once> <rounds>" (default 1000 5000 5).
# BENCH_CALLS_HOSTS: node,chromium (default both).

BENCH_CALLS_ARGS ?= 1000 5000 5
BENCH_CALLS_PYODIDE ?= 314.0.7
BENCH_CALLS_HOSTS ?= node,chromium

.PHONY: bench-calls

bench/calls/node_modules/.package-lock.json: bench/calls/package.json bench/calls/package-lock.json
	cd bench/calls && npm ci --no-audit --no-fund

bench-calls: deps wheel bench/calls/node_modules/.package-lock.json
	$(PYTHON) tools/make_dist.py $(BENCH_CALLS_PYODIDE)
	$(PYTHON) bench/calls/run.py --pyodide $(BENCH_CALLS_PYODIDE) --hosts $(BENCH_CALLS_HOSTS) $(BENCH_CALLS_ARGS)
