/* test_registry.c - registry life, workers by id, ids never reused,
 * iteration, teardown refused while busy, default limits. */
#include "helpers.h"

TEST(new_and_free) {
  pww_registry_t *reg = NULL;

  ASSERT_ERR(pww_registry_new(NULL), PWW_EINVAL);
  ASSERT_EQ(pww_registry_new(&reg), 0);
  ASSERT_NOT_NULL(reg);
  ASSERT_EQ(pww_worker_count(reg), 0);
  ASSERT_NULL(pww_worker_next(reg, NULL));
  ASSERT_EQ(pww_registry_free(reg, 0), 0);
  ASSERT_EQ(pww_registry_free(NULL, 0), 0);
  ASSERT_EQ(pww_registry_free(NULL, 1), 0);
}

TEST(create_find_destroy) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int a, b;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  ASSERT_ERR(pww_worker_create(NULL, PWW_KIND_PYTHON), PWW_EINVAL);
  ASSERT_ERR(pww_worker_create(reg, 0), PWW_EINVAL);
  ASSERT_ERR(pww_worker_create(reg, 3), PWW_EINVAL);
  ASSERT_ERR(pww_worker_create(reg, -1), PWW_EINVAL);
  a = pww_worker_create(reg, PWW_KIND_PYTHON);
  b = pww_worker_create(reg, PWW_KIND_JAVASCRIPT);
  ASSERT_EQ(a, 1); /* failed creates used no id */
  ASSERT_EQ(b, 2);
  ASSERT_EQ(pww_worker_count(reg), 2);
  w = pww_worker_find(reg, b);
  ASSERT_NOT_NULL(w);
  ASSERT_EQ(pww_worker_id(w), b);
  ASSERT_EQ(pww_worker_kind(w), PWW_KIND_JAVASCRIPT);
  ASSERT_EQ(pww_worker_kind(pww_worker_find(reg, a)), PWW_KIND_PYTHON);
  ASSERT_EQ(pww_worker_state(w), PWW_STATE_CREATED);
  ASSERT_NULL(pww_worker_find(reg, 0));
  ASSERT_NULL(pww_worker_find(reg, -3));
  ASSERT_NULL(pww_worker_find(reg, 3));
  ASSERT_NULL(pww_worker_find(NULL, 1));
  ASSERT_ERR(pww_worker_id(NULL), PWW_EINVAL);
  ASSERT_ERR(pww_worker_kind(NULL), PWW_EINVAL);
  ASSERT_ERR(pww_worker_state(NULL), PWW_EINVAL);
  ASSERT_ERR(pww_worker_count(NULL), PWW_EINVAL);

  ASSERT_EQ(pww_worker_destroy(reg, a), 0);
  ASSERT_ERR(pww_worker_destroy(reg, a), PWW_ENOENT);
  ASSERT_ERR(pww_worker_destroy(reg, 0), PWW_ENOENT);
  ASSERT_ERR(pww_worker_destroy(NULL, b), PWW_EINVAL);
  ASSERT_NULL(pww_worker_find(reg, a));
  ASSERT_EQ(pww_worker_count(reg), 1);
  ASSERT_EQ(pww_worker_create(reg, PWW_KIND_PYTHON), 3); /* never reused */
  ASSERT_EQ(pww_worker_destroy(reg, b), 0);
  ASSERT_EQ(pww_worker_destroy(reg, 3), 0);
  ASSERT_EQ(pww_worker_count(reg), 0);
  ASSERT_EQ(pww_worker_create(reg, PWW_KIND_PYTHON), 4); /* even when empty */
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST(many_workers_and_iteration) {
  pww_registry_t *reg;
  pww_worker_t *w, *next;
  int i, n = 0, expect;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  for (i = 1; i <= 5000; i++)
    ASSERT_EQ(pww_worker_create(reg, 1 + i % 2), i);
  for (i = 2; i <= 5000; i += 2) ASSERT_EQ(pww_worker_destroy(reg, i), 0);
  check_registry(reg);
  expect = 1;
  for (w = pww_worker_next(reg, NULL); w; w = pww_worker_next(reg, w)) {
    ASSERT_EQ(pww_worker_id(w), expect);
    ASSERT_EQ(pww_worker_kind(w), 1 + expect % 2);
    expect += 2;
    n++;
  }
  ASSERT_EQ(n, 2500);
  ASSERT_NULL(pww_worker_next(NULL, NULL));
  /* Destroying while iterating: fetch the next one first. */
  for (w = pww_worker_next(reg, NULL); w; w = next) {
    next = pww_worker_next(reg, w);
    ASSERT_EQ(pww_worker_destroy(reg, pww_worker_id(w)), 0);
  }
  ASSERT_EQ(pww_worker_count(reg), 0);
  ASSERT_EQ(pww_registry_free(reg, 0), 0);
}

TEST(teardown_refused_while_busy) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int id;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  id = pww_worker_create(reg, PWW_KIND_PYTHON);
  w = pww_worker_find(reg, id);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "kept", 4, 1.0), 0);
  ASSERT_ERR(pww_registry_free(reg, 0), PWW_EBUSY);
  /* Nothing changed: the worker and its message are still there. */
  ASSERT_PTR_EQ(pww_worker_find(reg, id), w);
  ASSERT_EQ(pww_queue_length(w, PWW_INBOUND), 1);
  check_registry(reg);
  ASSERT_EQ(pww_worker_create(reg, PWW_KIND_JAVASCRIPT), 2);
  ASSERT_EQ(pww_registry_free(reg, 1), 0); /* forced: frees all */
}

TEST(default_limits) {
  pww_registry_t *reg;
  pww_limits_t l, small = {3, 100};
  pww_worker_t *old, *young;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  ASSERT_EQ(pww_registry_limits(reg, PWW_OUTBOUND, &l), 0);
  ASSERT_UEQ(l.max_messages, PWW_DEFAULT_MAX_MESSAGES);
  ASSERT_UEQ(l.max_bytes, PWW_DEFAULT_MAX_BYTES);
  ASSERT_UEQ(l.max_messages, 1000000);
  ASSERT_UEQ(l.max_bytes, 256u << 20);
  ASSERT_ERR(pww_registry_limits(reg, 2, &l), PWW_EINVAL);
  ASSERT_ERR(pww_registry_limits(reg, -1, &l), PWW_EINVAL);
  ASSERT_ERR(pww_registry_limits(reg, 0, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_registry_limits(NULL, 0, &l), PWW_EINVAL);
  ASSERT_ERR(pww_registry_set_limits(reg, 2, &small), PWW_EINVAL);
  ASSERT_ERR(pww_registry_set_limits(reg, 0, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_registry_set_limits(NULL, 0, &small), PWW_EINVAL);

  old = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
  ASSERT_EQ(pww_registry_set_limits(reg, PWW_INBOUND, &small), 0);
  young = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
  ASSERT_EQ(pww_registry_limits(reg, PWW_INBOUND, &l), 0);
  ASSERT_UEQ(l.max_messages, 3);
  ASSERT_UEQ(l.max_bytes, 100);
  /* The new default applies to workers created after it only. */
  ASSERT_EQ(pww_queue_limits(old, PWW_INBOUND, &l), 0);
  ASSERT_UEQ(l.max_messages, PWW_DEFAULT_MAX_MESSAGES);
  ASSERT_EQ(pww_queue_limits(young, PWW_INBOUND, &l), 0);
  ASSERT_UEQ(l.max_messages, 3);
  ASSERT_UEQ(l.max_bytes, 100);
  ASSERT_EQ(pww_queue_limits(young, PWW_OUTBOUND, &l), 0);
  ASSERT_UEQ(l.max_messages, PWW_DEFAULT_MAX_MESSAGES);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST(ids_run_out) {
  pww_registry_t *reg;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  reg->next_id = INT32_MAX - 1; /* white box: skip two billion creates */
  ASSERT_EQ(pww_worker_create(reg, PWW_KIND_PYTHON), INT32_MAX - 1);
  ASSERT_EQ(pww_worker_create(reg, PWW_KIND_PYTHON), INT32_MAX);
  ASSERT_ERR(pww_worker_create(reg, PWW_KIND_PYTHON), PWW_ENOSPC);
  ASSERT_ERR(pww_worker_create(reg, PWW_KIND_PYTHON), PWW_ENOSPC);
  ASSERT_EQ(pww_worker_count(reg), 2);
  ASSERT_NOT_NULL(pww_worker_find(reg, INT32_MAX));
  ASSERT_EQ(pww_worker_destroy(reg, INT32_MAX), 0);
  ASSERT_ERR(pww_worker_create(reg, PWW_KIND_PYTHON), PWW_ENOSPC);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST_MAIN(
  RUN(new_and_free);
  RUN(create_find_destroy);
  RUN(many_workers_and_iteration);
  RUN(teardown_refused_while_busy);
  RUN(default_limits);
  RUN(ids_run_out);
)
