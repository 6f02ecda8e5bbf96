/* test_oom.c - allocation failure injected at every allocation of every
 * allocating function (countdown allocator): PWW_ENOMEM comes back, nothing
 * changed, nothing leaked, the structure stays consistent, and the same call
 * succeeds once memory is back. */
#include "helpers.h"

/* Everything observable about a registry, to compare before and after. */
typedef struct {
  int count, next_id;
  unsigned long long sum; /* over workers: a digest of ids, states and queue stats */
} snapshot_t;

static snapshot_t snap(pww_registry_t *reg) {
  snapshot_t s = {pww_worker_count(reg), reg->next_id, 0};
  pww_worker_t *w;
  int q;

  for (w = pww_worker_next(reg, NULL); w; w = pww_worker_next(reg, w)) {
    s.sum = s.sum * 31 + (unsigned)w->id * 7u + (unsigned)w->state;
    for (q = 0; q < 2; q++) {
      pww_queue_stats_t st;
      ASSERT_EQ(pww_queue_stats(w, q, &st), 0);
      s.sum = s.sum * 31 + (unsigned)st.length;
      s.sum = s.sum * 31 + (unsigned)st.first_unread;
      s.sum = s.sum * 31 + (unsigned)st.unread;
      s.sum = s.sum * 31 + (unsigned)st.live;
      s.sum = s.sum * 31 + st.live_bytes;
    }
  }
  return s;
}

static void assert_same(snapshot_t a, snapshot_t b) {
  ASSERT_EQ(a.count, b.count);
  ASSERT_EQ(a.next_id, b.next_id);
  ASSERT_UEQ(a.sum, b.sum);
}

TEST(registry_new) {
  pww_registry_t *reg = (pww_registry_t *)&reg; /* must stay untouched */
  pww_registry_t *keep = reg;

  talloc_install();
  talloc_countdown = 0;
  ASSERT_ERR(pww_registry_new(&reg), PWW_ENOMEM);
  ASSERT_PTR_EQ(reg, keep);
  ASSERT_EQ(talloc_live, 0);
  ASSERT_EQ(pww_registry_new(&reg), 0);
  ASSERT_EQ(pww_registry_free(reg, 0), 0);
  talloc_uninstall();
}

/* Every allocation of each of 3000 creates: the worker, uthash's table and
 * buckets (first create) and every bucket expansion on the way. */
TEST(worker_create) {
  pww_registry_t *reg;
  int i, k, failures = 0;

  talloc_install();
  ASSERT_EQ(pww_registry_new(&reg), 0);
  for (i = 1; i <= 3000; i++) {
    for (k = 0;; k++) {
      snapshot_t before = snap(reg);
      long live = talloc_live;
      int rc;
      talloc_countdown = k;
      rc = pww_worker_create(reg, PWW_KIND_PYTHON);
      talloc_countdown = -1;
      if (rc > 0) {
        ASSERT_EQ(rc, i); /* no id was used up by the failures */
        break;
      }
      ASSERT_ERR(rc, PWW_ENOMEM);
      ASSERT_EQ(talloc_live, live);
      assert_same(before, snap(reg));
      failures++;
    }
    if (i % 500 == 0) check_registry(reg);
  }
  /* 3000 worker allocations + table + buckets + expansions failed once. */
  ASSERT_GE(failures, 3000 + 2 + 3);
  check_registry(reg);
  for (i = 1; i <= 3000; i += 2) ASSERT_EQ(pww_worker_destroy(reg, i), 0);
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall();
}

/* Every allocation of each push: the message and, at each power of two,
 * the ring's growth. */
TEST(queue_push) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int i, k, q, failures = 0;

  talloc_install();
  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_JAVASCRIPT));
  for (q = 0; q < 2; q++) {
    for (i = 0; i < 2000; i++) {
      for (k = 0;; k++) {
        snapshot_t before = snap(reg);
        long live = talloc_live;
        int rc;
        talloc_countdown = k;
        rc = pww_queue_push(w, q, PWW_MSG_BYTES, &i, sizeof(i), i);
        talloc_countdown = -1;
        if (rc >= 0) {
          ASSERT_EQ(rc, i);
          break;
        }
        ASSERT_ERR(rc, PWW_ENOMEM);
        ASSERT_EQ(talloc_live, live);
        assert_same(before, snap(reg));
        failures++;
      }
      if (i % 3 == 0) (void)pww_queue_mark_opened(w, q, i);
    }
  }
  ASSERT_EQ(failures, 2 * (2000 + 9)); /* ring 8 -> 16 -> ... -> 2048 */
  check_registry(reg);
  for (q = 0; q < 2; q++)
    for (i = 0; i < 2000; i++) {
      pww_message_t m;
      ASSERT_EQ(pww_queue_get(w, q, i, &m), 0);
      ASSERT_MEM_EQ(m.data, &i, sizeof(i));
    }
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall();
}

/* Release shrinks the ring when it can; when that allocation fails it
 * keeps the larger ring, and the release itself still succeeds. */
TEST(release_never_fails) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int i, q;

  talloc_install();
  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
  for (q = 0; q < 2; q++)
    for (i = 0; i < 4096; i++)
      ASSERT_EQ(pww_queue_push(w, q, PWW_MSG_TEXT, "m", 1, 0), i);
  talloc_countdown = 0; /* fail all but... */
  for (i = 0; i < 4000; i++) {
    talloc_countdown = 0; /* ...every allocation */
    ASSERT_EQ(pww_queue_release(w, PWW_OUTBOUND, i), 0);
    if (i % 2) (void)pww_queue_mark_opened(w, PWW_INBOUND, i);
  }
  ASSERT_GE(talloc_failed, 1);
  ASSERT_EQ(w->queues[PWW_OUTBOUND].cap, 4096); /* kept */
  check_registry(reg);
  talloc_countdown = 0;
  ASSERT_EQ(pww_queue_release_opened(w, PWW_INBOUND), 2000);
  talloc_countdown = -1;
  check_registry(reg);
  /* With memory back, the next release shrinks. */
  ASSERT_EQ(pww_queue_release(w, PWW_OUTBOUND, 4000), 0);
  ASSERT_LE(w->queues[PWW_OUTBOUND].cap, 256);
  ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, 0), 0);
  ASSERT_LE(w->queues[PWW_INBOUND].cap, 4096);
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall();
}

/* The wasm layer's lazily created registry: every entry point reports
 * ENOMEM when it cannot be made, and works once it can. */
TEST(wasm_layer_default_registry) {
  int buf[2];

  talloc_install();
  pww__w_reset();
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_create(PWW_KIND_PYTHON), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_destroy(1), PWW_ENOMEM);
  ASSERT_EQ(pww_w_count_workers(), 0);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_state(1), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_set_state(1, 1), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_push(1, 0, 1, "x", 1, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_length(1, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_unread(1, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_first_unread(1, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_list_unread(1, 0, buf, 2), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_info(1, 0, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_mark_opened(1, 0, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_release(1, 0, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_release_opened(1, 0), PWW_ENOMEM);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_set_limits(0, 0, 1, 1), PWW_ENOMEM);
  ASSERT_EQ(talloc_live, 0);
  /* Registry made, table not: the worker is not created, no id used. */
  talloc_countdown = 2;
  ASSERT_ERR(pww_w_create(PWW_KIND_PYTHON), PWW_ENOMEM);
  ASSERT_EQ(talloc_live, 1);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_push(1, 0, 1, "x", 1, 0), PWW_ENOENT);
  talloc_countdown = -1;
  ASSERT_EQ(pww_w_create(PWW_KIND_PYTHON), 1);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_push(1, 0, 1, "x", 1, 0), PWW_ENOMEM);
  ASSERT_EQ(pww_w_length(1, 0), 0);
  talloc_countdown = -1;
  ASSERT_EQ(pww_w_push(1, 0, 1, "x", 1, 0), 0);
  pww__w_reset();
  talloc_uninstall();
}

/* pww_queue_push_kept: its one allocation (the header) and the ring's growth. */
TEST(queue_push_kept) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int i, k, failures = 0;

  talloc_install();
  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_JAVASCRIPT));
  for (i = 0; i < 100; i++) {
    for (k = 0;; k++) {
      snapshot_t before = snap(reg);
      long live = talloc_live;
      int rc;
      talloc_countdown = k;
      rc = pww_queue_push_kept(w, PWW_INBOUND, PWW_MSG_BYTES, 1000, i);
      talloc_countdown = -1;
      if (rc >= 0) {
        ASSERT_EQ(rc, i);
        break;
      }
      ASSERT_ERR(rc, PWW_ENOMEM);
      ASSERT_EQ(talloc_live, live);
      assert_same(before, snap(reg));
      failures++;
    }
  }
  ASSERT_EQ(failures, 100 + 5); /* ring 8 -> 16 -> ... -> 128 */
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall();
}

TEST_MAIN(
  RUN(registry_new);
  RUN(worker_create);
  RUN(queue_push);
  RUN(queue_push_kept);
  RUN(release_never_fails);
  RUN(wasm_layer_default_registry);
)
