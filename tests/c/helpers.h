/*
 * helpers.h - test support: a counting allocator with failure injection
 * (countdown), and a white-box consistency check of a registry.
 */
#ifndef PWW_TEST_HELPERS_H
#define PWW_TEST_HELPERS_H

#include "pww.h"
#include "pww_internal.h"
#include "pww_wasm.h"
#include "test.h"

/* ---- counting allocator ---------------------------------------------------
 * talloc_countdown: -1 never fails; n >= 0 lets n allocations succeed and
 * fails the next one (then stays -1). talloc_live counts blocks not freed. */
static long talloc_live;
static long talloc_total;
static long talloc_failed;
static long talloc_countdown = -1;

static inline void *talloc_malloc(size_t n) {
  void *p;
  if (talloc_countdown >= 0 && talloc_countdown-- == 0) {
    talloc_failed++;
    return NULL;
  }
  p = malloc(n);
  if (p != NULL) {
    talloc_live++;
    talloc_total++;
  }
  return p;
}

static inline void talloc_free(void *p) {
  talloc_live--;
  free(p);
}

static inline void talloc_install(void) {
  talloc_live = talloc_total = talloc_failed = 0;
  talloc_countdown = -1;
  pww_set_allocator(talloc_malloc, talloc_free);
}

static inline void talloc_uninstall(void) {
  ASSERT_EQ(talloc_live, 0);
  pww_set_allocator(NULL, NULL);
}

/* ---- consistency ----------------------------------------------------------
 * Recount everything a queue claims from its slots. */
static inline void check_queue(const pww__queue_t *q) {
  int32_t i, unread = 0, live = 0, first = -1;
  size_t bytes = 0;
  uint32_t span;

  ASSERT_LE(0, q->base);
  ASSERT_LE(q->base, q->length);
  span = (uint32_t)(q->length - q->base);
  ASSERT_LE(span, q->cap);
  ASSERT_EQ(q->cap & (q->cap - 1u), 0); /* 0 or a power of two */
  ASSERT_LT(q->head, q->cap ? q->cap : 1u);
  if (span == 0) ASSERT_LE(q->cap, 32); /* small empty rings are kept */
  for (i = q->base; i < q->length; i++) {
    pww__msg_t *m = q->slots[(q->head + (uint32_t)(i - q->base)) & (q->cap - 1u)];
    if (i == q->base) ASSERT_NOT_NULL(m); /* released fronts are trimmed */
    if (m == NULL) continue;
    ASSERT_TRUE(m->opened == 0 || m->opened == 1);
    live++;
    bytes += m->len;
    if (!m->opened) {
      unread++;
      if (first < 0) first = i;
    }
  }
  ASSERT_EQ(q->unread, unread);
  ASSERT_EQ(q->live, live);
  ASSERT_UEQ(q->live_bytes, bytes);
  ASSERT_LE(q->cursor, first < 0 ? q->length : first);
}

/* Recount a worker's call table: ids ascending (oldest first), all given,
 * and the counters account for every call ever begun. */
static inline void check_calls(const pww_worker_t *w) {
  const pww__call_t *c;
  int n = 0, prev = 0;

  for (c = w->calls.table; c != NULL; c = (const pww__call_t *)c->hh.next) {
    ASSERT_GT(c->id, prev);
    ASSERT_LE(c->id, w->calls.last_id);
    prev = c->id;
    n++;
  }
  ASSERT_EQ(pww_call_pending(w), n);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_BEGUN),
            n + pww_call_stat(w, PWW_CALL_ENDED) +
                pww_call_stat(w, PWW_CALL_CANCELLED));
}

static inline void check_registry(const pww_registry_t *reg) {
  const pww_worker_t *w;
  int n = 0, prev_id = 0;

  for (w = pww_worker_next(reg, NULL); w; w = pww_worker_next(reg, w)) {
    ASSERT_GT(w->id, prev_id); /* creation order == id order */
    ASSERT_LT(w->id, reg->next_id > 0 ? reg->next_id : INT32_MAX + 1ll);
    ASSERT_PTR_EQ(pww_worker_find(reg, w->id), w);
    ASSERT_TRUE(w->state >= 0 && w->state < PWW_STATE_COUNT);
    check_queue(&w->queues[PWW_OUTBOUND]);
    check_queue(&w->queues[PWW_INBOUND]);
    check_calls(w);
    prev_id = w->id;
    n++;
  }
  ASSERT_EQ(pww_worker_count(reg), n);
}

/* Fill a payload with bytes derived from (seed, i), to check them later. */
static inline void fill_payload(unsigned char *p, size_t len, unsigned seed) {
  size_t i;
  for (i = 0; i < len; i++) p[i] = (unsigned char)(seed * 31u + i * 7u);
}

#endif /* PWW_TEST_HELPERS_H */
