/* test_errors.c - the error table: values, names, descriptions. Each code is
 * also produced by a real failure in the test named next to it. */
#include "helpers.h"

TEST(codes_are_negative_from_minus_two) {
  int seen[16] = {0};
#define X(name, code, text)                  \
  ASSERT_LE(PWW_##name, -2);                 \
  ASSERT_GE(PWW_##name, -17);                \
  ASSERT_EQ(seen[-PWW_##name - 2]++, 0);
  PWW_ERRNO_MAP(X)
#undef X
  ASSERT_EQ(PWW_OK, 0);
}

TEST(values_are_the_abi) {
  /* Never renumber: JS and Python hard-code these (csrc/WASM_API.md). */
  ASSERT_EQ(PWW_EINVAL, -2);
  ASSERT_EQ(PWW_ENOMEM, -3);
  ASSERT_EQ(PWW_ENOENT, -4);
  ASSERT_EQ(PWW_ESTATE, -5);
  ASSERT_EQ(PWW_EFULL, -6);
  ASSERT_EQ(PWW_ERANGE, -7);
  ASSERT_EQ(PWW_ERELEASED, -8);
  ASSERT_EQ(PWW_EBUSY, -9);
  ASSERT_EQ(PWW_ENOSPC, -10);
  ASSERT_EQ(PWW_ENOCALL, -11);
}

TEST(names_and_descriptions) {
#define X(name, code, text)                                  \
  ASSERT_STR_EQ(pww_err_name(PWW_##name), #name);            \
  ASSERT_STR_EQ(pww_strerror(PWW_##name), text);             \
  ASSERT_STR_EQ(pww_w_err_name(PWW_##name), #name);          \
  ASSERT_STR_EQ(pww_w_strerror(PWW_##name), text);
  PWW_ERRNO_MAP(X)
#undef X
  ASSERT_STR_EQ(pww_err_name(0), "OK");
  ASSERT_STR_EQ(pww_strerror(0), "success");
  ASSERT_STR_EQ(pww_err_name(-1), "UNKNOWN");
  ASSERT_STR_EQ(pww_strerror(-1), "unknown error");
  ASSERT_STR_EQ(pww_err_name(12345), "UNKNOWN");
  ASSERT_STR_EQ(pww_strerror(-12345), "unknown error");
  ASSERT_STR_EQ(pww_strerror(PWW_EFULL), "queue full");
}

/* One real occurrence of every code, in one place (the feature tests go
 * into each in depth). */
TEST(every_code_happens) {
  pww_registry_t *reg;
  pww_worker_t *w;
  pww__queue_t *q;
  pww_limits_t one = {1, 0};
  int id;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  ASSERT_ERR(pww_worker_create(reg, 7), PWW_EINVAL);
  ASSERT_ERR(pww_worker_destroy(reg, 42), PWW_ENOENT);
  id = pww_worker_create(reg, PWW_KIND_PYTHON);
  w = pww_worker_find(reg, id);
  ASSERT_ERR(pww_worker_set_state(w, PWW_STATE_RUNNING), PWW_ESTATE);
  ASSERT_ERR(pww_queue_get(w, PWW_INBOUND, 0, &(pww_message_t){0}),
             PWW_ERANGE);
  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &one), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "a", 1, 0), 0);
  ASSERT_ERR(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "b", 1, 0),
             PWW_EFULL);
  ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, 0), 0);
  ASSERT_ERR(pww_queue_release(w, PWW_INBOUND, 0), PWW_ERELEASED);
  ASSERT_ERR(pww_registry_free(reg, 0), PWW_EBUSY);
  q = &w->queues[PWW_OUTBOUND];
  q->base = q->length = q->cursor = PWW_MAX_INDEX;
  ASSERT_ERR(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, "c", 1, 0),
             PWW_ENOSPC);
  talloc_install();
  talloc_countdown = 0;
  ASSERT_ERR(pww_worker_create(reg, PWW_KIND_PYTHON), PWW_ENOMEM);
  talloc_uninstall();
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST_MAIN(
  RUN(codes_are_negative_from_minus_two);
  RUN(values_are_the_abi);
  RUN(names_and_descriptions);
  RUN(every_code_happens);
)
