# mk/core.mk - the C core (csrc/): native library, tests, wasm module,
# fuzzing and benchmark. Included by the top-level Makefile.
#
#   make core        native static library + test binaries (ASan/UBSan)
#   make wasm        build/_core.wasm, copied to pywebworker/_core.wasm
#   make test-c      C tests under ASan+UBSan, again under valgrind, + wasm
#   make fuzz        libFuzzer over op streams, FUZZ_SECONDS (default 60)
#   make bench-core  ns/round, callgrind instructions/round, bytes/message
#   make clean-core  remove the core's build outputs

CORE_SRC := csrc/pww_error.c csrc/pww_registry.c csrc/pww_queue.c \
  csrc/pww_call.c
CORE_WASM_SRC := $(CORE_SRC) csrc/pww_wasm.c
CORE_HDR := csrc/pww.h csrc/pww_internal.h csrc/pww_wasm.h
CORE_B := build/core
CORE_INC := build/include
CORE_UTHASH := $(CORE_INC)/uthash.h

CORE_TESTS := $(sort $(basename $(notdir $(wildcard tests/c/test_*.c))))
CORE_TEST_HDR := $(wildcard tests/c/*.h)

CORE_CC ?= gcc
CORE_WARN := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
  -Wmissing-prototypes -Werror
CORE_CFLAGS := $(CORE_WARN) -Icsrc -I$(CORE_INC)
CORE_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
  -fno-omit-frame-pointer
CORE_TEST_CFLAGS := $(CORE_CFLAGS) -Wno-missing-prototypes -Itests/c

# Exports of _core.wasm, exactly (documented in csrc/WASM_API.md).
CORE_WASM_EXPORTS := pww_w_create pww_w_destroy pww_w_count_workers \
  pww_w_state pww_w_set_state pww_w_push pww_w_push_kept pww_w_length pww_w_unread \
  pww_w_first_unread pww_w_list_unread pww_w_held pww_w_list_held \
  pww_w_info pww_w_mark_opened pww_w_release pww_w_release_opened \
  pww_w_set_limits pww_w_malloc pww_w_free pww_w_strerror pww_w_err_name \
  pww_w_call_begin pww_w_call_end pww_w_call_cancel pww_w_call_cancel_all \
  pww_w_call_stat pww_w_limit pww_w_fits
# The size budget of _core.wasm, in bytes: checked here and by test_wasm.mjs.
CORE_WASM_MAX_BYTES := 40960
CORE_EMCC_FLAGS := -O2 -DNDEBUG -DPWW_STATIC -Icsrc -I$(CORE_INC) \
  -fno-exceptions --no-entry -s STANDALONE_WASM=1 -s ALLOW_MEMORY_GROWTH=1 \
  -s ASSERTIONS=0 -s FILESYSTEM=0 -s ERROR_ON_UNDEFINED_SYMBOLS=1

FUZZ_SECONDS ?= 60
BENCH_ROUNDS ?= 2000000
CALLGRIND_ROUNDS ?= 200000

.PHONY: core wasm test-c fuzz bench-core clean-core core-deps core-fuzz-deps

all: core wasm

# ---- tools on a fresh Debian machine --------------------------------------

# tools/setup.sh installs what is missing (one apt-get update); a no-op otherwise.
core-deps:
	@$(SETUP) core

# libFuzzer: clang and its runtime.
core-fuzz-deps:
	@$(SETUP) core fuzz

# A private include dir: emcc must not see /usr/include.
$(CORE_UTHASH): | core-deps
	@mkdir -p $(CORE_INC)
	cp /usr/include/uthash.h $@

# ---- native ---------------------------------------------------------------

$(CORE_B)/rel/%.o: csrc/%.c $(CORE_HDR) $(CORE_UTHASH)
	@mkdir -p $(@D)
	$(CORE_CC) $(CORE_CFLAGS) -O2 -DNDEBUG -c $< -o $@

$(CORE_B)/libpww.a: $(patsubst csrc/%.c,$(CORE_B)/rel/%.o,$(CORE_SRC))
	$(AR) rcs $@ $^

# Tests link the core and the wasm layer (compiled natively) from source,
# once with sanitizers and once plain for valgrind.
$(CORE_B)/asan/%: tests/c/%.c $(CORE_WASM_SRC) $(CORE_HDR) $(CORE_TEST_HDR) $(CORE_UTHASH)
	@mkdir -p $(@D)
	$(CORE_CC) $(CORE_TEST_CFLAGS) $(CORE_SAN) -O1 -g $< $(CORE_WASM_SRC) -o $@

$(CORE_B)/vg/%: tests/c/%.c $(CORE_WASM_SRC) $(CORE_HDR) $(CORE_TEST_HDR) $(CORE_UTHASH)
	@mkdir -p $(@D)
	$(CORE_CC) $(CORE_TEST_CFLAGS) -O1 -g $< $(CORE_WASM_SRC) -o $@

core: $(CORE_B)/libpww.a $(addprefix $(CORE_B)/asan/,$(CORE_TESTS)) \
      $(addprefix $(CORE_B)/vg/,$(CORE_TESTS))

# ---- wasm -----------------------------------------------------------------

build/_core.wasm: $(CORE_WASM_SRC) $(CORE_HDR) csrc/wasm_finalize.mjs $(CORE_UTHASH)
	@mkdir -p $(CORE_B)
	emcc $(CORE_EMCC_FLAGS) $(CORE_WASM_SRC) -o $(CORE_B)/_core.raw.wasm
	node csrc/wasm_finalize.mjs $(CORE_B)/_core.raw.wasm $@ $(CORE_WASM_EXPORTS)
	@size=$$(wc -c < $@); echo "build/_core.wasm: $$size bytes"; \
	  test $$size -le $(CORE_WASM_MAX_BYTES) || { echo "_core.wasm over $(CORE_WASM_MAX_BYTES) bytes"; exit 1; }

pywebworker/_core.wasm: build/_core.wasm
	@mkdir -p $(@D)
	cp $< $@

wasm: pywebworker/_core.wasm

# ---- tests ----------------------------------------------------------------

test-c: core-deps core
	@set -e; for t in $(CORE_TESTS); do \
	  echo "== $$t (asan+ubsan)"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1 $(CORE_B)/asan/$$t; \
	done
	@set -e; for t in $(CORE_TESTS); do \
	  echo "== $$t (valgrind)"; \
	  valgrind -q --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=all $(CORE_B)/vg/$$t; \
	done
	$(MAKE) --no-print-directory wasm
	node tests/c/test_wasm.mjs build/_core.wasm $(CORE_WASM_MAX_BYTES)

# ---- fuzz -----------------------------------------------------------------

$(CORE_B)/fuzz_ops: tests/c/fuzz_ops.c $(CORE_WASM_SRC) $(CORE_HDR) $(CORE_TEST_HDR) $(CORE_UTHASH) | core-fuzz-deps
	@mkdir -p $(@D)
	clang $(CORE_TEST_CFLAGS) -g -O1 \
	  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	  $< $(CORE_SRC) -o $@

fuzz: $(CORE_B)/fuzz_ops
	@mkdir -p $(CORE_B)/fuzz-corpus
	$(CORE_B)/fuzz_ops -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -print_final_stats=1 $(CORE_B)/fuzz-corpus

# ---- bench ----------------------------------------------------------------

$(CORE_B)/bench_core: bench/core/bench_core.c $(CORE_SRC) $(CORE_HDR) $(CORE_UTHASH) | core-deps
	@mkdir -p $(@D)
	$(CORE_CC) $(CORE_CFLAGS) -O2 -DNDEBUG -g $< $(CORE_SRC) -o $@

bench-core: $(CORE_B)/bench_core
	$(CORE_B)/bench_core $(BENCH_ROUNDS)
	@valgrind --tool=callgrind --instr-atstart=no \
	  --callgrind-out-file=$(CORE_B)/callgrind.out \
	  $(CORE_B)/bench_core --callgrind $(CALLGRIND_ROUNDS) 2>/dev/null
	@awk -v n=$(CALLGRIND_ROUNDS) '/^(summary|totals):/ { ir = $$2 } \
	  END { printf "callgrind: %d instructions / %d rounds = %.1f instructions/round\n", ir, n, ir / n }' \
	  $(CORE_B)/callgrind.out

clean-core:
	rm -rf $(CORE_B) $(CORE_INC) build/_core.wasm pywebworker/_core.wasm
