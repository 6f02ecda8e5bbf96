/* test_order.c - 100 000 messages through each queue, in order, both ways
 * (host -> worker and worker -> host), drained front to back and back to
 * front, with payloads and indices checked. */
#include "helpers.h"

#define N 100000

static void push_all(pww_worker_t *w, int q) {
  int i;
  for (i = 0; i < N; i++) {
    unsigned char p[24];
    size_t len = (size_t)(i % 24);
    fill_payload(p, len, (unsigned)i);
    ASSERT_EQ(pww_queue_push(w, q, 1 + i % 4, p, len, (double)i * 0.5), i);
  }
  ASSERT_EQ(pww_queue_length(w, q), N);
  ASSERT_EQ(pww_queue_unread(w, q), N);
}

static void check_msg(pww_worker_t *w, int q, int i) {
  pww_message_t m;
  unsigned char p[24];
  size_t len = (size_t)(i % 24);

  ASSERT_EQ(pww_queue_get(w, q, i, &m), 0);
  fill_payload(p, len, (unsigned)i);
  ASSERT_UEQ(m.len, len);
  ASSERT_MEM_EQ(m.data, p, len);
  ASSERT_EQ(m.kind, 1 + i % 4);
  ASSERT_DBL_EQ(m.time_ms, (double)i * 0.5);
}

/* The outbound drain: first unread, deliver, release, until none. */
TEST(outbound_drain_in_order) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int i, next = 0;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
  push_all(w, PWW_OUTBOUND); /* queued while created */
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_STARTING), 0);
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_RUNNING), 0);
  while ((i = pww_queue_first_unread(w, PWW_OUTBOUND)) <
         pww_queue_length(w, PWW_OUTBOUND)) {
    ASSERT_EQ(i, next++);
    check_msg(w, PWW_OUTBOUND, i);
    ASSERT_EQ(pww_queue_release(w, PWW_OUTBOUND, i), 0);
  }
  ASSERT_EQ(next, N);
  ASSERT_EQ(pww_queue_unread(w, PWW_OUTBOUND), 0);
  ASSERT_LE(w->queues[PWW_OUTBOUND].cap, 32); /* drained: small ring kept */
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

/* The inbound read: batches of unread indices, opened, released by batch;
 * then a second worker read and released from the newest to the oldest. */
TEST(inbound_batches_and_reverse) {
  pww_registry_t *reg;
  pww_worker_t *w;
  static int32_t batch[1000];
  int i, n, next = 0;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_JAVASCRIPT));
  push_all(w, PWW_INBOUND);
  while ((n = pww_queue_list_unread(w, PWW_INBOUND, batch, 1000)) > 0) {
    for (i = 0; i < n; i++) {
      ASSERT_EQ(batch[i], next++);
      check_msg(w, PWW_INBOUND, batch[i]);
      ASSERT_EQ(pww_queue_mark_opened(w, PWW_INBOUND, batch[i]), 0);
    }
    ASSERT_EQ(pww_queue_release_opened(w, PWW_INBOUND), n);
  }
  ASSERT_EQ(next, N);

  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_JAVASCRIPT));
  push_all(w, PWW_INBOUND);
  for (i = N - 1; i >= 0; i--) {
    check_msg(w, PWW_INBOUND, i);
    ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, i), 0);
    if (i % 9973 == 0) {
      check_registry(reg);
      ASSERT_EQ(pww_queue_first_unread(w, PWW_INBOUND), i > 0 ? 0 : N);
    }
  }
  ASSERT_EQ(pww_queue_unread(w, PWW_INBOUND), 0);
  ASSERT_NULL(w->queues[PWW_INBOUND].slots);
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

/* Both queues of one worker at once, interleaved, as in an echo. */
TEST(echo_interleaved) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int i;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
  for (i = 0; i < N; i++) {
    ASSERT_EQ(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, &i, sizeof(i), i),
              i);
    ASSERT_EQ(pww_queue_first_unread(w, PWW_OUTBOUND), i);
    ASSERT_EQ(pww_queue_release(w, PWW_OUTBOUND, i), 0);
    ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, &i, sizeof(i), i),
              i);
    if (i % 2 == 1) {
      ASSERT_EQ(pww_queue_first_unread(w, PWW_INBOUND), i - 1);
      ASSERT_EQ(pww_queue_mark_opened(w, PWW_INBOUND, i - 1), 0);
      ASSERT_EQ(pww_queue_mark_opened(w, PWW_INBOUND, i), 0);
      ASSERT_EQ(pww_queue_release_opened(w, PWW_INBOUND), 2);
    }
  }
  ASSERT_EQ(pww_queue_length(w, PWW_OUTBOUND), N);
  ASSERT_EQ(pww_queue_length(w, PWW_INBOUND), N);
  ASSERT_LE(w->queues[PWW_INBOUND].cap, 8);
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST_MAIN(
  RUN(outbound_drain_in_order);
  RUN(inbound_batches_and_reverse);
  RUN(echo_interleaved);
)
