/* test_wasm_layer.c - the export layer (pww_wasm.c) compiled natively:
 * every pww_w_* function, ids, error paths and the info struct layout.
 * tests/c/test_wasm.mjs runs the same ABI inside the real _core.wasm. */
#include <stddef.h>

#include "helpers.h"

/* The documented info struct (csrc/WASM_API.md), as JS reads it on wasm32.
 * Natively the payload pointer is 64-bit, so only the other fields and the
 * 32-bit truncation of the pointer are compared. */
typedef struct {
  uint32_t ptr;
  uint32_t len;
  int32_t kind;
  int32_t opened;
  double time_ms;
  uint32_t reserved[2]; /* 24 was the index (seq): reserved, 0 */
} info_t;

static const info_t *info(void) { return pww__w_info_struct(); }

TEST(layout) {
  ASSERT_EQ(sizeof(info_t), 32);
  ASSERT_EQ(offsetof(info_t, len), 4);
  ASSERT_EQ(offsetof(info_t, kind), 8);
  ASSERT_EQ(offsetof(info_t, opened), 12);
  ASSERT_EQ(offsetof(info_t, time_ms), 16);
  ASSERT_EQ(offsetof(info_t, reserved), 24);
  ASSERT_EQ((uintptr_t)pww__w_info_struct() % 8, 0);
}

TEST(workers) {
  ASSERT_EQ(pww_w_count_workers(), 0); /* no registry yet */
  ASSERT_ERR(pww_w_create(0), PWW_EINVAL);
  ASSERT_EQ(pww_w_create(PWW_KIND_PYTHON), 1);
  ASSERT_EQ(pww_w_create(PWW_KIND_JAVASCRIPT), 2);
  ASSERT_EQ(pww_w_count_workers(), 2);
  ASSERT_EQ(pww_w_state(1), PWW_STATE_CREATED);
  ASSERT_EQ(pww_w_set_state(1, PWW_STATE_STARTING), 0);
  ASSERT_EQ(pww_w_state(1), PWW_STATE_STARTING);
  ASSERT_ERR(pww_w_set_state(1, PWW_STATE_CREATED), PWW_ESTATE);
  ASSERT_ERR(pww_w_set_state(1, 9), PWW_EINVAL);
  ASSERT_EQ(pww_w_destroy(1), 0);
  ASSERT_ERR(pww_w_destroy(1), PWW_ENOENT);
  ASSERT_ERR(pww_w_state(1), PWW_ENOENT);
  ASSERT_ERR(pww_w_state(0), PWW_ENOENT);
  ASSERT_ERR(pww_w_state(-2), PWW_ENOENT);
  ASSERT_EQ(pww_w_count_workers(), 1);
  ASSERT_EQ(pww_w_create(PWW_KIND_PYTHON), 3);
  pww__w_reset();
  ASSERT_EQ(pww_w_count_workers(), 0);
  ASSERT_EQ(pww_w_create(PWW_KIND_PYTHON), 1); /* a fresh instance */
  pww__w_reset();
}

TEST(queues) {
  int id = pww_w_create(PWW_KIND_PYTHON);
  int out[8];
  const char *s = "payload";
  int i;

  ASSERT_EQ(pww_w_push(id, PWW_INBOUND, PWW_MSG_JSON, s, 7, 1234.5), 0);
  ASSERT_EQ(pww_w_push(id, PWW_INBOUND, PWW_MSG_TEXT, s, 3, 1235), 1);
  ASSERT_EQ(pww_w_push(id, PWW_INBOUND, PWW_MSG_BYTES, NULL, 0, 1236), 2);
  ASSERT_ERR(pww_w_push(id, PWW_INBOUND, PWW_MSG_TEXT, s, -1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push(id, 2, PWW_MSG_TEXT, s, 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push(id, 0, 0, s, 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push(id, 0, 16, s, 1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_push(id + 1, 0, 1, s, 1, 0), PWW_ENOENT);
  ASSERT_EQ(pww_w_length(id, PWW_INBOUND), 3);
  ASSERT_EQ(pww_w_length(id, PWW_OUTBOUND), 0);
  ASSERT_ERR(pww_w_length(id, 5), PWW_EINVAL);
  ASSERT_ERR(pww_w_length(99, 0), PWW_ENOENT);

  ASSERT_EQ(pww_w_info(id, PWW_INBOUND, 0), 0);
  ASSERT_EQ(info()->ptr != 0, 1);
  ASSERT_EQ(info()->len, 7);
  ASSERT_EQ(info()->kind, PWW_MSG_JSON);
  ASSERT_EQ(info()->opened, 0);
  ASSERT_DBL_EQ(info()->time_ms, 1234.5);
  ASSERT_EQ(info()->reserved[0], 0);
  ASSERT_EQ(info()->reserved[1], 0);
  ASSERT_EQ(pww_w_info(id, PWW_INBOUND, 2), 0);
  ASSERT_EQ(info()->len, 0);
  ASSERT_EQ(info()->reserved[0], 0);
  ASSERT_ERR(pww_w_info(id, PWW_INBOUND, 3), PWW_ERANGE);
  ASSERT_ERR(pww_w_info(id, 3, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_info(99, 0, 0), PWW_ENOENT);

  ASSERT_EQ(pww_w_unread(id, PWW_INBOUND), 3);
  ASSERT_EQ(pww_w_first_unread(id, PWW_INBOUND), 0);
  ASSERT_EQ(pww_w_mark_opened(id, PWW_INBOUND, 0), 0);
  ASSERT_EQ(pww_w_info(id, PWW_INBOUND, 0), 0);
  ASSERT_EQ(info()->opened, 1);
  ASSERT_EQ(pww_w_unread(id, PWW_INBOUND), 2);
  ASSERT_EQ(pww_w_first_unread(id, PWW_INBOUND), 1);
  ASSERT_EQ(pww_w_first_unread(id, PWW_OUTBOUND), 0); /* == length */
  ASSERT_EQ(pww_w_list_unread(id, PWW_INBOUND, out, 8), 2);
  ASSERT_EQ(out[0], 1);
  ASSERT_EQ(out[1], 2);
  ASSERT_EQ(pww_w_list_unread(id, PWW_INBOUND, out, 1), 1);
  ASSERT_EQ(pww_w_list_unread(id, PWW_INBOUND, NULL, 0), 0);
  ASSERT_ERR(pww_w_list_unread(id, PWW_INBOUND, out, -1), PWW_EINVAL);
  ASSERT_ERR(pww_w_list_unread(99, PWW_INBOUND, out, 1), PWW_ENOENT);
  ASSERT_EQ(pww_w_held(id, PWW_INBOUND), 3); /* opened or not */
  ASSERT_EQ(pww_w_list_held(id, PWW_INBOUND, out, 8), 3);
  ASSERT_EQ(out[0], 0);
  ASSERT_EQ(out[2], 2);
  ASSERT_EQ(pww_w_list_held(id, PWW_INBOUND, NULL, 0), 0);
  ASSERT_ERR(pww_w_list_held(id, PWW_INBOUND, out, -1), PWW_EINVAL);
  ASSERT_ERR(pww_w_list_held(id, 2, out, 1), PWW_EINVAL);
  ASSERT_ERR(pww_w_list_held(99, PWW_INBOUND, out, 1), PWW_ENOENT);
  ASSERT_ERR(pww_w_held(99, PWW_INBOUND), PWW_ENOENT);
  ASSERT_ERR(pww_w_held(id, -1), PWW_EINVAL);
  ASSERT_ERR(pww_w_unread(99, 0), PWW_ENOENT);
  ASSERT_ERR(pww_w_unread(id, -1), PWW_EINVAL);
  ASSERT_ERR(pww_w_first_unread(99, 0), PWW_ENOENT);
  ASSERT_ERR(pww_w_mark_opened(id, PWW_INBOUND, 7), PWW_ERANGE);
  ASSERT_ERR(pww_w_mark_opened(99, PWW_INBOUND, 0), PWW_ENOENT);

  ASSERT_EQ(pww_w_release_opened(id, PWW_INBOUND), 1);
  ASSERT_ERR(pww_w_info(id, PWW_INBOUND, 0), PWW_ERELEASED);
  ASSERT_ERR(pww_w_release(id, PWW_INBOUND, 0), PWW_ERELEASED);
  ASSERT_EQ(pww_w_release(id, PWW_INBOUND, 2), 0); /* unopened: allowed */
  ASSERT_EQ(pww_w_unread(id, PWW_INBOUND), 1);
  ASSERT_EQ(pww_w_list_held(id, PWW_INBOUND, out, 8), 1);
  ASSERT_EQ(out[0], 1);
  ASSERT_ERR(pww_w_release(99, PWW_INBOUND, 1), PWW_ENOENT);
  ASSERT_ERR(pww_w_release_opened(99, PWW_INBOUND), PWW_ENOENT);
  ASSERT_ERR(pww_w_release_opened(id, 2), PWW_EINVAL);

  /* Outbound after kill is refused; messages already there are kept. */
  for (i = 0; i < 3; i++)
    ASSERT_EQ(pww_w_push(id, PWW_OUTBOUND, PWW_MSG_TEXT, s, 1, 0), i);
  ASSERT_EQ(pww_w_set_state(id, PWW_STATE_KILLED), 0);
  ASSERT_ERR(pww_w_push(id, PWW_OUTBOUND, PWW_MSG_TEXT, s, 1, 0), PWW_ESTATE);
  ASSERT_EQ(pww_w_unread(id, PWW_OUTBOUND), 3); /* never delivered */
  ASSERT_EQ(pww_w_push(id, PWW_INBOUND, PWW_MSG_ERROR, s, 1, 0), 3);
  pww__w_reset();
}

TEST(scratch_buffers_and_strings) {
  char *p = pww_w_malloc(100);
  ASSERT_NOT_NULL(p);
  memset(p, 1, 100);
  pww_w_free(p);
  p = pww_w_malloc(0);
  ASSERT_NOT_NULL(p);
  pww_w_free(p);
  ASSERT_NULL(pww_w_malloc(-1));
  pww_w_free(NULL);
  ASSERT_STR_EQ(pww_w_err_name(PWW_ERELEASED), "ERELEASED");
  ASSERT_STR_EQ(pww_w_strerror(PWW_ENOENT), "no such worker");
  ASSERT_STR_EQ(pww_w_err_name(3), "UNKNOWN");
}

TEST_MAIN(
  RUN(layout);
  RUN(workers);
  RUN(queues);
  RUN(scratch_buffers_and_strings);
)
