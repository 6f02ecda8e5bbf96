# mk/bench.mk - benchmarks, the demo page server and the soak test (issue 4).
#
#   make bench   every benchmark in headless Chromium and Node + the C core under
#                callgrind; prints ratios against baselines measured in the same run,
#                writes build/bench/results.json, bench/RESULTS.md and its chart
#                bench/results.svg (~12 minutes); fetches the original PyWebWorker's
#                wheels from PyPI into build/bench/ (a peer in the Chromium page)
#   make serve   serve the repository on http://127.0.0.1:$(SERVE_PORT)/ : the demo
#                page is /examples/web/ (Pyodide from node_modules/pyodide), page
#                JavaScript calling Python /examples/web/backend.html (Pyodide from
#                the offline dist dir build/pyodide/$(DEMO_PYODIDE)/, made here)
#   make soak    one million messages through a JsWorker echo in Chromium and one
#                hundred workers created and killed; prints memory over time
#                (not part of `make test`; ~3 minutes)
#   make examples  run every examples/*.py in Pyodide on Node

SERVE_PORT ?= 8000
BENCH_ARGS ?=
SOAK_ARGS ?=
BENCH_PYODIDE ?= 314.0.7

.PHONY: bench bench-quick deps-bench serve soak

# matplotlib for the chart (tools/requirements-bench.txt)
deps-bench:
	@$(SETUP) bench

# The offline Pyodide dist every benchmark loads (build/pyodide/<v>/, with the wheels its
# CDN would serve): a fresh clone has none. tools/make_dist.py is a no-op once it is there.
.PHONY: bench-dist
bench-dist: deps
	$(PYTHON) tools/make_dist.py $(BENCH_PYODIDE)

bench: deps deps-bench wheel bench-dist
	$(PYTHON) bench/run.py --pyodide $(BENCH_PYODIDE) $(BENCH_ARGS)

# A smoke run of every benchmark (fewer repetitions; ~N minutes); `.ci/run` runs it after
# `make test`, so that the README's bench commands keep working on a fresh clone.
bench-quick: deps deps-bench wheel bench-dist
	$(PYTHON) bench/run.py --quick --pyodide $(BENCH_PYODIDE) $(BENCH_ARGS)

serve: deps wheel
	$(PYTHON) tools/make_dist.py $(DEMO_PYODIDE)
	$(PYTHON) examples/web/serve.py --port $(SERVE_PORT)

soak: deps wheel
	$(PYTHON) tools/make_dist.py $(BENCH_PYODIDE)
	$(PYTHON) bench/soak.py --pyodide $(BENCH_PYODIDE) $(SOAK_ARGS)

# Every notebook-style example in Pyodide on Node (examples/run_node.mjs).
EXAMPLES := examples/quickstart.py examples/readme_flow.py examples/pyworker_package.py \
  examples/binary_handoff.py

.PHONY: examples
examples: deps wheel
	$(PYTHON) tools/make_dist.py $(DEMO_PYODIDE)
	@set -e; for f in $(EXAMPLES); do echo "== $$f"; node examples/run_node.mjs $$f; done
