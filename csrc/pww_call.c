/*
 * pww_call.c - a worker's table of pending calls (uthash keyed by call id):
 * ids given at begin, removed by the reply (end) or by giving up (cancel),
 * and counters that account for every call ever begun.
 */
#include <string.h>

#include "pww_internal.h"

void pww__calls_init(pww__calls_t *c) {
  memset(c, 0, sizeof(*c));
  c->max_calls = PWW_DEFAULT_MAX_CALLS;
}

/* Frees every pending call and the table; counters are kept. */
void pww__calls_clear(pww__calls_t *c) {
  pww__call_t *call, *tmp;

  HASH_ITER(hh, c->table, call, tmp) {
    HASH_DEL(c->table, call);
    PWW_FREE(call);
  }
}

/* The table owns the new entry until end, cancel or the worker's death.
 * On error (ESTATE, EFULL, ENOSPC, ENOMEM) nothing changed, no id used. */
int pww_call_begin(pww_worker_t *w, double time_ms) {
  pww__calls_t *c;
  pww__call_t *call;

  if (w == NULL) return PWW_EINVAL;
  if (w->state == PWW_STATE_KILLED || w->state == PWW_STATE_FAILED)
    return PWW_ESTATE;
  c = &w->calls;
  if (c->max_calls != 0 && HASH_COUNT(c->table) >= c->max_calls)
    return PWW_EFULL;
  if (c->last_id == INT32_MAX) return PWW_ENOSPC;
  call = PWW_MALLOC(sizeof(*call));
  if (call == NULL) return PWW_ENOMEM;
  memset(call, 0, sizeof(*call));
  call->id = c->last_id + 1;
  call->time_ms = time_ms;

  pww__hash_oom = 0;
  HASH_ADD_INT(c->table, id, call);
  if (pww__hash_oom) {
    /* uthash rolled the insertion back: the table is as before. */
    pww__hash_oom = 0;
    PWW_FREE(call);
    return PWW_ENOMEM;
  }
  c->last_id = call->id;
  return call->id;
}

/* The pending entry for call_id, or NULL with *err set (EINVAL for an id
 * never given, ENOCALL for one no longer pending). */
static pww__call_t *pww__find(const pww__calls_t *c, int call_id, int *err) {
  pww__call_t *call = NULL;

  if (call_id <= 0 || call_id > c->last_id) {
    *err = PWW_EINVAL;
    return NULL;
  }
  HASH_FIND_INT(c->table, &call_id, call);
  if (call == NULL) *err = PWW_ENOCALL;
  return call;
}

/* Frees the entry. A reply for an id no longer pending is counted as late
 * (that is the only change on error). */
int pww_call_end(pww_worker_t *w, int call_id) {
  pww__call_t *call;
  int err = 0;

  if (w == NULL) return PWW_EINVAL;
  call = pww__find(&w->calls, call_id, &err);
  if (call == NULL) {
    if (err == PWW_ENOCALL && w->calls.late < INT32_MAX) w->calls.late++;
    return err;
  }
  HASH_DEL(w->calls.table, call);
  PWW_FREE(call);
  w->calls.ended++;
  return 0;
}

/* Frees the entry; its reply, if it ever comes, will be late. */
int pww_call_cancel(pww_worker_t *w, int call_id) {
  pww__call_t *call;
  int err = 0;

  if (w == NULL) return PWW_EINVAL;
  call = pww__find(&w->calls, call_id, &err);
  if (call == NULL) return err;
  HASH_DEL(w->calls.table, call);
  PWW_FREE(call);
  w->calls.cancelled++;
  return 0;
}

/* Frees every entry; returns how many were pending. */
int pww_call_cancel_all(pww_worker_t *w) {
  int n;

  if (w == NULL) return PWW_EINVAL;
  n = (int)HASH_COUNT(w->calls.table);
  pww__calls_clear(&w->calls);
  w->calls.cancelled += n;
  return n;
}

int pww_call_pending(const pww_worker_t *w) {
  return w == NULL ? PWW_EINVAL : (int)HASH_COUNT(w->calls.table);
}

/* uthash keeps insertion order through deletions: oldest first. */
int pww_call_list(const pww_worker_t *w, int32_t *out, size_t cap) {
  const pww__call_t *call;
  size_t n = 0;

  if (w == NULL || (out == NULL && cap > 0)) return PWW_EINVAL;
  for (call = w->calls.table; call != NULL && n < cap;
       call = (const pww__call_t *)call->hh.next)
    out[n++] = call->id;
  return (int)n;
}

int pww_call_time(const pww_worker_t *w, int call_id, double *out) {
  const pww__call_t *call;
  int err = 0;

  if (w == NULL || out == NULL) return PWW_EINVAL;
  call = pww__find(&w->calls, call_id, &err);
  if (call == NULL) return err;
  *out = call->time_ms;
  return 0;
}

int pww_call_stat(const pww_worker_t *w, int stat) {
  if (w == NULL) return PWW_EINVAL;
  switch (stat) {
    case PWW_CALL_PENDING: return (int)HASH_COUNT(w->calls.table);
    case PWW_CALL_BEGUN: return w->calls.last_id;
    case PWW_CALL_ENDED: return w->calls.ended;
    case PWW_CALL_CANCELLED: return w->calls.cancelled;
    case PWW_CALL_LATE: return w->calls.late;
    default: return PWW_EINVAL;
  }
}

int pww_call_set_limit(pww_worker_t *w, size_t max_calls) {
  if (w == NULL) return PWW_EINVAL;
  w->calls.max_calls = max_calls;
  return 0;
}
