/*
 * pww_registry.c - the registry of workers (uthash keyed by id) and each
 * worker's kind and lifecycle state.
 */
#include <string.h>

#include "pww_internal.h"

/* Allocate an empty registry into *out; the caller frees it with
 * pww_registry_free(). On error *out is untouched. */
int pww_registry_new(pww_registry_t **out) {
  pww_registry_t *reg;
  int q;

  if (out == NULL) return PWW_EINVAL;
  reg = PWW_MALLOC(sizeof(*reg));
  if (reg == NULL) return PWW_ENOMEM;
  reg->workers = NULL;
  reg->next_id = 1;
  for (q = 0; q < 2; q++) {
    reg->limits[q].max_messages = PWW_DEFAULT_MAX_MESSAGES;
    reg->limits[q].max_bytes = PWW_DEFAULT_MAX_BYTES;
  }
  *out = reg;
  return 0;
}

/* Takes w out of the registry and frees it, every message it still holds and
 * its pending calls (uncounted). The one teardown of a worker: destroy and
 * registry_free both end here. */
static void pww__worker_remove(pww_registry_t *reg, pww_worker_t *w) {
  HASH_DEL(reg->workers, w);
  pww__queue_clear(&w->queues[PWW_OUTBOUND]);
  pww__queue_clear(&w->queues[PWW_INBOUND]);
  pww__calls_clear(&w->calls);
  PWW_FREE(w);
}

/* Frees the registry and, only if `force`, the workers it still holds
 * (with their messages). Without force and with workers: PWW_EBUSY. */
int pww_registry_free(pww_registry_t *reg, int force) {
  pww_worker_t *w, *tmp;

  if (reg == NULL) return 0;
  if (reg->workers != NULL && !force) return PWW_EBUSY;
  HASH_ITER(hh, reg->workers, w, tmp) pww__worker_remove(reg, w);
  PWW_FREE(reg);
  return 0;
}

/* Copies *limits; workers that exist keep theirs. */
int pww_registry_set_limits(pww_registry_t *reg, int queue,
                            const pww_limits_t *limits) {
  if (reg == NULL || limits == NULL || !PWW__VALID_QUEUE(queue))
    return PWW_EINVAL;
  reg->limits[queue] = *limits;
  return 0;
}

int pww_registry_limits(const pww_registry_t *reg, int queue,
                        pww_limits_t *out) {
  if (reg == NULL || out == NULL || !PWW__VALID_QUEUE(queue))
    return PWW_EINVAL;
  *out = reg->limits[queue];
  return 0;
}

/* The registry owns the new worker. On error (PWW_ENOMEM from the worker or
 * from uthash's table, PWW_ENOSPC when ids ran out) the id is not used up. */
int pww_worker_create(pww_registry_t *reg, int kind) {
  pww_worker_t *w;

  if (reg == NULL) return PWW_EINVAL;
  if (kind != PWW_KIND_PYTHON && kind != PWW_KIND_JAVASCRIPT)
    return PWW_EINVAL;
  if (reg->next_id <= 0) return PWW_ENOSPC; /* wrapped past INT_MAX */
  w = PWW_MALLOC(sizeof(*w));
  if (w == NULL) return PWW_ENOMEM;
  memset(w, 0, sizeof(*w));
  w->id = reg->next_id;
  w->kind = kind;
  w->state = PWW_STATE_CREATED;
  pww__queue_init(&w->queues[PWW_OUTBOUND], &reg->limits[PWW_OUTBOUND]);
  pww__queue_init(&w->queues[PWW_INBOUND], &reg->limits[PWW_INBOUND]);
  pww__calls_init(&w->calls);

  pww__hash_oom = 0;
  HASH_ADD_INT(reg->workers, id, w);
  if (pww__hash_oom) {
    /* uthash rolled the insertion back: the table is as before. */
    pww__hash_oom = 0;
    PWW_FREE(w);
    return PWW_ENOMEM;
  }
  /* INT_MAX + 1 would overflow: mark the id space as exhausted instead. */
  reg->next_id = (w->id == INT32_MAX) ? -1 : w->id + 1;
  return w->id;
}

pww_worker_t *pww_worker_find(const pww_registry_t *reg, int id) {
  pww_worker_t *w = NULL;

  if (reg == NULL || id <= 0) return NULL;
  HASH_FIND_INT(reg->workers, &id, w);
  return w;
}

/* Frees the worker, every message it still holds and its pending calls
 * (uncounted: cancel them first to account for them). */
int pww_worker_destroy(pww_registry_t *reg, int id) {
  pww_worker_t *w;

  if (reg == NULL) return PWW_EINVAL;
  w = pww_worker_find(reg, id);
  if (w == NULL) return PWW_ENOENT;
  pww__worker_remove(reg, w);
  return 0;
}

int pww_worker_count(const pww_registry_t *reg) {
  if (reg == NULL) return PWW_EINVAL;
  return (int)HASH_COUNT(reg->workers);
}

pww_worker_t *pww_worker_next(const pww_registry_t *reg,
                              const pww_worker_t *prev) {
  if (reg == NULL) return NULL;
  if (prev == NULL) return reg->workers;
  return (pww_worker_t *)prev->hh.next;
}

int pww_worker_id(const pww_worker_t *w) {
  return w == NULL ? PWW_EINVAL : w->id;
}

int pww_worker_kind(const pww_worker_t *w) {
  return w == NULL ? PWW_EINVAL : w->kind;
}

int pww_worker_state(const pww_worker_t *w) {
  return w == NULL ? PWW_EINVAL : w->state;
}

/* The lifecycle as a table: allowed[from] is a bit set of `to` states. */
#define PWW__BIT(s) (1u << (s))
static const unsigned pww__allowed[PWW_STATE_COUNT] = {
  /* created  */ PWW__BIT(PWW_STATE_STARTING) | PWW__BIT(PWW_STATE_KILLED),
  /* starting */ PWW__BIT(PWW_STATE_RUNNING) | PWW__BIT(PWW_STATE_FAILED) |
                 PWW__BIT(PWW_STATE_KILLED),
  /* running  */ PWW__BIT(PWW_STATE_KILLED) | PWW__BIT(PWW_STATE_FAILED),
  /* killed   */ 0,
  /* failed   */ 0,
};

int pww_state_transition_allowed(int from, int to) {
  if (from < 0 || from >= PWW_STATE_COUNT || to < 0 || to >= PWW_STATE_COUNT)
    return 0;
  return (pww__allowed[from] & PWW__BIT(to)) != 0;
}

const char *pww_state_name(int state) {
  static const char *const names[PWW_STATE_COUNT] = {
    "created", "starting", "running", "killed", "failed"};
  if (state < 0 || state >= PWW_STATE_COUNT) return "unknown";
  return names[state];
}

/* PWW_EINVAL for a value that is not a state, PWW_ESTATE for a transition
 * the table refuses; in both cases the state is unchanged. */
int pww_worker_set_state(pww_worker_t *w, int state) {
  if (w == NULL || state < 0 || state >= PWW_STATE_COUNT) return PWW_EINVAL;
  if (!pww_state_transition_allowed(w->state, state)) return PWW_ESTATE;
  w->state = state;
  return 0;
}
