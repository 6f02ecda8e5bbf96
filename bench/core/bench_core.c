/* bench_core.c - cost of the core's hot path: push a 64-byte message, mark
 * it opened, release it (one "round"), natively.
 *
 *   bench_core [ROUNDS]        ns/round (best of 5) and bytes/message
 *   bench_core --callgrind R   R rounds with callgrind instrumentation on
 *                              only around the loop (see bench-core in
 *                              mk/core.mk): instructions/round = Ir / R
 *
 * Prints figures only; nothing here asserts a time. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "pww.h"

#define PAYLOAD 64

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what, int rc) {
  fprintf(stderr, "bench_core: %s: %s\n", what, pww_strerror(rc));
  exit(1);
}

/* One round per iteration, in the order the host uses the inbound queue. */
static void rounds(pww_worker_t *w, long n, const unsigned char *payload) {
  long i;
  for (i = 0; i < n; i++) {
    int idx = pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, payload, PAYLOAD,
                             (double)i);
    if (idx < 0) die("push", idx);
    if (pww_queue_mark_opened(w, PWW_INBOUND, idx) != 0) die("open", -2);
    if (pww_queue_release(w, PWW_INBOUND, idx) != 0) die("release", -2);
  }
}

/* The same round by id, as the wasm layer does it (one hash lookup per
 * call), with 100 other workers in the registry. */
static void rounds_by_id(pww_registry_t *reg, int id, long n,
                         const unsigned char *payload) {
  long i;
  for (i = 0; i < n; i++) {
    int idx = pww_queue_push(pww_worker_find(reg, id), PWW_INBOUND,
                             PWW_MSG_BYTES, payload, PAYLOAD, (double)i);
    if (idx < 0) die("push", idx);
    (void)pww_queue_mark_opened(pww_worker_find(reg, id), PWW_INBOUND, idx);
    (void)pww_queue_release(pww_worker_find(reg, id), PWW_INBOUND, idx);
  }
}

/* Bytes per message beyond its payload: as requested from the allocator
 * (live, by a size-prefixing allocator), and as glibc's heap grows (chunk
 * headers and rounding included, mmap'd blocks too). */
static size_t live_requested;
static void *count_malloc(size_t n) {
  size_t *p = malloc(n + 16);
  if (p == NULL) return NULL;
  *p = n;
  live_requested += n;
  return (char *)p + 16;
}

static void count_free(void *ptr) {
  size_t *p = (size_t *)((char *)ptr - 16);
  live_requested -= *p;
  free(p);
}

static double per_message(pww_registry_t *reg, const unsigned char *payload,
                          int n, int use_counter) {
  int i, id = pww_worker_create(reg, PWW_KIND_PYTHON);
  pww_worker_t *w = pww_worker_find(reg, id);
  pww_limits_t unlimited = {0, 0};
  struct mallinfo2 before, after;
  size_t req0 = live_requested;
  double bytes;

  (void)pww_queue_set_limits(w, PWW_INBOUND, &unlimited);
  before = mallinfo2();
  for (i = 0; i < n; i++)
    if (pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, payload, PAYLOAD, i) < 0)
      die("push", -3);
  after = mallinfo2();
  if (use_counter)
    bytes = (double)(live_requested - req0);
  else
    bytes = (double)(after.uordblks + after.hblkhd) -
            (double)(before.uordblks + before.hblkhd);
  (void)pww_worker_destroy(reg, id);
  return bytes / n - PAYLOAD;
}

static void overhead(pww_registry_t *reg, const unsigned char *payload) {
  static const int sizes[] = {1000, 100000};
  int k;
  for (k = 0; k < 2; k++) {
    double req, heap = per_message(reg, payload, sizes[k], 0);
    pww_set_allocator(count_malloc, count_free);
    req = per_message(reg, payload, sizes[k], 1);
    pww_set_allocator(NULL, NULL);
    printf("overhead per %d-byte message, %6d live: %.1f bytes requested "
           "(16 header + ring slots), %.1f bytes of glibc heap\n",
           PAYLOAD, sizes[k], req, heap);
  }
}

int main(int argc, char **argv) {
  pww_registry_t *reg;
  unsigned char payload[PAYLOAD];
  long n = 2000000;
  int id, k, i, callgrind = argc > 1 && strcmp(argv[1], "--callgrind") == 0;
  double best = 1e300, best_id = 1e300;

  memset(payload, 0xab, sizeof(payload));
  if (pww_registry_new(&reg) != 0) die("registry", -3);
  for (i = 0; i < 100; i++) (void)pww_worker_create(reg, PWW_KIND_JAVASCRIPT);
  id = pww_worker_create(reg, PWW_KIND_PYTHON);
  if (callgrind) {
    n = argc > 2 ? atol(argv[2]) : 100000;
    rounds(pww_worker_find(reg, id), 1000, payload); /* warm */
    CALLGRIND_START_INSTRUMENTATION;
    rounds(pww_worker_find(reg, id), n, payload);
    CALLGRIND_STOP_INSTRUMENTATION;
    (void)pww_registry_free(reg, 1);
    return 0;
  }
  if (argc > 1) n = atol(argv[1]);
  for (k = 0; k < 5; k++) {
    double t0 = now_ns(), t1;
    rounds(pww_worker_find(reg, id), n, payload);
    t1 = now_ns();
    if ((t1 - t0) / n < best) best = (t1 - t0) / n;
    t0 = now_ns();
    rounds_by_id(reg, id, n, payload);
    t1 = now_ns();
    if ((t1 - t0) / n < best_id) best_id = (t1 - t0) / n;
  }
  printf("push+open+release of %d-byte messages: %.1f ns/round "
         "(best of 5 x %ld rounds)\n", PAYLOAD, best, n);
  printf("  same by worker id (3 hash lookups/round): %.1f ns/round\n",
         best_id);
  overhead(reg, payload);
  (void)pww_registry_free(reg, 1);
  return 0;
}
