/* test_kept.c - messages whose payload the pusher keeps (pww_queue_push_kept,
 * pww_w_push_kept): counted against the limits and in live_bytes like a copy,
 * no payload in the queue (data NULL), order, read flags and release as any
 * other message. */
#include <math.h>

#include "helpers.h"

static pww_registry_t *reg;

static pww_worker_t *fresh(void) {
  if (reg == NULL) ASSERT_EQ(pww_registry_new(&reg), 0);
  return pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_JAVASCRIPT));
}

static void done(void) {
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  reg = NULL;
}

TEST(kept_counts_and_orders) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {0, 1000};
  pww_queue_stats_t st;
  pww_message_t m;
  static const unsigned char buf[8] = "abcdefg";

  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &l), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 8, 1), 0);
  ASSERT_EQ(pww_queue_push_kept(w, PWW_INBOUND, PWW_MSG_BYTES, 600, 2), 1);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, buf, 2, 3), 2);
  ASSERT_EQ(pww_queue_stats(w, PWW_INBOUND, &st), 0);
  ASSERT_UEQ(st.live_bytes, 610);
  ASSERT_EQ(st.unread, 3);
  /* The limit holds for kept bytes, before anything is allocated. */
  ASSERT_ERR(pww_queue_push_kept(w, PWW_INBOUND, PWW_MSG_BYTES, 391, 4), PWW_EFULL);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 8, 4), 3);
  ASSERT_EQ(pww_queue_get(w, PWW_INBOUND, 1, &m), 0);
  ASSERT_TRUE(m.data == NULL);
  ASSERT_UEQ(m.len, 600);
  ASSERT_EQ(m.kind, PWW_MSG_BYTES);
  ASSERT_EQ(m.opened, 0);
  ASSERT_DBL_EQ(m.time_ms, 2.0);
  ASSERT_EQ(pww_queue_get(w, PWW_INBOUND, 0, &m), 0);
  ASSERT_MEM_EQ(m.data, buf, 8);
  /* Read flags and release as any message; its bytes stop counting. */
  ASSERT_EQ(pww_queue_first_unread(w, PWW_INBOUND), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, PWW_INBOUND, 0), 0);
  ASSERT_EQ(pww_queue_mark_opened(w, PWW_INBOUND, 1), 0);
  ASSERT_EQ(pww_queue_first_unread(w, PWW_INBOUND), 2);
  ASSERT_EQ(pww_queue_release_opened(w, PWW_INBOUND), 2);
  ASSERT_ERR(pww_queue_get(w, PWW_INBOUND, 1, &m), PWW_ERELEASED);
  ASSERT_EQ(pww_queue_stats(w, PWW_INBOUND, &st), 0);
  ASSERT_UEQ(st.live_bytes, 10);
  ASSERT_EQ(pww_queue_push_kept(w, PWW_INBOUND, PWW_MSG_BYTES, 990, 5), 4);
  done();
}

TEST(kept_errors) {
  pww_worker_t *w = fresh();

  ASSERT_ERR(pww_queue_push_kept(w, PWW_INBOUND, 9, 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push_kept(w, 2, PWW_MSG_BYTES, 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_queue_push_kept(w, PWW_INBOUND, PWW_MSG_BYTES,
                                 (size_t)PWW_MAX_LEN + 1, 0), PWW_EINVAL);
  ASSERT_EQ(pww_queue_push_kept(w, PWW_INBOUND, PWW_MSG_BYTES, 0, 0), 0);
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_KILLED), 0);
  ASSERT_ERR(pww_queue_push_kept(w, PWW_OUTBOUND, PWW_MSG_BYTES, 1, 0), PWW_ESTATE);
  done();
}

TEST(wasm_layer_kept) {
  int a = pww_w_create(PWW_KIND_PYTHON);
  const struct {
    uint32_t ptr, len;
    int32_t kind, opened;
  } *info = pww__w_info_struct();

  ASSERT_EQ(pww_w_set_limits(a, PWW_INBOUND, 0, 1 << 20), 0);
  ASSERT_EQ(pww_w_push_kept(a, PWW_INBOUND, PWW_MSG_BYTES, 1 << 20, 7), 0);
  ASSERT_ERR(pww_w_push_kept(a, PWW_INBOUND, PWW_MSG_BYTES, 1, 8), PWW_EFULL);
  ASSERT_EQ(pww_w_info(a, PWW_INBOUND, 0), 0);
  ASSERT_UEQ(info->ptr, 0);
  ASSERT_UEQ(info->len, 1u << 20);
  ASSERT_ERR(pww_w_push_kept(a, PWW_INBOUND, PWW_MSG_BYTES, -1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push_kept(a, PWW_INBOUND, PWW_MSG_BYTES, NAN, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push_kept(a, PWW_INBOUND, PWW_MSG_BYTES, 2147483648.0, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push_kept(777, PWW_INBOUND, PWW_MSG_BYTES, 1, 0), PWW_ENOENT);
  ASSERT_EQ(pww_w_release(a, PWW_INBOUND, 0), 0);
  ASSERT_EQ(pww_w_push_kept(a, PWW_INBOUND, PWW_MSG_BYTES, 1 << 20, 9), 1);
  pww__w_reset();
}

TEST_MAIN(
  RUN(kept_counts_and_orders);
  RUN(kept_errors);
  RUN(wasm_layer_kept);
)
