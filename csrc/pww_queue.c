/*
 * pww_queue.c - a worker's message queues: push, index access, read
 * tracking, limits and release. See pww__queue_t for the ring layout.
 */
#include <string.h>

#include "pww_internal.h"

#define PWW__RING_MIN 8u

/* Look up the queue of a worker; NULL for a bad worker or queue id. */
static pww__queue_t *pww__q(const pww_worker_t *w, int queue) {
  if (w == NULL || !PWW__VALID_QUEUE(queue)) return NULL;
  return (pww__queue_t *)&w->queues[queue];
}

static pww__msg_t **pww__slot(const pww__queue_t *q, int32_t index) {
  return &q->slots[(q->head + (uint32_t)(index - q->base)) & (q->cap - 1u)];
}

/* The message at index, or NULL with *err set to PWW_ERANGE/PWW_ERELEASED. */
static pww__msg_t *pww__at(const pww__queue_t *q, int index, int *err) {
  pww__msg_t *m;

  if (index < 0 || index >= q->length) {
    *err = PWW_ERANGE;
    return NULL;
  }
  if (index < q->base) {
    *err = PWW_ERELEASED;
    return NULL;
  }
  m = *pww__slot(q, index);
  if (m == NULL) *err = PWW_ERELEASED;
  return m;
}

void pww__queue_init(pww__queue_t *q, const pww_limits_t *limits) {
  memset(q, 0, sizeof(*q));
  q->limits = *limits;
}

/* Frees every live message and the ring; the queue is left empty but keeps
 * its indices (length) and limits. */
void pww__queue_clear(pww__queue_t *q) {
  int32_t i;

  for (i = q->base; i < q->length; i++) PWW_FREE(*pww__slot(q, i));
  PWW_FREE(q->slots);
  q->slots = NULL;
  q->cap = 0;
  q->head = 0;
  q->base = q->length;
  q->cursor = q->length;
  q->unread = 0;
  q->live = 0;
  q->live_bytes = 0;
}

/* Move the ring to a new array of new_cap slots (a power of two holding the
 * span). On PWW_ENOMEM the old ring is kept unchanged. */
static int pww__ring_resize(pww__queue_t *q, uint32_t new_cap) {
  uint32_t span = (uint32_t)(q->length - q->base);
  uint32_t i;
  pww__msg_t **slots = PWW_MALLOC((size_t)new_cap * sizeof(*slots));

  if (slots == NULL) return PWW_ENOMEM;
  for (i = 0; i < span; i++)
    slots[i] = q->slots[(q->head + i) & (q->cap - 1u)];
  PWW_FREE(q->slots);
  q->slots = slots;
  q->cap = new_cap;
  q->head = 0;
  return 0;
}

int pww_queue_set_limits(pww_worker_t *w, int queue,
                         const pww_limits_t *limits) {
  pww__queue_t *q = pww__q(w, queue);

  if (q == NULL || limits == NULL) return PWW_EINVAL;
  q->limits = *limits;
  return 0;
}

int pww_queue_limits(const pww_worker_t *w, int queue, pww_limits_t *out) {
  pww__queue_t *q = pww__q(w, queue);

  if (q == NULL || out == NULL) return PWW_EINVAL;
  *out = q->limits;
  return 0;
}

static int pww__valid_kind(int kind) {
  return kind >= PWW_MSG_TEXT && kind <= PWW_MSG_ERROR;
}

/* The checks of a push, in its order; allocates nothing. */
static int pww__push_check(pww_worker_t *w, pww__queue_t *q, int queue,
                           size_t len) {
  if (len > PWW_MAX_LEN) return PWW_EINVAL;
  if (queue == PWW_OUTBOUND &&
      (w->state == PWW_STATE_KILLED || w->state == PWW_STATE_FAILED))
    return PWW_ESTATE;
  if (q->limits.max_messages != 0 &&
      (size_t)q->live >= q->limits.max_messages)
    return PWW_EFULL;
  /* Limits may have been lowered below current use: no underflow. */
  if (q->limits.max_bytes != 0 &&
      (q->live_bytes > q->limits.max_bytes ||
       len > q->limits.max_bytes - q->live_bytes))
    return PWW_EFULL;
  if (q->length == PWW_MAX_INDEX) return PWW_ENOSPC;
  return 0;
}

/* Lets a caller refuse a message before it copies it anywhere. */
int pww_queue_fits(pww_worker_t *w, int queue, size_t len) {
  pww__queue_t *q = pww__q(w, queue);

  if (q == NULL) return PWW_EINVAL;
  return pww__push_check(w, q, queue, len);
}

/* The queue owns the copy, or with `kept` only counts `len` bytes whose
 * payload the caller keeps (data is ignored; the message has no payload in
 * memory). Checks everything before allocating, allocates everything before
 * changing anything: on error the queue is unchanged. */
static int pww__push(pww_worker_t *w, int queue, int kind, const void *data,
                     size_t len, double time_ms, int kept) {
  pww__queue_t *q = pww__q(w, queue);
  pww__msg_t *m;
  uint32_t span;
  int rc;

  if (q == NULL || !pww__valid_kind(kind) ||
      (!kept && data == NULL && len > 0))
    return PWW_EINVAL;
  rc = pww__push_check(w, q, queue, len);
  if (rc < 0) return rc;

  m = PWW_MALLOC(sizeof(*m) + (kept ? 0 : len));
  if (m == NULL) return PWW_ENOMEM;
  span = (uint32_t)(q->length - q->base);
  if (span == q->cap &&
      pww__ring_resize(q, q->cap ? q->cap * 2u : PWW__RING_MIN) != 0) {
    PWW_FREE(m);
    return PWW_ENOMEM;
  }
  m->time_ms = time_ms;
  m->len = (uint32_t)len;
  m->kind = (uint8_t)kind;
  m->opened = 0;
  m->kept = (uint8_t)(kept != 0);
  m->pad_ = 0;
  if (len > 0 && !kept) memcpy(m->data, data, len);

  q->length++;
  *pww__slot(q, q->length - 1) = m;
  q->unread++;
  q->live++;
  q->live_bytes += len;
  return q->length - 1;
}

int pww_queue_push(pww_worker_t *w, int queue, int kind, const void *data,
                   size_t len, double time_ms) {
  return pww__push(w, queue, kind, data, len, time_ms, 0);
}

int pww_queue_push_kept(pww_worker_t *w, int queue, int kind, size_t len,
                        double time_ms) {
  return pww__push(w, queue, kind, NULL, len, time_ms, 1);
}

int pww_queue_length(const pww_worker_t *w, int queue) {
  pww__queue_t *q = pww__q(w, queue);
  return q == NULL ? PWW_EINVAL : q->length;
}

int pww_queue_unread(const pww_worker_t *w, int queue) {
  pww__queue_t *q = pww__q(w, queue);
  return q == NULL ? PWW_EINVAL : q->unread;
}

/* Advances the cursor past opened and released messages. The cursor never
 * moves back (a message is never unopened), so the walk is amortised O(1). */
static int32_t pww__first_unread(pww__queue_t *q) {
  if (q->cursor < q->base) q->cursor = q->base;
  if (q->unread == 0) {
    q->cursor = q->length;
    return q->cursor;
  }
  while (q->cursor < q->length) {
    pww__msg_t *m = *pww__slot(q, q->cursor);
    if (m != NULL && !m->opened) break;
    q->cursor++;
  }
  return q->cursor;
}

int pww_queue_first_unread(pww_worker_t *w, int queue) {
  pww__queue_t *q = pww__q(w, queue);
  return q == NULL ? PWW_EINVAL : pww__first_unread(q);
}

int pww_queue_list_unread(pww_worker_t *w, int queue, int32_t *out,
                          size_t cap) {
  pww__queue_t *q = pww__q(w, queue);
  int32_t i, n = 0;

  if (q == NULL || (out == NULL && cap > 0)) return PWW_EINVAL;
  if (cap > (size_t)INT32_MAX) cap = INT32_MAX;
  for (i = pww__first_unread(q); i < q->length && (size_t)n < cap &&
                                 n < q->unread; i++) {
    pww__msg_t *m = *pww__slot(q, i);
    if (m != NULL && !m->opened) out[n++] = i;
  }
  return n;
}

int pww_queue_held(const pww_worker_t *w, int queue) {
  pww__queue_t *q = pww__q(w, queue);
  return q == NULL ? PWW_EINVAL : q->live;
}

/* Indices below base are all released, so the walk covers the ring only, and
 * stops at the last held message. */
int pww_queue_list_held(const pww_worker_t *w, int queue, int32_t *out,
                        size_t cap) {
  pww__queue_t *q = pww__q(w, queue);
  int32_t i, n = 0;

  if (q == NULL || (out == NULL && cap > 0)) return PWW_EINVAL;
  if (cap > (size_t)INT32_MAX) cap = INT32_MAX;
  for (i = q->base; i < q->length && (size_t)n < cap && n < q->live; i++)
    if (*pww__slot(q, i) != NULL) out[n++] = i;
  return n;
}

/* *out borrows the payload: valid until the message is released. */
int pww_queue_get(const pww_worker_t *w, int queue, int index,
                  pww_message_t *out) {
  pww__queue_t *q = pww__q(w, queue);
  pww__msg_t *m;
  int err = 0;

  if (q == NULL || out == NULL) return PWW_EINVAL;
  m = pww__at(q, index, &err);
  if (m == NULL) return err;
  out->data = m->kept ? NULL : m->data;
  out->len = m->len;
  out->kind = m->kind;
  out->opened = m->opened;
  out->time_ms = m->time_ms;
  return 0;
}

int pww_queue_mark_opened(pww_worker_t *w, int queue, int index) {
  pww__queue_t *q = pww__q(w, queue);
  pww__msg_t *m;
  int err = 0;

  if (q == NULL) return PWW_EINVAL;
  m = pww__at(q, index, &err);
  if (m == NULL) return err;
  if (!m->opened) {
    m->opened = 1;
    q->unread--;
  }
  return 0;
}

/* After a release at the front, drop the leading NULL slots; an empty ring
 * is freed unless small, a ring used at a quarter or less shrinks to twice the span
 * (best effort: if that allocation fails the larger ring is simply kept).
 * Never fails. */
static void pww__trim(pww__queue_t *q) {
  uint32_t span;

  while (q->base < q->length && *pww__slot(q, q->base) == NULL) {
    q->head = (q->head + 1u) & (q->cap - 1u);
    q->base++;
  }
  span = (uint32_t)(q->length - q->base);
  if (span == 0 && q->cap > 4u * PWW__RING_MIN) {
    /* A small empty ring is kept: a push-release cycle allocates nothing. */
    PWW_FREE(q->slots);
    q->slots = NULL;
    q->cap = 0;
    q->head = 0;
  } else if (q->cap > 4u * PWW__RING_MIN && span <= q->cap / 4u) {
    uint32_t new_cap = q->cap;
    while (new_cap / 2u >= 2u * span && new_cap / 2u >= PWW__RING_MIN)
      new_cap /= 2u;
    (void)pww__ring_resize(q, new_cap);
  }
  if (q->cursor < q->base) q->cursor = q->base;
}

/* Frees message index; unread if it was not opened. */
static void pww__release(pww__queue_t *q, int32_t index, pww__msg_t *m) {
  if (!m->opened) q->unread--;
  q->live--;
  q->live_bytes -= m->len;
  *pww__slot(q, index) = NULL;
  PWW_FREE(m);
}

int pww_queue_release(pww_worker_t *w, int queue, int index) {
  pww__queue_t *q = pww__q(w, queue);
  pww__msg_t *m;
  int err = 0;

  if (q == NULL) return PWW_EINVAL;
  m = pww__at(q, index, &err);
  if (m == NULL) return err;
  pww__release(q, index, m);
  if (index == q->base) pww__trim(q);
  return 0;
}

/* O(span): walks every index still in the ring once. */
int pww_queue_release_opened(pww_worker_t *w, int queue) {
  pww__queue_t *q = pww__q(w, queue);
  int32_t i, n = 0;

  if (q == NULL) return PWW_EINVAL;
  for (i = q->base; i < q->length; i++) {
    pww__msg_t *m = *pww__slot(q, i);
    if (m != NULL && m->opened) {
      pww__release(q, i, m);
      n++;
    }
  }
  if (n > 0) pww__trim(q);
  return n;
}

int pww_queue_stats(pww_worker_t *w, int queue, pww_queue_stats_t *out) {
  pww__queue_t *q = pww__q(w, queue);

  if (q == NULL || out == NULL) return PWW_EINVAL;
  out->length = q->length;
  out->first_unread = pww__first_unread(q);
  out->unread = q->unread;
  out->live = q->live;
  out->live_bytes = q->live_bytes;
  return 0;
}
