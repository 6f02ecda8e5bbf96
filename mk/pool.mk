# mk/pool.mk - warm start and WorkerPool benchmark (issue 10).
#
#   make bench-pool   bench/pool/run.py: warm start() -> ready() with a spare waiting
#                     against a cold start and a raw Pyodide worker, memory per idle
#                     spare, a CPU-bound pool.map on WorkerPool(2) / WorkerPool(1) / the
#                     host, an empty task's round trip against an __export__ call and
#                     (Chromium) a PyScript named-worker export, tasks/s for 10 000 tiny
#                     tasks; in Node (run.mjs) and headless Chromium (chromium.py).
#                     Writes build/bench/pool.json and bench/pool/RESULTS.md (~5 minutes;
#                     BENCH_POOL_ARGS=--quick: ~2-3 minutes). `make bench` runs it too.
# Installs what it needs (deps) and makes build/pyodide/<version> itself (tools/make_dist.py).
# BENCH_POOL_ARGS: e.g. --quick, --hosts node, --only warm,cpu,tasks.

BENCH_POOL_ARGS ?=
BENCH_POOL_PYODIDE ?= $(BENCH_PYODIDE)

.PHONY: bench-pool

bench-pool: deps wheel bench/calls/node_modules/.package-lock.json
	$(PYTHON) tools/make_dist.py $(BENCH_POOL_PYODIDE)
	$(PYTHON) bench/pool/run.py --pyodide $(BENCH_POOL_PYODIDE) $(BENCH_POOL_ARGS)

# bench/run.py (make bench, bench-quick) runs bench/pool/run.py: its Chromium page is
# PyScript's, installed with bench/calls' npm packages.
bench bench-quick: bench/calls/node_modules/.package-lock.json
