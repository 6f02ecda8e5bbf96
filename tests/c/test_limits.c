/* test_limits.c - bounded queues: max messages, max bytes, unlimited,
 * lowered below use, per-worker override; EFULL changes nothing. */
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

/* A full push must leave every counter as it was. */
static void assert_full(pww_worker_t *w, int q, size_t len) {
  pww_queue_stats_t before, after;
  static const unsigned char buf[256];

  ASSERT_EQ(pww_queue_stats(w, q, &before), 0);
  ASSERT_ERR(pww_queue_push(w, q, PWW_MSG_BYTES, buf, len, 0), PWW_EFULL);
  ASSERT_EQ(pww_queue_stats(w, q, &after), 0);
  ASSERT_EQ(after.length, before.length);
  ASSERT_EQ(after.live, before.live);
  ASSERT_EQ(after.unread, before.unread);
  ASSERT_UEQ(after.live_bytes, before.live_bytes);
}

TEST(max_messages) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {3, 0}, got;
  int i;

  ASSERT_EQ(pww_queue_set_limits(w, PWW_OUTBOUND, &l), 0);
  ASSERT_EQ(pww_queue_limits(w, PWW_OUTBOUND, &got), 0);
  ASSERT_UEQ(got.max_messages, 3);
  ASSERT_UEQ(got.max_bytes, 0);
  for (i = 0; i < 3; i++)
    ASSERT_EQ(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, "x", 1, 0), i);
  assert_full(w, PWW_OUTBOUND, 1);
  assert_full(w, PWW_OUTBOUND, 0); /* empty messages count too */
  /* The other queue has its own limits. */
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "y", 1, 0), 0);
  /* Opening frees nothing; releasing does. */
  ASSERT_EQ(pww_queue_mark_opened(w, PWW_OUTBOUND, 1), 0);
  assert_full(w, PWW_OUTBOUND, 1);
  ASSERT_EQ(pww_queue_release(w, PWW_OUTBOUND, 1), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, "x", 1, 0), 3);
  assert_full(w, PWW_OUTBOUND, 1);
  done();
}

TEST(max_bytes) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {0, 100};
  static const unsigned char buf[256];

  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &l), 0);
  assert_full(w, PWW_INBOUND, 101); /* never fits */
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 60, 0), 0);
  assert_full(w, PWW_INBOUND, 41);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 40, 0), 1);
  assert_full(w, PWW_INBOUND, 1);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, NULL, 0, 0), 2);
  ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, 0), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 60, 0), 3);
  assert_full(w, PWW_INBOUND, 1);
  done();
}

TEST(both_limits) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {2, 10};

  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &l), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "abcd", 4, 0), 0);
  assert_full(w, PWW_INBOUND, 7);                  /* bytes */
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "ab", 2, 0), 1);
  assert_full(w, PWW_INBOUND, 1);                  /* count */
  done();
}

TEST(unlimited) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {0, 0};
  unsigned char *big = malloc(1u << 20);
  int i;

  ASSERT_NOT_NULL(big);
  memset(big, 7, 1u << 20);
  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &l), 0);
  for (i = 0; i < 300; i++) /* 300 MiB > the 256 MiB default */
    ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, big, 1u << 20, 0),
              i);
  free(big);
  ASSERT_EQ(pww_queue_length(w, PWW_INBOUND), 300);
  done();
}

TEST(default_bytes_limit) {
  pww_worker_t *w = fresh();
  unsigned char *big = malloc(1u << 20);
  int i;

  ASSERT_NOT_NULL(big);
  memset(big, 1, 1u << 20);
  for (i = 0; i < 256; i++)
    ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, big, 1u << 20, 0),
              i);
  assert_full(w, PWW_INBOUND, 1);
  ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, 100), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, big, 1u << 20, 0),
            256);
  free(big);
  done();
}

TEST(default_message_limit) {
  pww_worker_t *w = fresh();
  int i;

  for (i = 0; i < (int)PWW_DEFAULT_MAX_MESSAGES; i++)
    if (pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_TEXT, NULL, 0, 0) != i)
      ASSERT_EQ(pww_queue_length(w, PWW_OUTBOUND), i);
  ASSERT_EQ(pww_queue_length(w, PWW_OUTBOUND), PWW_DEFAULT_MAX_MESSAGES);
  assert_full(w, PWW_OUTBOUND, 0);
  done();
}

TEST(lowered_below_use) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {2, 3};
  int i;

  for (i = 0; i < 5; i++)
    ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "ab", 2, 0), i);
  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &l), 0);
  assert_full(w, PWW_INBOUND, 0);
  for (i = 0; i < 4; i++) ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, i), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "c", 1, 0), 5);
  assert_full(w, PWW_INBOUND, 0); /* 2 messages now */
  ASSERT_EQ(pww_queue_release(w, PWW_INBOUND, 4), 0);
  assert_full(w, PWW_INBOUND, 3); /* 1 + 3 bytes > 3 */
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_TEXT, "de", 2, 0), 6);
  done();
}

/* pww_queue_fits answers as the push would, and changes nothing. */
TEST(fits_before_copy) {
  pww_worker_t *w = fresh();
  pww_limits_t l = {2, 100};
  pww_queue_stats_t before, after;
  static const unsigned char buf[64];

  ASSERT_EQ(pww_queue_set_limits(w, PWW_INBOUND, &l), 0);
  ASSERT_EQ(pww_queue_stats(w, PWW_INBOUND, &before), 0);
  ASSERT_EQ(pww_queue_fits(w, PWW_INBOUND, 100), 0);
  ASSERT_ERR(pww_queue_fits(w, PWW_INBOUND, 101), PWW_EFULL);
  ASSERT_ERR(pww_queue_fits(w, PWW_INBOUND, (size_t)PWW_MAX_LEN + 1), PWW_EINVAL);
  ASSERT_ERR(pww_queue_fits(w, 2, 0), PWW_EINVAL);
  ASSERT_EQ(pww_queue_stats(w, PWW_INBOUND, &after), 0);
  ASSERT_EQ(after.length, before.length);
  ASSERT_UEQ(after.live_bytes, before.live_bytes);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 60, 0), 0);
  ASSERT_ERR(pww_queue_fits(w, PWW_INBOUND, 41), PWW_EFULL);
  ASSERT_EQ(pww_queue_fits(w, PWW_INBOUND, 40), 0);
  ASSERT_EQ(pww_queue_push(w, PWW_INBOUND, PWW_MSG_BYTES, buf, 1, 0), 1);
  ASSERT_ERR(pww_queue_fits(w, PWW_INBOUND, 0), PWW_EFULL); /* by count */
  /* Outbound of a dead worker: the state error, as the push gives it. */
  ASSERT_EQ(pww_worker_set_state(w, PWW_STATE_KILLED), 0);
  ASSERT_ERR(pww_queue_fits(w, PWW_OUTBOUND, 1), PWW_ESTATE);
  ASSERT_ERR(pww_queue_push(w, PWW_OUTBOUND, PWW_MSG_BYTES, buf, 1, 0), PWW_ESTATE);
  done();
}

TEST(wasm_layer_limits) {
  int a, b;
  static const char x[8] = "1234567";

  a = pww_w_create(PWW_KIND_PYTHON);
  ASSERT_EQ(pww_w_set_limits(0, PWW_INBOUND, 1, 4), 0); /* later workers */
  b = pww_w_create(PWW_KIND_PYTHON);
  ASSERT_EQ(pww_w_push(a, PWW_INBOUND, PWW_MSG_TEXT, x, 5, 0), 0);
  ASSERT_EQ(pww_w_push(a, PWW_INBOUND, PWW_MSG_TEXT, x, 5, 0), 1);
  ASSERT_ERR(pww_w_push(b, PWW_INBOUND, PWW_MSG_TEXT, x, 5, 0), PWW_EFULL);
  ASSERT_EQ(pww_w_push(b, PWW_INBOUND, PWW_MSG_TEXT, x, 4, 0), 0);
  ASSERT_ERR(pww_w_push(b, PWW_INBOUND, PWW_MSG_TEXT, x, 0, 0), PWW_EFULL);
  ASSERT_EQ(pww_w_set_limits(b, PWW_INBOUND, 0, 0), 0);
  ASSERT_EQ(pww_w_push(b, PWW_INBOUND, PWW_MSG_TEXT, x, 8, 0), 1);
  ASSERT_ERR(pww_w_set_limits(b, PWW_INBOUND, -1, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_set_limits(b, PWW_INBOUND, 0, -1), PWW_EINVAL);
  ASSERT_ERR(pww_w_set_limits(b, 2, 0, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_set_limits(0, -1, 0, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_set_limits(777, 0, 0, 0), PWW_ENOENT);
  ASSERT_ERR(pww_w_set_limits(-5, 0, 0, 0), PWW_ENOENT);
  /* Reading limits back; asking whether a size fits, any size. */
  ASSERT_EQ(pww_w_limit(0, PWW_INBOUND, 0), 1);
  ASSERT_EQ(pww_w_limit(0, PWW_INBOUND, 1), 4);
  ASSERT_EQ(pww_w_limit(a, PWW_INBOUND, 1), (int)PWW_DEFAULT_MAX_BYTES);
  ASSERT_EQ(pww_w_limit(b, PWW_INBOUND, 1), 0);
  ASSERT_ERR(pww_w_limit(b, PWW_INBOUND, 2), PWW_EINVAL);
  ASSERT_ERR(pww_w_limit(b, 2, 0), PWW_EINVAL);
  ASSERT_ERR(pww_w_limit(777, 0, 0), PWW_ENOENT);
  ASSERT_EQ(pww_w_set_limits(b, PWW_INBOUND, 0, 16), 0); /* 12 bytes held */
  ASSERT_EQ(pww_w_fits(b, PWW_INBOUND, 4), 0);
  ASSERT_ERR(pww_w_fits(b, PWW_INBOUND, 5), PWW_EFULL);
  ASSERT_EQ(pww_w_set_limits(b, PWW_INBOUND, 0, 0), 0);
  ASSERT_EQ(pww_w_fits(b, PWW_INBOUND, 2147483647.0), 0);
  ASSERT_ERR(pww_w_fits(b, PWW_INBOUND, 2147483648.0), PWW_EINVAL);
  ASSERT_ERR(pww_w_fits(b, PWW_INBOUND, 5.0 * 1024 * 1024 * 1024), PWW_EINVAL);
  ASSERT_ERR(pww_w_fits(b, PWW_INBOUND, -1), PWW_EINVAL);
  ASSERT_ERR(pww_w_fits(b, PWW_INBOUND, NAN), PWW_EINVAL);
  ASSERT_ERR(pww_w_fits(777, PWW_INBOUND, 1), PWW_ENOENT);
  pww__w_reset();
}

TEST_MAIN(
  RUN(max_messages);
  RUN(max_bytes);
  RUN(both_limits);
  RUN(unlimited);
  RUN(default_bytes_limit);
  RUN(default_message_limit);
  RUN(lowered_below_use);
  RUN(fits_before_copy);
  RUN(wasm_layer_limits);
)
