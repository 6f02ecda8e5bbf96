/*
 * pww.h - the pywebworker core: a registry of workers, each with an outbound
 * (host -> worker) and an inbound (worker -> host) queue of messages with read
 * tracking and bounded memory.
 *
 * The core has no I/O and no clock; it knows nothing of JavaScript. Every
 * function returns an int: >= 0 on success (0 or a count/index/id), a negative
 * PWW_E* code on error. Unless a comment says otherwise, on error nothing is
 * changed. Not thread-safe: one registry is used by one thread at a time.
 */
#ifndef PWW_H
#define PWW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- export macro ------------------------------------------------------ */

/* PWW_STATIC: the core is linked into a bigger module (the wasm build, where
 * only the pww_w_* layer of pww_wasm.c is exported) and exports nothing. */
#if defined(PWW_STATIC)
#define PWW_API
#elif defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#define PWW_API EMSCRIPTEN_KEEPALIVE
#elif defined(__GNUC__)
#define PWW_API __attribute__((visibility("default")))
#else
#define PWW_API
#endif

/* ---- errors -------------------------------------------------------------- */

/*
 * One table for every error. Codes start at -2 so that -1 never means an
 * error (and no successful result is ever negative either). The values are
 * part of the wasm ABI: never renumber, only append.
 */
#define PWW_ERRNO_MAP(XX)                                                     \
  XX(EINVAL,    -2,  "invalid argument")                                      \
  XX(ENOMEM,    -3,  "out of memory")                                         \
  XX(ENOENT,    -4,  "no such worker")                                        \
  XX(ESTATE,    -5,  "operation not allowed in the worker's state")           \
  XX(EFULL,     -6,  "queue full")                                            \
  XX(ERANGE,    -7,  "no message at this index")                              \
  XX(ERELEASED, -8,  "message already released")                              \
  XX(EBUSY,     -9,  "registry still has workers")                            \
  XX(ENOSPC,    -10, "no ids or indices left")                             \
  XX(ENOCALL,   -11, "no such pending call")

typedef enum {
#define PWW__ERR_ENUM(name, code, text) PWW_##name = (code),
  PWW_ERRNO_MAP(PWW__ERR_ENUM)
#undef PWW__ERR_ENUM
  PWW_OK = 0
} pww_errno_t;

/* Description of an error code ("unknown error" for anything else; 0 gives
 * "success"). Static storage, never NULL. */
PWW_API const char *pww_strerror(int code);
/* Name of an error code without prefix ("EFULL"), "UNKNOWN" or "OK". */
PWW_API const char *pww_err_name(int code);

/* ---- constants ----------------------------------------------------------- */

typedef enum {
  PWW_KIND_PYTHON = 1,
  PWW_KIND_JAVASCRIPT = 2
} pww_worker_kind_t;

/*
 * Lifecycle. Allowed transitions, everything else is PWW_ESTATE:
 *   created  -> starting | killed
 *   starting -> running | failed | killed
 *   running  -> killed | failed
 * killed and failed are final.
 */
typedef enum {
  PWW_STATE_CREATED = 0,
  PWW_STATE_STARTING = 1,
  PWW_STATE_RUNNING = 2,
  PWW_STATE_KILLED = 3,
  PWW_STATE_FAILED = 4
} pww_state_t;
#define PWW_STATE_COUNT 5

/* A worker's two queues. Inside a PyWorker, its own core holds one worker entry
 * that stands for the host (the parent): there INBOUND holds the messages from
 * the host, read by `parent.get_messages()`, and OUTBOUND is unused (the
 * PyWorker posts to the host directly). */
typedef enum {
  PWW_OUTBOUND = 0, /* host -> worker */
  PWW_INBOUND = 1   /* worker -> host; in a PyWorker's own core: host -> it */
} pww_queue_id_t;

/* Message kinds: these four; anything else is PWW_EINVAL. */
typedef enum {
  PWW_MSG_TEXT = 1,
  PWW_MSG_BYTES = 2,
  PWW_MSG_JSON = 3,
  PWW_MSG_ERROR = 4
} pww_msg_kind_t;

/* Defaults for a new registry's per-queue limits. 0 in a limit = unlimited. */
#define PWW_DEFAULT_MAX_MESSAGES 1000000u
#define PWW_DEFAULT_MAX_BYTES (256u * 1024u * 1024u)
/* Default limit of pending calls per worker. 0 in a limit = unlimited. */
#define PWW_DEFAULT_MAX_CALLS 1000000u
/* Largest payload and largest index: both fit an int32 for the wasm ABI. */
#define PWW_MAX_LEN INT32_MAX
#define PWW_MAX_INDEX INT32_MAX

/* ---- types --------------------------------------------------------------- */

typedef struct pww_registry pww_registry_t; /* opaque */
typedef struct pww_worker pww_worker_t;     /* opaque, owned by its registry */

/* Limits of one queue: live (not released) messages and their payload bytes.
 * 0 = unlimited. */
typedef struct {
  size_t max_messages;
  size_t max_bytes;
} pww_limits_t;

/* A view of one message. `data` points into memory the queue owns: valid
 * until the message is released or its worker destroyed; NULL for a message
 * whose payload its pusher keeps (pww_queue_push_kept). */
typedef struct {
  const void *data;
  size_t len;
  int32_t kind;
  int32_t opened; /* 0 or 1 */
  double time_ms;
} pww_message_t;

/* Counters of one queue, all O(1) except first_unread (amortised O(1)). */
typedef struct {
  int32_t length;       /* messages ever pushed == next index */
  int32_t first_unread; /* oldest unread index, == length if none */
  int32_t unread;       /* pushed, neither opened nor released */
  int32_t live;         /* pushed and not released */
  size_t live_bytes;    /* payload bytes of the live messages */
} pww_queue_stats_t;

/* Counters of a worker's call table (pww_call_stat). All O(1). */
typedef enum {
  PWW_CALL_PENDING = 0,   /* begun, neither ended nor cancelled */
  PWW_CALL_BEGUN = 1,     /* ever begun (== the last id given) */
  PWW_CALL_ENDED = 2,     /* ended by their reply */
  PWW_CALL_CANCELLED = 3, /* cancelled: timed out, or the worker stopped */
  PWW_CALL_LATE = 4       /* replies that found no pending call: dropped */
} pww_call_stat_t;
#define PWW_CALL_STAT_COUNT 5

/* ---- allocator ----------------------------------------------------------- */

/*
 * Every allocation of the core (uthash's included) goes through this pair.
 * Pass NULL, NULL to restore malloc/free. Process-wide: set it before any
 * registry exists, or free everything with the same pair that allocated it.
 */
typedef void *(*pww_malloc_fn)(size_t size);
typedef void (*pww_free_fn)(void *ptr);
PWW_API void pww_set_allocator(pww_malloc_fn malloc_fn, pww_free_fn free_fn);

/* ---- registry ------------------------------------------------------------ */

/* Create an empty registry with the default limits into *out.
 * The caller owns it and frees it with pww_registry_free(). */
PWW_API int pww_registry_new(pww_registry_t **out);
/* Free the registry. With workers left: PWW_EBUSY and nothing changed unless
 * `force`, which destroys them (and their messages) first. NULL is a no-op. */
PWW_API int pww_registry_free(pww_registry_t *reg, int force);
/* Default limits of `queue` for workers created from now on. */
PWW_API int pww_registry_set_limits(pww_registry_t *reg, int queue,
                                    const pww_limits_t *limits);
PWW_API int pww_registry_limits(const pww_registry_t *reg, int queue,
                                pww_limits_t *out);

/* ---- workers ------------------------------------------------------------- */

/* Create a worker of `kind` in state created with the registry's default
 * limits. Returns its id (> 0, never reused in this registry). */
PWW_API int pww_worker_create(pww_registry_t *reg, int kind);
/* Find a worker by id: NULL if there is none. The pointer stays valid until
 * the worker is destroyed. */
PWW_API pww_worker_t *pww_worker_find(const pww_registry_t *reg, int id);
/* Destroy a worker, whatever its state, and free all its messages and
 * pending calls. */
PWW_API int pww_worker_destroy(pww_registry_t *reg, int id);
PWW_API int pww_worker_count(const pww_registry_t *reg);
/* Iterate in creation order: pww_worker_next(reg, NULL) gives the first,
 * NULL ends. Fetch the next one before destroying the current. */
PWW_API pww_worker_t *pww_worker_next(const pww_registry_t *reg,
                                      const pww_worker_t *prev);

PWW_API int pww_worker_id(const pww_worker_t *w);
PWW_API int pww_worker_kind(const pww_worker_t *w);
PWW_API int pww_worker_state(const pww_worker_t *w);
/* Change state; PWW_ESTATE for a transition not in the table above. */
PWW_API int pww_worker_set_state(pww_worker_t *w, int state);
/* 1 if from -> to is allowed, 0 if not (or if either is not a state). */
PWW_API int pww_state_transition_allowed(int from, int to);
/* "created", "starting", ... or "unknown". */
PWW_API const char *pww_state_name(int state);

/* ---- queues -------------------------------------------------------------- */

/*
 * Index i of a queue names the i-th message ever pushed to it (0, 1, 2...)
 * for the worker's whole life: releasing a message never moves another.
 * An index never pushed gives PWW_ERANGE, a released one PWW_ERELEASED.
 */

/* Limits of this worker's queue. Lower than current use is allowed: pushes
 * fail with PWW_EFULL until enough is released. */
PWW_API int pww_queue_set_limits(pww_worker_t *w, int queue,
                                 const pww_limits_t *limits);
PWW_API int pww_queue_limits(const pww_worker_t *w, int queue,
                             pww_limits_t *out);

/*
 * Copy `len` bytes from `data` into a new message at the end of `queue`.
 * Returns its index. Errors: PWW_EINVAL (bad kind, len > PWW_MAX_LEN, NULL
 * data with len > 0), PWW_ESTATE (outbound push to a killed or failed
 * worker), PWW_EFULL (limits), PWW_ENOSPC (PWW_MAX_INDEX reached),
 * PWW_ENOMEM. The caller keeps `data`.
 */
PWW_API int pww_queue_push(pww_worker_t *w, int queue, int kind,
                           const void *data, size_t len, double time_ms);
/*
 * As pww_queue_push, for a payload the caller keeps outside the queue (the
 * JS glue keeps a large received ArrayBuffer as it came): the message counts
 * `len` bytes against the limits and in live_bytes, and holds no copy; its
 * pww_message_t.data is NULL. The queue still owns its index, order and read
 * flag; the caller drops its payload once the message is released. Same
 * errors as pww_queue_push (no EINVAL for the missing data).
 */
PWW_API int pww_queue_push_kept(pww_worker_t *w, int queue, int kind,
                                size_t len, double time_ms);
/*
 * 0 if a message of `len` bytes would be accepted by pww_queue_push now (the
 * same checks, except kind and data), else the error that push would return:
 * PWW_EINVAL, PWW_ESTATE, PWW_EFULL, PWW_ENOSPC. Changes nothing.
 */
PWW_API int pww_queue_fits(pww_worker_t *w, int queue, size_t len);
/* Messages ever pushed (== the next index). */
PWW_API int pww_queue_length(const pww_worker_t *w, int queue);
/* Messages neither opened nor released. O(1). */
PWW_API int pww_queue_unread(const pww_worker_t *w, int queue);
/* Oldest unread index, or pww_queue_length() if none. Amortised O(1). */
PWW_API int pww_queue_first_unread(pww_worker_t *w, int queue);
/* Write up to `cap` unread indices, oldest first, to out; return how many. */
PWW_API int pww_queue_list_unread(pww_worker_t *w, int queue, int32_t *out,
                                  size_t cap);
/* Messages held: pushed and not released, opened or not. O(1). */
PWW_API int pww_queue_held(const pww_worker_t *w, int queue);
/* Write up to `cap` held indices, oldest first, to out; return how many.
 * O(span): walks the ring from the oldest held message to the newest. */
PWW_API int pww_queue_list_held(const pww_worker_t *w, int queue, int32_t *out,
                                size_t cap);
/* Describe message `index` into *out (does not open it). O(1). */
PWW_API int pww_queue_get(const pww_worker_t *w, int queue, int index,
                          pww_message_t *out);
/* Mark message `index` opened (idempotent). */
PWW_API int pww_queue_mark_opened(pww_worker_t *w, int queue, int index);
/* Free message `index`, opened or not (an unopened one stops counting as
 * unread: that is how the outbound drain consumes what it delivered). */
PWW_API int pww_queue_release(pww_worker_t *w, int queue, int index);
/* Free every opened message of the queue; returns how many. */
PWW_API int pww_queue_release_opened(pww_worker_t *w, int queue);
PWW_API int pww_queue_stats(pww_worker_t *w, int queue,
                            pww_queue_stats_t *out);

/* ---- calls --------------------------------------------------------------- */

/*
 * Each worker holds the table of its pending calls: requests sent whose reply
 * has not come back. Call ids are per worker, 1, 2, 3..., never reused, so a
 * reply that comes after its call was cancelled (a timeout) is recognised as
 * late and dropped instead of being taken for another call's reply. The core
 * stores ids and start times only; the layers above keep what to resume.
 */

/* Begin a call: returns its id (> 0). Allowed in every state but killed and
 * failed (PWW_ESTATE): a call made before the worker is running waits for it.
 * Errors: PWW_EFULL (limit of pending calls), PWW_ENOSPC (ids ran out),
 * PWW_ENOMEM. On error no id is used up. */
PWW_API int pww_call_begin(pww_worker_t *w, double time_ms);
/* The reply to `call_id` came: remove it from the table. PWW_ENOCALL if it is
 * not pending (it was ended or cancelled: a late reply, counted as
 * PWW_CALL_LATE); PWW_EINVAL for an id never given. */
PWW_API int pww_call_end(pww_worker_t *w, int call_id);
/* Give up `call_id` (a timeout): remove it without a reply. PWW_ENOCALL if
 * it is not pending (not counted as late), PWW_EINVAL for an id never given. */
PWW_API int pww_call_cancel(pww_worker_t *w, int call_id);
/* Cancel every pending call (the worker was killed or failed); returns how
 * many there were. Frees the table. */
PWW_API int pww_call_cancel_all(pww_worker_t *w);
/* Pending calls. O(1). */
PWW_API int pww_call_pending(const pww_worker_t *w);
/* Write up to `cap` pending call ids, oldest first, to out; return how many. */
PWW_API int pww_call_list(const pww_worker_t *w, int32_t *out, size_t cap);
/* The time_ms given to pww_call_begin for a pending call, into *out. */
PWW_API int pww_call_time(const pww_worker_t *w, int call_id, double *out);
/* One counter (pww_call_stat_t); PWW_EINVAL for another value. */
PWW_API int pww_call_stat(const pww_worker_t *w, int stat);
/* Limit of pending calls (0 = unlimited). Lower than current use is allowed:
 * begins fail with PWW_EFULL until enough calls end. */
PWW_API int pww_call_set_limit(pww_worker_t *w, size_t max_calls);

#ifdef __cplusplus
}
#endif
#endif /* PWW_H */
