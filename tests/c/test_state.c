/* test_state.c - the lifecycle as a table: every (from, to) pair, allowed
 * or refused, through the native and the wasm API. */
#include "helpers.h"

/* The transitions, written out independently of the core's table. */
static const int allowed[PWW_STATE_COUNT][PWW_STATE_COUNT] = {
  /* to:      created starting running killed failed */
  /* created  */ {0, 1, 0, 1, 0},
  /* starting */ {0, 0, 1, 1, 1},
  /* running  */ {0, 0, 0, 1, 1},
  /* killed   */ {0, 0, 0, 0, 0},
  /* failed   */ {0, 0, 0, 0, 0},
};

/* The shortest path from created to each state. */
static const int path[PWW_STATE_COUNT][3] = {
  {-1}, {1, -1}, {1, 2, -1}, {3, -1}, {1, 4, -1},
};

/* Bring w from created to `state`. */
static void reach(pww_worker_t *w, int state) {
  int i;
  for (i = 0; path[state][i] >= 0 && i < 3; i++)
    ASSERT_EQ(pww_worker_set_state(w, path[state][i]), 0);
  ASSERT_EQ(pww_worker_state(w), state);
}

TEST(every_pair_native) {
  pww_registry_t *reg;
  int from, to, n_ok = 0;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  for (from = 0; from < PWW_STATE_COUNT; from++) {
    for (to = 0; to < PWW_STATE_COUNT; to++) {
      int id = pww_worker_create(reg, PWW_KIND_PYTHON);
      pww_worker_t *w = pww_worker_find(reg, id);
      reach(w, from);
      ASSERT_EQ(pww_state_transition_allowed(from, to), allowed[from][to]);
      if (allowed[from][to]) {
        ASSERT_EQ(pww_worker_set_state(w, to), 0);
        ASSERT_EQ(pww_worker_state(w), to);
        n_ok++;
      } else {
        ASSERT_ERR(pww_worker_set_state(w, to), PWW_ESTATE);
        ASSERT_EQ(pww_worker_state(w), from); /* unchanged */
      }
      ASSERT_EQ(pww_worker_destroy(reg, id), 0);
    }
  }
  ASSERT_EQ(n_ok, 7);
  ASSERT_EQ(pww_registry_free(reg, 0), 0);
}

TEST(every_pair_wasm_layer) {
  int from, to;

  for (from = 0; from < PWW_STATE_COUNT; from++) {
    for (to = 0; to < PWW_STATE_COUNT; to++) {
      int i, id = pww_w_create(PWW_KIND_JAVASCRIPT);
      ASSERT_GT(id, 0);
      for (i = 0; path[from][i] >= 0 && i < 3; i++)
        ASSERT_EQ(pww_w_set_state(id, path[from][i]), 0);
      ASSERT_EQ(pww_w_state(id), from);
      ASSERT_EQ(pww_w_set_state(id, to), allowed[from][to] ? 0 : PWW_ESTATE);
      ASSERT_EQ(pww_w_state(id), allowed[from][to] ? to : from);
      ASSERT_EQ(pww_w_destroy(id), 0);
    }
  }
  ASSERT_ERR(pww_w_set_state(9999, 1), PWW_ENOENT);
  ASSERT_ERR(pww_w_state(9999), PWW_ENOENT);
  pww__w_reset();
}

TEST(not_a_state) {
  pww_registry_t *reg;
  pww_worker_t *w;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  w = pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
  ASSERT_ERR(pww_worker_set_state(w, -1), PWW_EINVAL);
  ASSERT_ERR(pww_worker_set_state(w, PWW_STATE_COUNT), PWW_EINVAL);
  ASSERT_ERR(pww_worker_set_state(NULL, PWW_STATE_STARTING), PWW_EINVAL);
  ASSERT_EQ(pww_worker_state(w), PWW_STATE_CREATED);
  ASSERT_EQ(pww_state_transition_allowed(-1, 1), 0);
  ASSERT_EQ(pww_state_transition_allowed(0, 5), 0);
  ASSERT_EQ(pww_state_transition_allowed(5, 0), 0);
  ASSERT_EQ(pww_state_transition_allowed(0, -1), 0);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST(names) {
  ASSERT_STR_EQ(pww_state_name(PWW_STATE_CREATED), "created");
  ASSERT_STR_EQ(pww_state_name(PWW_STATE_STARTING), "starting");
  ASSERT_STR_EQ(pww_state_name(PWW_STATE_RUNNING), "running");
  ASSERT_STR_EQ(pww_state_name(PWW_STATE_KILLED), "killed");
  ASSERT_STR_EQ(pww_state_name(PWW_STATE_FAILED), "failed");
  ASSERT_STR_EQ(pww_state_name(-1), "unknown");
  ASSERT_STR_EQ(pww_state_name(5), "unknown");
}

/* What each state lets the queues do: outbound refused once final, inbound
 * always accepted (an error reported at death can still be queued), and
 * everything received stays readable. */
TEST(queues_by_state) {
  pww_registry_t *reg;
  int s;

  ASSERT_EQ(pww_registry_new(&reg), 0);
  for (s = 0; s < PWW_STATE_COUNT; s++) {
    pww_worker_t *w =
        pww_worker_find(reg, pww_worker_create(reg, PWW_KIND_PYTHON));
    pww_message_t m;
    int final = s == PWW_STATE_KILLED || s == PWW_STATE_FAILED;
    ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "r", 1, 0), 0);
    ASSERT_EQ(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, "q", 1, 0), 0);
    reach(w, s);
    ASSERT_EQ(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, "s", 1, 0),
              final ? PWW_ESTATE : 1);
    ASSERT_EQ(pww_queue_length(w, PWW_OUTBOUND), final ? 1 : 2);
    ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_ERROR, "e", 1, 0), 1);
    ASSERT_EQ(pww_queue_get(w, PWW_INBOUND, 0, &m), 0);
    ASSERT_MEM_EQ(m.data, "r", 1);
    /* Undelivered outbound messages stay countable after a kill. */
    ASSERT_EQ(pww_queue_unread(w, PWW_OUTBOUND), final ? 1 : 2);
  }
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
}

TEST_MAIN(
  RUN(every_pair_native);
  RUN(every_pair_wasm_layer);
  RUN(not_a_state);
  RUN(names);
  RUN(queues_by_state);
)
