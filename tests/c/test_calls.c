/* test_calls.c - the pending-call table: ids, end / cancel / late replies,
 * listing oldest first, limits, states, accounting on kill, every error
 * path, allocation failure at every allocation of pww_call_begin, and the
 * wasm layer's pww_w_call_* entry points. */
#include "helpers.h"

static pww_worker_t *new_worker(pww_registry_t **reg) {
  ASSERT_EQ(pww_registry_new(reg), 0);
  return pww_worker_find(*reg, pww_worker_create(*reg, PWW_KIND_PYTHON));
}

TEST(ids_end_and_late_replies) {
  pww_registry_t *reg;
  pww_worker_t *w = new_worker(&reg);
  double t = -1;
  int i;

  ASSERT_EQ(pww_call_pending(w), 0);
  for (i = 1; i <= 5; i++) ASSERT_EQ(pww_call_begin(w, 100.0 + i), i);
  ASSERT_EQ(pww_call_time(w, 3, &t), 0);
  ASSERT_DBL_EQ(t, 103.0);
  ASSERT_EQ(pww_call_end(w, 3), 0);
  ASSERT_ERR(pww_call_time(w, 3, &t), PWW_ENOCALL);
  ASSERT_ERR(pww_call_end(w, 3), PWW_ENOCALL); /* a second reply: late */
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_LATE), 1);
  ASSERT_ERR(pww_call_end(w, 6), PWW_EINVAL);  /* never given */
  ASSERT_ERR(pww_call_end(w, 0), PWW_EINVAL);
  ASSERT_ERR(pww_call_end(w, -3), PWW_EINVAL);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_LATE), 1); /* bogus ids are not late */
  /* A timeout: cancel, then the reply comes and is dropped as late. */
  ASSERT_EQ(pww_call_cancel(w, 1), 0);
  ASSERT_ERR(pww_call_cancel(w, 1), PWW_ENOCALL);
  ASSERT_ERR(pww_call_cancel(w, 9), PWW_EINVAL);
  ASSERT_ERR(pww_call_end(w, 1), PWW_ENOCALL);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_LATE), 2);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_BEGUN), 5);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_ENDED), 1);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_CANCELLED), 1);
  ASSERT_EQ(pww_call_pending(w), 3);
  check_calls(w);
  /* Ids are never reused, even when the table empties. */
  ASSERT_EQ(pww_call_end(w, 2), 0);
  ASSERT_EQ(pww_call_end(w, 4), 0);
  ASSERT_EQ(pww_call_end(w, 5), 0);
  ASSERT_EQ(pww_call_pending(w), 0);
  ASSERT_EQ(pww_call_begin(w, 0), 6);
  check_calls(w);
  ASSERT_EQ(pww_registry_free(reg, 1), 0); /* frees the pending call too */
}

TEST(list_oldest_first) {
  pww_registry_t *reg;
  pww_worker_t *w = new_worker(&reg);
  int32_t ids[8];
  int i;

  for (i = 1; i <= 1000; i++) ASSERT_EQ(pww_call_begin(w, i), i);
  for (i = 1; i <= 1000; i++)
    if (i % 3) ASSERT_EQ(pww_call_end(w, i), 0);
  ASSERT_EQ(pww_call_pending(w), 333);
  ASSERT_EQ(pww_call_list(w, ids, 4), 4);
  ASSERT_EQ(ids[0], 3);
  ASSERT_EQ(ids[3], 12);
  ASSERT_EQ(pww_call_list(w, ids, 0), 0);
  ASSERT_EQ(pww_call_list(w, NULL, 0), 0);
  ASSERT_ERR(pww_call_list(w, NULL, 1), PWW_EINVAL);
  check_calls(w);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

/* Begins are refused to killed and failed workers; calls made before the
 * worker runs are allowed (they wait for it). A kill accounts for each. */
TEST(states_and_kill_accounting) {
  pww_registry_t *reg;
  pww_worker_t *w = new_worker(&reg), *f;
  int i;

  ASSERT_EQ(pww_call_begin(w, 0), 1); /* created */
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_STARTING), 0);
  ASSERT_EQ(pww_call_begin(w, 0), 2);
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_RUNNING), 0);
  for (i = 3; i <= 10; i++) ASSERT_EQ(pww_call_begin(w, 0), i);
  ASSERT_EQ(pww_call_end(w, 4), 0);
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_KILLED), 0);
  ASSERT_ERR(pww_call_begin(w, 0), PWW_ESTATE);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_BEGUN), 10); /* no id used up */
  ASSERT_EQ(pww_call_pending(w), 9);     /* still there until cancelled */
  ASSERT_EQ(pww_call_cancel_all(w), 9);
  ASSERT_EQ(pww_call_cancel_all(w), 0);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_CANCELLED), 9);
  ASSERT_ERR(pww_call_end(w, 7), PWW_ENOCALL); /* a reply after the kill */
  check_calls(w);

  f = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_JAVASCRIPT));
  ASSERT_EQ(pww_worker_set_state(f, PWW_STATE_STARTING), 0);
  ASSERT_EQ(pww_call_begin(f, 0), 1); /* per-worker ids */
  ASSERT_EQ(pww_worker_set_state(f, PWW_STATE_FAILED), 0);
  ASSERT_ERR(pww_call_begin(f, 0), PWW_ESTATE);
  ASSERT_EQ(pww_call_cancel_all(f), 1);
  /* Destroying with calls pending frees them (valgrind/ASan check). */
  ASSERT_EQ(pww_call_begin(pww_worker_find(reg, pww_worker_create(reg, 1)), 0), 1);
  ASSERT_EQ(pww_worker_destroy(reg, 3), 0);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST(limit_and_id_space) {
  pww_registry_t *reg;
  pww_worker_t *w = new_worker(&reg);

  ASSERT_EQ(pww_call_set_limit(w, 2), 0);
  ASSERT_EQ(pww_call_begin(w, 0), 1);
  ASSERT_EQ(pww_call_begin(w, 0), 2);
  ASSERT_ERR(pww_call_begin(w, 0), PWW_EFULL);
  ASSERT_EQ(pww_call_end(w, 1), 0);
  ASSERT_EQ(pww_call_begin(w, 0), 3); /* EFULL used no id */
  ASSERT_EQ(pww_call_set_limit(w, 1), 0); /* below current use */
  ASSERT_ERR(pww_call_begin(w, 0), PWW_EFULL);
  ASSERT_EQ(pww_call_set_limit(w, 0), 0); /* unlimited */
  ASSERT_EQ(pww_call_begin(w, 0), 4);
  /* The id space ends at INT32_MAX. */
  w->calls.last_id = INT32_MAX - 1;
  ASSERT_EQ(pww_call_begin(w, 0), INT32_MAX);
  ASSERT_ERR(pww_call_begin(w, 0), PWW_ENOSPC);
  ASSERT_EQ(pww_call_end(w, INT32_MAX), 0);
  /* Late counts saturate instead of overflowing. */
  w->calls.late = INT32_MAX;
  ASSERT_ERR(pww_call_end(w, 1), PWW_ENOCALL);
  ASSERT_EQ(pww_call_stat(w, PWW_CALL_LATE), INT32_MAX);
  ASSERT_ERR(pww_call_stat(w, PWW_CALL_STAT_COUNT), PWW_EINVAL);
  ASSERT_ERR(pww_call_stat(w, -1), PWW_EINVAL);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST(null_arguments) {
  pww_registry_t *reg;
  pww_worker_t *w = new_worker(&reg);
  int32_t id;

  ASSERT_ERR(pww_call_begin(NULL, 0), PWW_EINVAL);
  ASSERT_ERR(pww_call_end(NULL, 1), PWW_EINVAL);
  ASSERT_ERR(pww_call_cancel(NULL, 1), PWW_EINVAL);
  ASSERT_ERR(pww_call_cancel_all(NULL), PWW_EINVAL);
  ASSERT_ERR(pww_call_pending(NULL), PWW_EINVAL);
  ASSERT_ERR(pww_call_list(NULL, &id, 1), PWW_EINVAL);
  ASSERT_ERR(pww_call_time(NULL, 1, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_call_time(w, 1, NULL), PWW_EINVAL);
  ASSERT_ERR(pww_call_stat(NULL, 0), PWW_EINVAL);
  ASSERT_ERR(pww_call_set_limit(NULL, 1), PWW_EINVAL);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

/* Every allocation of 3000 begins fails once (the entry, uthash's table and
 * buckets, each bucket expansion): ENOMEM, nothing leaked, no id used,
 * counters unchanged; the same begin then succeeds. */
TEST(begin_out_of_memory) {
  pww_registry_t *reg;
  pww_worker_t *w;
  int i, k, failures = 0;

  talloc_install();
  w = new_worker(&reg);
  for (i = 1; i <= 3000; i++) {
    for (k = 0;; k++) {
      long live = talloc_live;
      int pending = pww_call_pending(w), rc;
      talloc_countdown = k;
      rc = pww_call_begin(w, i);
      talloc_countdown = -1;
      if (rc > 0) {
        ASSERT_EQ(rc, i);
        break;
      }
      ASSERT_ERR(rc, PWW_ENOMEM);
      ASSERT_EQ(talloc_live, live);
      ASSERT_EQ(pww_call_pending(w), pending);
      ASSERT_EQ(pww_call_stat(w, PWW_CALL_BEGUN), i - 1);
      failures++;
    }
    if (i % 4 == 0) ASSERT_EQ(pww_call_end(w, i - 1), 0);
  }
  ASSERT_GE(failures, 3000 + 2 + 2);
  check_calls(w);
  /* End, cancel and cancel_all allocate nothing: they never fail for memory. */
  talloc_countdown = 0;
  ASSERT_EQ(pww_call_end(w, 1), 0);
  ASSERT_EQ(pww_call_cancel(w, 2), 0);
  ASSERT_EQ(pww_call_cancel_all(w), 3000 - 750 - 2);
  talloc_countdown = -1;
  check_calls(w);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall();
}

/* The wasm layer: the same table by worker id; ENOENT, EINVAL, ENOMEM. The
 * list and the limit are the native API's only (no glue needs them). */
TEST(wasm_layer) {
  int id;

  pww__w_reset();
  ASSERT_ERR(pww_w_call_begin(1, 0), PWW_ENOENT);
  ASSERT_ERR(pww_w_call_end(1, 1), PWW_ENOENT);
  ASSERT_ERR(pww_w_call_cancel(1, 1), PWW_ENOENT);
  ASSERT_ERR(pww_w_call_cancel_all(1), PWW_ENOENT);
  ASSERT_ERR(pww_w_call_stat(1, 0), PWW_ENOENT);
  id = pww_w_create(PWW_KIND_JAVASCRIPT);
  ASSERT_EQ(pww_w_call_begin(id, 1.5), 1);
  ASSERT_EQ(pww_w_call_begin(id, 2.5), 2);
  ASSERT_EQ(pww_w_call_begin(id, 3.5), 3);
  ASSERT_EQ(pww_w_call_end(id, 2), 0);
  ASSERT_ERR(pww_w_call_end(id, 2), PWW_ENOCALL);
  ASSERT_EQ(pww_w_call_cancel(id, 1), 0);
  ASSERT_EQ(pww_w_call_stat(id, PWW_CALL_PENDING), 1);
  ASSERT_EQ(pww_w_call_stat(id, PWW_CALL_LATE), 1);
  ASSERT_EQ(pww_w_set_state(id, PWW_STATE_KILLED), 0);
  ASSERT_EQ(pww_w_call_cancel_all(id), 1);
  pww__w_reset();

  talloc_install();
  talloc_countdown = 0; /* the default registry cannot be made */
  ASSERT_ERR(pww_w_call_begin(1, 0), PWW_ENOMEM);
  talloc_countdown = -1;
  id = pww_w_create(PWW_KIND_PYTHON);
  talloc_countdown = 0;
  ASSERT_ERR(pww_w_call_begin(id, 0), PWW_ENOMEM);
  talloc_countdown = -1;
  ASSERT_EQ(pww_w_call_begin(id, 0), 1);
  pww__w_reset();
  talloc_uninstall();
}

TEST_MAIN(
  RUN(ids_end_and_late_replies);
  RUN(list_oldest_first);
  RUN(states_and_kill_accounting);
  RUN(limit_and_id_space);
  RUN(null_arguments);
  RUN(begin_out_of_memory);
  RUN(wasm_layer);
)
