/* test_queue.c - push, get by index, read tracking (opened, unread,
 * first unread, list), release, stable indices. */
#include "helpers.h"

static pww_registry_t *reg;

static pww_worker_t *fresh(void) {
  if (reg == NULL) ASSERT_EQ(pww_registry_new(&reg), 0);
  return pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
}

static void done(void) {
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  reg = NULL;
}

TEST(push_and_get) {
  pww_worker_t *w = fresh();
  pww_message_t m;
  unsigned char big[1000];
  int q;

  fill_payload(big, sizeof(big), 3);
  for (q = 0; q < 2; q++) {
    ASSERT_EQ(pww_queue_length(w, q), 0);
    ASSERT_EQ(pww_queue_push(w, q, PWW_MSG_TEXT, "hello", 5, 12.5), 0);
    ASSERT_EQ(pww_queue_push(w, q, PWW_MSG_BYTES, big, sizeof(big), 13), 1);
    ASSERT_EQ(pww_queue_push(w, q, PWW_MSG_JSON, NULL, 0, -1), 2);
    ASSERT_EQ(pww_queue_push(w, q, PWW_MSG_ERROR, "", 0, 0), 3);
    ASSERT_EQ(pww_queue_length(w, q), 4);
    ASSERT_EQ(pww_queue_get(w, q, 0, &m), 0);
    ASSERT_UEQ(m.len, 5);
    ASSERT_MEM_EQ(m.data, "hello", 5);
    ASSERT_EQ(m.kind, PWW_MSG_TEXT);
    ASSERT_EQ(m.opened, 0);
    ASSERT_DBL_EQ(m.time_ms, 12.5);
    ASSERT_EQ(pww_queue_get(w, q, 1, &m), 0);
    ASSERT_UEQ(m.len, sizeof(big));
    ASSERT_MEM_EQ(m.data, big, sizeof(big));
    ASSERT_EQ(m.kind, PWW_MSG_BYTES);
    ASSERT_EQ(pww_queue_get(w, q, 2, &m), 0);
    ASSERT_UEQ(m.len, 0);
    ASSERT_NOT_NULL(m.data);
    ASSERT_DBL_EQ(m.time_ms, -1);
    ASSERT_EQ(pww_queue_get(w, q, 3, &m), 0);
    ASSERT_EQ(m.kind, PWW_MSG_ERROR);
  }
  /* The queue owns a copy: changing the source changes nothing. */
  big[0] ^= 0xff;
  ASSERT_EQ(pww_queue_get(w, PWW_INBOUND, 1, &m), 0);
  ASSERT_NE(((const unsigned char *)m.data)[0], big[0]);
  done();
}

TEST(bad_arguments) {
  pww_worker_t *w = fresh();
  pww_message_t m;
  pww_queue_stats_t st;
  pww_limits_t l = {0, 0};
  int32_t out[4];
  /* 16..255 were once reserved for control kinds: refused like the rest. */
  static const int bad_kinds[] = {0, 5, 15, 16, 255, 256, -1, 1000};
  size_t i;

  for (i = 0; i < sizeof(bad_kinds) / sizeof(bad_kinds[0]); i++)
    ASSERT_ERR(pww_queue_push(w, 0, bad_kinds[i], "x", 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push(w, 2, PWW_MSG_TEXT, "x", 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push(w, -1, PWW_MSG_TEXT, "x", 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push(NULL, 0, PWW_MSG_TEXT, "x", 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push(w, 0, PWW_MSG_TEXT, NULL, 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push(w, 0, PWW_MSG_TEXT, "x", (size_t)INT32_MAX + 1, 0),
             PWW_EINVAL);
  ASSERT_ERR(pww_queue_length(NULL, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_length(w, 2), PWW_EINVAL);
  ASSERT_ERR(pww_queue_unread(w, 2), PWW_EINVAL);
  ASSERT_ERR(pww_queue_unread(NULL, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_first_unread(w, 2), PWW_EINVAL);
  ASSERT_ERR(pww_queue_first_unread(NULL, 1), PWW_EINVAL);
  ASSERT_ERR(pww_queue_list_unread(w, 2, out, 4), PWW_EINVAL);
  ASSERT_ERR(pww_queue_list_unread(w, 0, NULL, 4), PWW_EINVAL);
  ASSERT_ERR(pww_queue_list_unread(NULL, 0, out, 4), PWW_EINVAL);
  ASSERT_EQ(pww_queue_list_unread(w, 0, NULL, 0), 0);
  ASSERT_ERR(pww_queue_held(w, 2), PWW_EINVAL);
  ASSERT_ERR(pww_queue_held(NULL, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_list_held(w, 2, out, 4), PWW_EINVAL);
  ASSERT_ERR(pww_queue_list_held(w, 0, NULL, 4), PWW_EINVAL);
  ASSERT_ERR(pww_queue_list_held(NULL, 0, out, 4), PWW_EINVAL);
  ASSERT_EQ(pww_queue_list_held(w, 0, NULL, 0), 0);
  ASSERT_ERR(pww_queue_get(w, 2, 0, &m), PWW_EINVAL);
  ASSERT_ERR(pww_queue_get(w, 0, 0, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_queue_get(NULL, 0, 0, &m), PWW_EINVAL);
  ASSERT_ERR(pww_queue_mark_opened(w, 2, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_mark_opened(NULL, 0, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_release(w, 2, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_release(NULL, 0, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_release_opened(w, 2), PWW_EINVAL);
  ASSERT_ERR(pww_queue_release_opened(NULL, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_stats(w, 2, &st), PWW_EINVAL);
  ASSERT_ERR(pww_queue_stats(w, 0, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_queue_stats(NULL, 0, &st), PWW_EINVAL);
  ASSERT_ERR(pww_queue_set_limits(w, 2, &l), PWW_EINVAL);
  ASSERT_ERR(pww_queue_set_limits(w, 0, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_queue_set_limits(NULL, 0, &l), PWW_EINVAL);
  ASSERT_ERR(pww_queue_limits(w, 2, &l), PWW_EINVAL);
  ASSERT_ERR(pww_queue_limits(w, 0, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_queue_limits(NULL, 0, &l), PWW_EINVAL);
  /* None of it queued anything. */
  ASSERT_EQ(pww_queue_length(w, 0), 0);
  ASSERT_EQ(pww_queue_length(w, 1), 0);
  done();
}

TEST(index_errors) {
  pww_worker_t *w = fresh();
  pww_message_t m;

  ASSERT_ERR(pww_queue_get(w, 1, 0, &m), PWW_ERANGE);
  ASSERT_ERR(pww_queue_mark_opened(w, 1, 0), PWW_ERANGE);
  ASSERT_ERR(pww_queue_release(w, 1, 0), PWW_ERANGE);
  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "a", 1, 0), 0);
  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "b", 1, 0), 1);
  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "c", 1, 0), 2);
  ASSERT_ERR(pww_queue_get(w, 1, 3, &m), PWW_ERANGE);
  ASSERT_ERR(pww_queue_get(w, 1, -1, &m), PWW_ERANGE);
  ASSERT_ERR(pww_queue_get(w, 1, INT32_MIN, &m), PWW_ERANGE);
  ASSERT_ERR(pww_queue_get(w, 1, INT32_MAX, &m), PWW_ERANGE);
  ASSERT_ERR(pww_queue_get(w, 0, 0, &m), PWW_ERANGE); /* other queue */
  /* Released in the middle (hole) and at the front (trimmed). */
  ASSERT_EQ(pww_queue_release(w, 1, 1), 0);
  ASSERT_ERR(pww_queue_get(w, 1, 1, &m), PWW_ERELEASED);
  ASSERT_ERR(pww_queue_mark_opened(w, 1, 1), PWW_ERELEASED);
  ASSERT_ERR(pww_queue_release(w, 1, 1), PWW_ERELEASED);
  ASSERT_EQ(pww_queue_release(w, 1, 0), 0);
  ASSERT_ERR(pww_queue_get(w, 1, 0, &m), PWW_ERELEASED);
  ASSERT_ERR(pww_queue_release(w, 1, 0), PWW_ERELEASED);
  ASSERT_EQ(pww_queue_get(w, 1, 2, &m), 0); /* index 2 is still 2 */
  ASSERT_MEM_EQ(m.data, "c", 1);
  check_registry(reg);
  done();
}

TEST(read_tracking) {
  pww_worker_t *w = fresh();
  pww_queue_stats_t st;
  pww_message_t m;
  int32_t out[16];
  int i;

  ASSERT_EQ(pww_queue_first_unread(w, 1), 0); /* empty: == length */
  ASSERT_EQ(pww_queue_list_unread(w, 1, out, 16), 0);
  for (i = 0; i < 10; i++)
    ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "m", 1, i), i);
  ASSERT_EQ(pww_queue_unread(w, 1), 10);
  ASSERT_EQ(pww_queue_first_unread(w, 1), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, 1, 0), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, 1, 0), 0); /* idempotent */
  ASSERT_EQ(pww_queue_mark_opened(w, 1, 2), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, 1, 5), 0);
  ASSERT_EQ(pww_queue_unread(w, 1), 7);
  ASSERT_EQ(pww_queue_first_unread(w, 1), 1);
  ASSERT_EQ(pww_queue_get(w, 1, 2, &m), 0);
  ASSERT_EQ(m.opened, 1);
  ASSERT_EQ(pww_queue_list_unread(w, 1, out, 16), 7);
  ASSERT_EQ(out[0], 1);
  ASSERT_EQ(out[1], 3);
  ASSERT_EQ(out[2], 4);
  ASSERT_EQ(out[3], 6);
  ASSERT_EQ(out[6], 9);
  ASSERT_EQ(pww_queue_list_unread(w, 1, out, 2), 2); /* capped, oldest */
  ASSERT_EQ(out[0], 1);
  ASSERT_EQ(out[1], 3);
  ASSERT_EQ(pww_queue_list_unread(w, 1, out, 0), 0);
  /* Releasing an unopened message consumes it (the outbound drain). */
  ASSERT_EQ(pww_queue_release(w, 1, 1), 0);
  ASSERT_EQ(pww_queue_unread(w, 1), 6);
  ASSERT_EQ(pww_queue_first_unread(w, 1), 3);
  ASSERT_EQ(pww_queue_stats(w, 1, &st), 0);
  ASSERT_EQ(st.length, 10);
  ASSERT_EQ(st.first_unread, 3);
  ASSERT_EQ(st.unread, 6);
  ASSERT_EQ(st.live, 9);
  ASSERT_UEQ(st.live_bytes, 9);
  for (i = 0; i < 10; i++) (void)pww_queue_mark_opened(w, 1, i);
  ASSERT_EQ(pww_queue_unread(w, 1), 0);
  ASSERT_EQ(pww_queue_first_unread(w, 1), 10);
  ASSERT_EQ(pww_queue_list_unread(w, 1, out, 16), 0);
  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "n", 1, 0), 10);
  ASSERT_EQ(pww_queue_first_unread(w, 1), 10);
  check_registry(reg);
  done();
}

TEST(release_opened) {
  pww_worker_t *w = fresh();
  pww_message_t m;
  pww_queue_stats_t st;
  int i;

  ASSERT_EQ(pww_queue_release_opened(w, 0), 0);
  for (i = 0; i < 100; i++)
    ASSERT_EQ(pww_queue_push(w, 0, PWW_MSG_BYTES, &i, sizeof(i), i), i);
  for (i = 0; i < 100; i += 3) ASSERT_EQ(pww_queue_mark_opened(w, 0, i), 0);
  ASSERT_EQ(pww_queue_release_opened(w, 0), 34);
  ASSERT_EQ(pww_queue_release_opened(w, 0), 0);
  for (i = 0; i < 100; i++) {
    if (i % 3 == 0) {
      ASSERT_ERR(pww_queue_get(w, 0, i, &m), PWW_ERELEASED);
    } else {
      ASSERT_EQ(pww_queue_get(w, 0, i, &m), 0);
      ASSERT_MEM_EQ(m.data, &i, sizeof(i));
    }
  }
  ASSERT_EQ(pww_queue_stats(w, 0, &st), 0);
  ASSERT_EQ(st.live, 66);
  ASSERT_EQ(st.unread, 66);
  ASSERT_UEQ(st.live_bytes, 66 * sizeof(int));
  check_registry(reg);
  for (i = 0; i < 100; i++) (void)pww_queue_mark_opened(w, 0, i);
  ASSERT_EQ(pww_queue_release_opened(w, 0), 66);
  ASSERT_EQ(pww_queue_stats(w, 0, &st), 0);
  ASSERT_EQ(st.live, 0);
  ASSERT_UEQ(st.live_bytes, 0);
  ASSERT_EQ(st.length, 100);
  ASSERT_NULL(w->queues[0].slots); /* an empty ring is freed */
  ASSERT_EQ(pww_queue_push(w, 0, PWW_MSG_TEXT, "z", 1, 0), 100);
  done();
}

/* Held: every message not released, opened or not, oldest first. */
TEST(held) {
  pww_worker_t *w = fresh();
  int32_t out[8];
  int i;

  ASSERT_EQ(pww_queue_held(w, 1), 0);
  ASSERT_EQ(pww_queue_list_held(w, 1, out, 8), 0);
  for (i = 0; i < 6; i++)
    ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "m", 1, i), i);
  ASSERT_EQ(pww_queue_held(w, 0), 0); /* the other queue */
  ASSERT_EQ(pww_queue_mark_opened(w, 1, 1), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, 1, 3), 0);
  ASSERT_EQ(pww_queue_release(w, 1, 2), 0); /* a hole */
  ASSERT_EQ(pww_queue_release(w, 1, 0), 0); /* the front: trimmed */
  ASSERT_EQ(pww_queue_held(w, 1), 4);
  ASSERT_EQ(pww_queue_list_held(w, 1, out, 8), 4);
  ASSERT_EQ(out[0], 1);
  ASSERT_EQ(out[1], 3);
  ASSERT_EQ(out[2], 4);
  ASSERT_EQ(out[3], 5);
  ASSERT_EQ(pww_queue_list_held(w, 1, out, 2), 2); /* capped, oldest */
  ASSERT_EQ(out[0], 1);
  ASSERT_EQ(out[1], 3);
  ASSERT_EQ(pww_queue_list_held(w, 1, out, 0), 0);
  ASSERT_EQ(pww_queue_release_opened(w, 1), 2);
  ASSERT_EQ(pww_queue_held(w, 1), 2);
  ASSERT_EQ(pww_queue_list_held(w, 1, out, 8), 2);
  ASSERT_EQ(out[0], 4);
  ASSERT_EQ(out[1], 5);
  ASSERT_EQ(pww_queue_release(w, 1, 4), 0);
  ASSERT_EQ(pww_queue_release(w, 1, 5), 0);
  ASSERT_EQ(pww_queue_held(w, 1), 0);
  ASSERT_EQ(pww_queue_list_held(w, 1, out, 8), 0);
  done();
}

/* A message kept while thousands after it come and go: its index and the
 * newer ones stay right, and the ring shrinks back once it goes. */
TEST(stable_indices_with_a_kept_message) {
  pww_worker_t *w = fresh();
  pww_message_t m;
  int i;

  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "keep", 4, 0), 0);
  for (i = 1; i <= 5000; i++) {
    ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_BYTES, &i, sizeof(i), i), i);
    if (i > 10) ASSERT_EQ(pww_queue_release(w, 1, i - 10), 0);
  }
  ASSERT_EQ(pww_queue_get(w, 1, 0, &m), 0);
  ASSERT_MEM_EQ(m.data, "keep", 4);
  for (i = 1; i <= 5000; i++) {
    int rc = pww_queue_get(w, 1, i, &m);
    if (i <= 4990) {
      ASSERT_ERR(rc, PWW_ERELEASED);
    } else {
      ASSERT_EQ(rc, 0);
      ASSERT_MEM_EQ(m.data, &i, sizeof(i));
    }
  }
  ASSERT_GE(w->queues[1].cap, 5001);
  {
    int32_t out[16];
    ASSERT_EQ(pww_queue_held(w, 1), 11);
    ASSERT_EQ(pww_queue_list_held(w, 1, out, 16), 11);
    ASSERT_EQ(out[0], 0);
    for (i = 1; i < 11; i++) ASSERT_EQ(out[i], 4990 + i);
  }
  check_registry(reg);
  ASSERT_EQ(pww_queue_release(w, 1, 0), 0);
  ASSERT_EQ(w->queues[1].base, 4991);
  ASSERT_LE(w->queues[1].cap, 64);
  ASSERT_EQ(pww_queue_get(w, 1, 4995, &m), 0);
  ASSERT_ERR(pww_queue_get(w, 1, 4990, &m), PWW_ERELEASED);
  ASSERT_ERR(pww_queue_get(w, 1, 0, &m), PWW_ERELEASED);
  check_registry(reg);
  done();
}

TEST(indices_run_out) {
  pww_worker_t *w = fresh();
  pww__queue_t *q = &w->queues[PWW_INBOUND];
  pww_message_t m;

  /* White box: an empty queue whose next index is near the end. */
  q->base = q->length = q->cursor = PWW_MAX_INDEX - 2;
  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "a", 1, 0), PWW_MAX_INDEX - 2);
  ASSERT_EQ(pww_queue_push(w, 1, PWW_MSG_TEXT, "b", 1, 0), PWW_MAX_INDEX - 1);
  ASSERT_ERR(pww_queue_push(w, 1, PWW_MSG_TEXT, "c", 1, 0), PWW_ENOSPC);
  ASSERT_EQ(pww_queue_length(w, 1), PWW_MAX_INDEX);
  ASSERT_EQ(pww_queue_first_unread(w, 1), PWW_MAX_INDEX - 2);
  ASSERT_EQ(pww_queue_get(w, 1, PWW_MAX_INDEX - 1, &m), 0);
  ASSERT_MEM_EQ(m.data, "b", 1);
  ASSERT_ERR(pww_queue_get(w, 1, PWW_MAX_INDEX, &m), PWW_ERANGE);
  ASSERT_EQ(pww_queue_mark_opened(w, 1, PWW_MAX_INDEX - 2), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, 1, PWW_MAX_INDEX - 1), 0);
  ASSERT_EQ(pww_queue_first_unread(w, 1), PWW_MAX_INDEX);
  ASSERT_EQ(pww_queue_release_opened(w, 1), 2);
  check_registry(reg);
  done();
}

TEST(destroy_frees_everything) {
  pww_worker_t *w;
  int i, id;

  talloc_install();
  w = fresh();
  id = pww_worker_id(w);
  for (i = 0; i < 1000; i++) {
    ASSERT_EQ(pww_queue_push(w, i % 2, PWW_MSG_TEXT, "abc", 3, 0), i / 2);
    if (i % 7 == 0) (void)pww_queue_mark_opened(w, i % 2, i / 2);
  }
  ASSERT_EQ(pww_worker_destroy(reg, id), 0);
  ASSERT_EQ(talloc_live, 1); /* the registry itself */
  done();
  talloc_uninstall();
}

TEST_MAIN(
  RUN(push_and_get);
  RUN(bad_arguments);
  RUN(index_errors);
  RUN(read_tracking);
  RUN(release_opened);
  RUN(held);
  RUN(stable_indices_with_a_kept_message);
  RUN(indices_run_out);
  RUN(destroy_frees_everything);
)
