/* test_model.c - randomised operations (default 1 000 000; PWW_MODEL_OPS and
 * PWW_MODEL_SEED override) checked one by one against a plain reference
 * model written here: arrays, linear scans, no cleverness. Allocation
 * failures are injected at random too. */
#include "helpers.h"

#define MAX_WORKERS 20000

typedef struct {
  int present, opened, kind, kept;
  size_t len;
  unsigned seed;
  double t;
} mmsg_t;

typedef struct {
  mmsg_t *v;
  int n, cap;
  size_t max_m, max_b;
} mqueue_t;

typedef struct {
  int alive, kind, state;
  mqueue_t q[2];
} mworker_t;

static mworker_t model[MAX_WORKERS + 1];
static int model_next_id = 1;
static pww_registry_t *reg;

static int m_live(const mqueue_t *q) {
  int i, n = 0;
  for (i = 0; i < q->n; i++) n += q->v[i].present;
  return n;
}

static size_t m_bytes(const mqueue_t *q) {
  int i;
  size_t n = 0;
  for (i = 0; i < q->n; i++) n += q->v[i].present ? q->v[i].len : 0;
  return n;
}

static int m_unread(const mqueue_t *q) {
  int i, n = 0;
  for (i = 0; i < q->n; i++) n += q->v[i].present && !q->v[i].opened;
  return n;
}

static int m_first_unread(const mqueue_t *q) {
  int i;
  for (i = 0; i < q->n; i++)
    if (q->v[i].present && !q->v[i].opened) return i;
  return q->n;
}

static int m_index_err(const mqueue_t *q, int i) {
  if (i < 0 || i >= q->n) return PWW_ERANGE;
  return q->v[i].present ? 0 : PWW_ERELEASED;
}

/* A random id: usually a live worker, sometimes a dead or unknown one. */
static int alive_ids[MAX_WORKERS];
static int n_alive;
static long outcomes[16]; /* by -error code; [0] successes */

static int pick_id(void) {
  if (n_alive == 0 || test_below(20) == 0)
    return (int)test_below((unsigned)model_next_id + 2);
  return alive_ids[test_below((unsigned)n_alive)];
}

static int pick_index(const mqueue_t *q) {
  if (test_below(10) == 0) return (int)test_below((unsigned)q->n + 3) - 1;
  if (q->n == 0) return 0;
  /* Mostly near the unread front, where the action is. */
  if (test_below(2)) {
    int f = m_first_unread(q);
    return f + (int)test_below(8) < q->n ? f + (int)test_below(8) : q->n - 1;
  }
  return (int)test_below((unsigned)q->n);
}

static void op_create(void) {
  int kind = test_below(10) == 0 ? 7 : 1 + (int)test_below(2);
  int fail = test_below(30) == 0, rc;
  pww_limits_t l[2];

  if (model_next_id > MAX_WORKERS) return;
  if (fail) talloc_countdown = 0;
  rc = pww_worker_create(reg, kind);
  talloc_countdown = -1;
  if (kind == 7) {
    ASSERT_ERR(rc, PWW_EINVAL);
  } else if (fail) {
    ASSERT_ERR(rc, PWW_ENOMEM);
  } else {
    mworker_t *w = &model[model_next_id];
    alive_ids[n_alive++] = model_next_id;
    ASSERT_EQ(rc, model_next_id++);
    ASSERT_EQ(pww_registry_limits(reg, 0, &l[0]), 0);
    ASSERT_EQ(pww_registry_limits(reg, 1, &l[1]), 0);
    w->alive = 1;
    w->kind = kind;
    w->q[0].max_m = l[0].max_messages;
    w->q[0].max_b = l[0].max_bytes;
    w->q[1].max_m = l[1].max_messages;
    w->q[1].max_b = l[1].max_bytes;
  }
}

static void op_destroy(void) {
  int id = pick_id();
  int alive = id > 0 && id < model_next_id && model[id].alive;

  ASSERT_EQ(pww_worker_destroy(reg, id), alive ? 0 : PWW_ENOENT);
  if (alive) {
    int i;
    for (i = 0; alive_ids[i] != id; i++) continue;
    alive_ids[i] = alive_ids[--n_alive];
    free(model[id].q[0].v);
    free(model[id].q[1].v);
    memset(&model[id], 0, sizeof(model[id]));
  }
}

static const int allowed[5][5] = {
  {0, 1, 0, 1, 0}, {0, 0, 1, 1, 1}, {0, 0, 0, 1, 1}, {0}, {0}};

static void op_worker(int id, pww_worker_t *w, mworker_t *m) {
  int q = (int)test_below(2), r = (int)test_below(100), rc, i;
  mqueue_t *mq = &m->q[q];
  pww_message_t msg;
  pww_queue_stats_t st;
  int32_t out[16];

  (void)id;
  if (r < 1) { /* state change */
    int to = (int)test_below(6) - (test_below(10) == 0);
    rc = pww_worker_set_state(w, to);
    if (to < 0 || to > 4) {
      ASSERT_ERR(rc, PWW_EINVAL);
    } else if (allowed[m->state][to]) {
      ASSERT_EQ(rc, 0);
      m->state = to;
    } else {
      ASSERT_ERR(rc, PWW_ESTATE);
    }
  } else if (r < 40) { /* push */
    unsigned char p[64];
    int kind = test_below(20) == 0 ? 5 : 1 + (int)test_below(4);
    size_t len = test_below(64);
    int fail = test_below(50) == 0, expect;
    unsigned seed = (unsigned)test_rand();
    double t = (double)test_below(1000000) / 8.0;
    fill_payload(p, len, seed);
    if (kind == 5)
      expect = PWW_EINVAL;
    else if (q == PWW_OUTBOUND && (m->state == 3 || m->state == 4))
      expect = PWW_ESTATE;
    else if ((mq->max_m && (size_t)m_live(mq) >= mq->max_m) ||
             (mq->max_b && m_bytes(mq) + len > mq->max_b))
      expect = PWW_EFULL;
    else
      expect = fail ? PWW_ENOMEM : mq->n;
    if (fail) talloc_countdown = 0;
    /* One in four is kept by the caller (pww_queue_push_kept): no payload. */
    rc = (seed & 3u) == 0 ? pww_queue_push_kept(w, q, kind, len, t)
                          : pww_queue_push(w, q, kind, p, len, t);
    talloc_countdown = -1;
    ASSERT_ERR(rc, expect);
    outcomes[rc < 0 ? -rc : 0]++;
    if (rc >= 0) {
      if (mq->n == mq->cap) {
        mq->cap = mq->cap ? mq->cap * 2 : 16;
        mq->v = realloc(mq->v, (size_t)mq->cap * sizeof(*mq->v));
        ASSERT_NOT_NULL(mq->v);
      }
      mq->v[mq->n++] = (mmsg_t){1, 0, kind, (seed & 3u) == 0, len, seed, t};
    }
  } else if (r < 55) { /* get */
    i = pick_index(mq);
    rc = pww_queue_get(w, q, i, &msg);
    ASSERT_ERR(rc, m_index_err(mq, i));
    if (rc == 0) {
      unsigned char p[64];
      mmsg_t *e = &mq->v[i];
      fill_payload(p, e->len, e->seed);
      ASSERT_UEQ(msg.len, e->len);
      if (e->kept)
        ASSERT_TRUE(msg.data == NULL);
      else
        ASSERT_MEM_EQ(msg.data, p, e->len);
      ASSERT_EQ(msg.kind, e->kind);
      ASSERT_EQ(msg.opened, e->opened);
      ASSERT_DBL_EQ(msg.time_ms, e->t);
    }
  } else if (r < 70) { /* open */
    i = pick_index(mq);
    rc = pww_queue_mark_opened(w, q, i);
    ASSERT_ERR(rc, m_index_err(mq, i));
    if (rc == 0) mq->v[i].opened = 1;
  } else if (r < 82) { /* release one */
    i = pick_index(mq);
    if (test_below(4) == 0) talloc_countdown = 0; /* shrink may fail */
    rc = pww_queue_release(w, q, i);
    talloc_countdown = -1;
    ASSERT_ERR(rc, m_index_err(mq, i));
    if (rc == 0) mq->v[i].present = 0;
  } else if (r < 85) { /* release opened */
    int n = 0;
    for (i = 0; i < mq->n; i++)
      if (mq->v[i].present && mq->v[i].opened) {
        mq->v[i].present = 0;
        n++;
      }
    ASSERT_EQ(pww_queue_release_opened(w, q), n);
  } else if (r < 92) { /* counters */
    ASSERT_EQ(pww_queue_length(w, q), mq->n);
    ASSERT_EQ(pww_queue_unread(w, q), m_unread(mq));
    ASSERT_EQ(pww_queue_first_unread(w, q), m_first_unread(mq));
    ASSERT_EQ(pww_queue_stats(w, q, &st), 0);
    ASSERT_EQ(st.live, m_live(mq));
    ASSERT_EQ(pww_queue_held(w, q), m_live(mq));
    ASSERT_UEQ(st.live_bytes, m_bytes(mq));
    ASSERT_EQ(pww_worker_state(w), m->state);
    ASSERT_EQ(pww_worker_kind(w), m->kind);
  } else if (r < 97) { /* list unread, or held (opened too) */
    size_t cap = test_below(17);
    int n = 0, held = (int)test_below(2);
    rc = held ? pww_queue_list_held(w, q, out, cap)
              : pww_queue_list_unread(w, q, out, cap);
    for (i = 0; i < mq->n && (size_t)n < cap; i++)
      if (mq->v[i].present && (held || !mq->v[i].opened)) {
        ASSERT_LT(n, rc);
        ASSERT_EQ(out[n], i);
        n++;
      }
    ASSERT_EQ(rc, n);
  } else { /* limits */
    pww_limits_t l = {test_below(2) ? 1 + test_below(400) : 0,
                      test_below(2) ? test_below(20000) : 0};
    if (test_below(4) == 0) {
      ASSERT_EQ(pww_registry_set_limits(reg, q, &l), 0);
    } else {
      ASSERT_EQ(pww_queue_set_limits(w, q, &l), 0);
      mq->max_m = l.max_messages;
      mq->max_b = l.max_bytes;
    }
  }
}

TEST(random_ops_against_model) {
  long ops = 1000000, k;
  const char *env = getenv("PWW_MODEL_OPS");
  const char *seed = getenv("PWW_MODEL_SEED");
  int id;

  if (env) ops = atol(env);
  if (seed) test_rng_ = strtoull(seed, NULL, 0) | 1;
  ASSERT_GE(ops, 1);
  talloc_install();
  ASSERT_EQ(pww_registry_new(&reg), 0);
  for (k = 0; k < ops; k++) {
    int r = (int)test_below(1000);
    if (r < 2 || n_alive < 4) {
      op_create();
    } else if (r < 3 || n_alive > 40) {
      op_destroy();
    } else {
      id = pick_id();
      if (id > 0 && id < model_next_id && model[id].alive)
        op_worker(id, pww_worker_find(reg, id), &model[id]);
      else
        ASSERT_NULL(pww_worker_find(reg, id));
    }
    if (k % 20000 == 0) check_registry(reg);
  }
  check_registry(reg);
  for (id = 1; id < model_next_id; id++) {
    free(model[id].q[0].v);
    free(model[id].q[1].v);
  }
  printf("  %ld ops, %d workers created, %ld allocations (%ld failed)\n", ops,
         model_next_id - 1, talloc_total, talloc_failed);
  printf("  pushes: %ld ok, %ld EFULL, %ld ESTATE, %ld EINVAL, %ld ENOMEM\n",
         outcomes[0], outcomes[-PWW_EFULL], outcomes[-PWW_ESTATE],
         outcomes[-PWW_EINVAL], outcomes[-PWW_ENOMEM]);
  ASSERT_GE(outcomes[0], ops / 20);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall();
}

TEST_MAIN(
  RUN(random_ops_against_model);
)
