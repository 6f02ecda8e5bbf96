# mk/calls.mk - call benchmark (issue 5): pywebworker calls against comlink, in Node.
#
#   make bench-calls   bench/calls/run.mjs: round-trip latency and calls/s for
#                      PyWorker and JsWorker calls from Python in Pyodide, and
#                      comlink (JS to JS) in the same process.
# BENCH_CALLS_ARGS: "<sequential calls> <calls at once> <rounds>" (default 1000 5000 5).

BENCH_CALLS_ARGS ?= 1000 5000 5
BENCH_CALLS_PYODIDE ?= 314.0.7

.PHONY: bench-calls

bench/calls/node_modules/comlink/package.json: bench/calls/package.json
	cd bench/calls && npm install --no-audit --no-fund

bench-calls: wheel bench/calls/node_modules/comlink/package.json
	PYWW_PYODIDE=$(BENCH_CALLS_PYODIDE) node bench/calls/run.mjs $(BENCH_CALLS_ARGS)
