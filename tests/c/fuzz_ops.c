/* fuzz_ops.c - libFuzzer target: the input is a stream of operations on one
 * registry (create, destroy, state, push, get, open, release, limits,
 * calls begun, ended, cancelled, injected allocation failures). After every operation the results are
 * checked against what the previous state implies, and the whole registry
 * is recounted by check_registry(). Run with `make fuzz FUZZ_SECONDS=600`. */
#include "helpers.h"

typedef struct {
  const uint8_t *p;
  size_t n;
} input_t;

static unsigned take(input_t *in) {
  unsigned b;
  if (in->n == 0) return 0;
  b = *in->p++;
  in->n--;
  return b;
}

static unsigned take16(input_t *in) {
  unsigned lo = take(in);
  return lo | (take(in) << 8);
}

/* Mostly a live worker, from a small id space so that ops meet. */
static pww_worker_t *pick(pww_registry_t *reg, input_t *in, int *id) {
  *id = (int)take(in) % 12;
  return pww_worker_find(reg, *id);
}

static void one_op(pww_registry_t *reg, input_t *in) {
  unsigned op = take(in) % 14;
  int id, q, idx, rc;
  pww_worker_t *w = pick(reg, in, &id);
  pww_message_t m;
  pww_queue_stats_t before, after;
  int32_t out[32];

  q = (int)(take(in) & 1);
  if (op == 0) {
    int kind = (int)take(in) % 4;
    rc = pww_worker_create(reg, kind);
    ASSERT_TRUE(rc > 0 || rc == PWW_EINVAL || rc == PWW_ENOMEM);
    return;
  }
  if (op == 1) {
    rc = pww_worker_destroy(reg, id);
    ASSERT_ERR(rc, w ? 0 : PWW_ENOENT);
    return;
  }
  if (op == 2) { /* the next allocations may fail */
    talloc_countdown = (long)(take(in) % 8);
    return;
  }
  if (w == NULL) {
    ASSERT_ERR(pww_queue_length(w, q), PWW_EINVAL);
    return;
  }
  ASSERT_EQ(pww_queue_stats(w, q, &before), 0);
  idx = (int)take16(in) - 2;
  switch (op) {
    case 3: {
      rc = pww_worker_set_state(w, (int)take(in) % 6);
      ASSERT_TRUE(rc == 0 || rc == PWW_ESTATE || rc == PWW_EINVAL);
      break;
    }
    case 4:
    case 5: {
      unsigned kind = take(in), len = take(in);
      unsigned char buf[256];
      fill_payload(buf, len, kind);
      rc = pww_queue_push(w, q, (int)kind, buf, len, (double)len);
      ASSERT_EQ(pww_queue_stats(w, q, &after), 0);
      if (rc >= 0) {
        ASSERT_EQ(rc, before.length);
        ASSERT_EQ(after.length, before.length + 1);
        ASSERT_EQ(after.unread, before.unread + 1);
        ASSERT_EQ(pww_queue_get(w, q, rc, &m), 0);
        ASSERT_UEQ(m.len, len);
        ASSERT_MEM_EQ(m.data, buf, len);
      } else {
        ASSERT_EQ(after.length, before.length);
        ASSERT_EQ(after.live, before.live);
        ASSERT_UEQ(after.live_bytes, before.live_bytes);
      }
      break;
    }
    case 6:
      rc = pww_queue_get(w, q, idx, &m);
      ASSERT_TRUE(rc == 0 || rc == PWW_ERANGE || rc == PWW_ERELEASED);
      break;
    case 7:
      rc = pww_queue_mark_opened(w, q, idx);
      if (rc == 0) {
        ASSERT_EQ(pww_queue_get(w, q, idx, &m), 0);
        ASSERT_EQ(m.opened, 1);
      }
      break;
    case 8:
      rc = pww_queue_release(w, q, idx);
      if (rc == 0) ASSERT_ERR(pww_queue_get(w, q, idx, &m), PWW_ERELEASED);
      break;
    case 9:
      rc = pww_queue_release_opened(w, q);
      ASSERT_EQ(pww_queue_stats(w, q, &after), 0);
      ASSERT_EQ(after.live, before.live - rc);
      ASSERT_EQ(after.unread, before.unread);
      break;
    case 10: {
      size_t cap = take(in) % 33;
      int i;
      rc = pww_queue_list_unread(w, q, out, cap);
      ASSERT_EQ(rc, (int)cap < before.unread ? (int)cap : before.unread);
      for (i = 0; i < rc; i++) {
        ASSERT_EQ(pww_queue_get(w, q, out[i], &m), 0);
        ASSERT_EQ(m.opened, 0);
        if (i > 0) ASSERT_GT(out[i], out[i - 1]);
        else ASSERT_EQ(out[0], before.first_unread);
      }
      /* Held: every live message, opened or not, oldest first. */
      ASSERT_EQ(pww_queue_held(w, q), before.live);
      rc = pww_queue_list_held(w, q, out, cap);
      ASSERT_EQ(rc, (int)cap < before.live ? (int)cap : before.live);
      for (i = 0; i < rc; i++) {
        ASSERT_EQ(pww_queue_get(w, q, out[i], &m), 0);
        if (i > 0) ASSERT_GT(out[i], out[i - 1]);
      }
      if (before.live <= 32)
        ASSERT_EQ(pww_queue_list_held(w, q, out, 32), before.live);
      break;
    }
    case 12:
    case 13: { /* calls: begin, end (maybe late), cancel, cancel all, limit */
      int pending = pww_call_pending(w), sub = (int)take(in) % 5;
      int begun = pww_call_stat(w, PWW_CALL_BEGUN);
      int late = pww_call_stat(w, PWW_CALL_LATE);
      int call = (int)take(in) % (begun + 2);
      if (sub == 0) {
        rc = pww_call_begin(w, (double)call);
        ASSERT_TRUE(rc == begun + 1 || rc == PWW_ESTATE || rc == PWW_EFULL ||
                    rc == PWW_ENOMEM);
        ASSERT_EQ(pww_call_pending(w), pending + (rc > 0));
      } else if (sub == 1 || sub == 2) {
        rc = sub == 1 ? pww_call_end(w, call) : pww_call_cancel(w, call);
        ASSERT_TRUE(rc == 0 || rc == PWW_ENOCALL || rc == PWW_EINVAL);
        if (call <= 0 || call > begun) ASSERT_ERR(rc, PWW_EINVAL);
        ASSERT_EQ(pww_call_pending(w), pending - (rc == 0));
        ASSERT_EQ(pww_call_stat(w, PWW_CALL_LATE),
                  late + (sub == 1 && rc == PWW_ENOCALL));
      } else if (sub == 3) {
        ASSERT_EQ(pww_call_cancel_all(w), pending);
        ASSERT_EQ(pww_call_pending(w), 0);
      } else {
        ASSERT_EQ(pww_call_set_limit(w, (size_t)(take(in) % 8)), 0);
      }
      break;
    }
    default: {
      pww_limits_t l = {take(in) % 64, take16(in) % 4096};
      ASSERT_EQ(pww_queue_set_limits(w, q, &l), 0);
      break;
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input_t in = {data, size};
  pww_registry_t *reg;
  int ops = 0;

  talloc_install();
  ASSERT_EQ(pww_registry_new(&reg), 0);
  while (in.n > 0) {
    one_op(reg, &in);
    if (++ops % 16 == 0) check_registry(reg);
  }
  talloc_countdown = -1;
  check_registry(reg);
  ASSERT_EQ(pww_registry_free(reg, 1), 0);
  talloc_uninstall(); /* asserts nothing leaked */
  return 0;
}
