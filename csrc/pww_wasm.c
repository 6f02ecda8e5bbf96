/*
 * pww_wasm.c - the thin export layer of _core.wasm: one default registry per
 * instance (created on first use), workers named by id, int32 everywhere.
 * The exact ABI is documented in csrc/WASM_API.md; keep both in step.
 */
#include <stddef.h>
#include <stdlib.h>

#include "pww.h"
#include "pww_wasm.h"

/* Exported from the wasm module; natively (for the tests) plain functions. */
#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#define PWW_W_API EMSCRIPTEN_KEEPALIVE
#else
#define PWW_W_API __attribute__((visibility("default")))
#endif

/* The layout pww_w_info() promises (offsets checked below for wasm32). */
typedef struct {
  uint32_t ptr;
  uint32_t len;
  int32_t kind;
  int32_t opened;
  double time_ms;
  uint32_t reserved_[2]; /* was the index (seq); kept so no offset moves */
} pww_w_info_t;

_Static_assert(sizeof(pww_w_info_t) == 32, "info struct is 32 bytes");
_Static_assert(offsetof(pww_w_info_t, len) == 4, "len at 4");
_Static_assert(offsetof(pww_w_info_t, kind) == 8, "kind at 8");
_Static_assert(offsetof(pww_w_info_t, opened) == 12, "opened at 12");
_Static_assert(offsetof(pww_w_info_t, time_ms) == 16, "time_ms at 16");
_Static_assert(offsetof(pww_w_info_t, reserved_) == 24, "reserved at 24");

static pww_registry_t *pww__default;
static pww_w_info_t pww__info __attribute__((aligned(8)));

/* The instance's registry, created on first use; NULL only on ENOMEM. */
static pww_registry_t *pww__reg(void) {
  if (pww__default == NULL) (void)pww_registry_new(&pww__default);
  return pww__default;
}

/* The worker `id`, or NULL with *err set (ENOENT or ENOMEM). */
static pww_worker_t *pww__w(int id, int *err) {
  pww_registry_t *reg = pww__reg();
  pww_worker_t *w;

  if (reg == NULL) {
    *err = PWW_ENOMEM;
    return NULL;
  }
  w = pww_worker_find(reg, id);
  if (w == NULL) *err = PWW_ENOENT;
  return w;
}

#define PWW__WORKER_OR_RETURN(w, id)         \
  int err_ = 0;                              \
  pww_worker_t *w = pww__w((id), &err_);     \
  if (w == NULL) return err_

PWW_W_API int pww_w_create(int kind) {
  pww_registry_t *reg = pww__reg();
  return reg == NULL ? PWW_ENOMEM : pww_worker_create(reg, kind);
}

PWW_W_API int pww_w_destroy(int id) {
  pww_registry_t *reg = pww__reg();
  return reg == NULL ? PWW_ENOMEM : pww_worker_destroy(reg, id);
}

PWW_W_API int pww_w_count_workers(void) {
  return pww__default == NULL ? 0 : pww_worker_count(pww__default);
}

PWW_W_API int pww_w_state(int id) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_worker_state(w);
}

PWW_W_API int pww_w_set_state(int id, int state) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_worker_set_state(w, state);
}

/* Copies len bytes from ptr (the caller keeps its buffer). */
PWW_W_API int pww_w_push(int id, int queue, int kind, const void *ptr, int len,
                       double time_ms) {
  PWW__WORKER_OR_RETURN(w, id);
  if (len < 0) return PWW_EINVAL;
  return pww_queue_push(w, queue, kind, ptr, (size_t)len, time_ms);
}

/* Counts len bytes whose payload JS keeps (no copy; info's ptr is 0). `len` is
 * an f64 as in pww_w_fits, so that any buffer's size is checked exactly. */
PWW_W_API int pww_w_push_kept(int id, int queue, int kind, double len,
                            double time_ms) {
  PWW__WORKER_OR_RETURN(w, id);
  if (!(len >= 0) || len > (double)PWW_MAX_LEN) return PWW_EINVAL;
  return pww_queue_push_kept(w, queue, kind, (size_t)len, time_ms);
}

PWW_W_API int pww_w_length(int id, int queue) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_length(w, queue);
}

PWW_W_API int pww_w_unread(int id, int queue) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_unread(w, queue);
}

PWW_W_API int pww_w_first_unread(int id, int queue) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_first_unread(w, queue);
}

PWW_W_API int pww_w_list_unread(int id, int queue, int *out, int cap) {
  PWW__WORKER_OR_RETURN(w, id);
  if (cap < 0) return PWW_EINVAL;
  return pww_queue_list_unread(w, queue, (int32_t *)out, (size_t)cap);
}

PWW_W_API int pww_w_held(int id, int queue) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_held(w, queue);
}

PWW_W_API int pww_w_list_held(int id, int queue, int *out, int cap) {
  PWW__WORKER_OR_RETURN(w, id);
  if (cap < 0) return PWW_EINVAL;
  return pww_queue_list_held(w, queue, (int32_t *)out, (size_t)cap);
}

/* Returns the address of one static 32-byte struct, overwritten by the next
 * call: read it before calling again. */
PWW_W_API int pww_w_info(int id, int queue, int index) {
  pww_message_t m;
  int rc;
  PWW__WORKER_OR_RETURN(w, id);
  rc = pww_queue_get(w, queue, index, &m);
  if (rc < 0) return rc;
  pww__info.ptr = (uint32_t)(uintptr_t)m.data;
  pww__info.len = (uint32_t)m.len;
  pww__info.kind = m.kind;
  pww__info.opened = m.opened;
  pww__info.time_ms = m.time_ms;
  pww__info.reserved_[0] = pww__info.reserved_[1] = 0;
#ifdef __EMSCRIPTEN__
  return (int)(uintptr_t)&pww__info;
#else
  return 0; /* a 64-bit address does not fit: tests use pww__w_info_struct */
#endif
}

#ifndef __EMSCRIPTEN__
/* Native tests only: the struct pww_w_info() fills. */
const void *pww__w_info_struct(void) { return &pww__info; }

/* Native tests only: free the default registry and its workers, so the next
 * call starts from a fresh one (ids from 1 again). */
void pww__w_reset(void) {
  (void)pww_registry_free(pww__default, 1);
  pww__default = NULL;
}
#endif

PWW_W_API int pww_w_mark_opened(int id, int queue, int index) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_mark_opened(w, queue, index);
}

PWW_W_API int pww_w_release(int id, int queue, int index) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_release(w, queue, index);
}

PWW_W_API int pww_w_release_opened(int id, int queue) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_queue_release_opened(w, queue);
}

/* id 0: the default for workers created from now on. 0 = unlimited. */
PWW_W_API int pww_w_set_limits(int id, int queue, int max_messages,
                             int max_bytes) {
  pww_limits_t limits;
  pww_registry_t *reg = pww__reg();

  if (reg == NULL) return PWW_ENOMEM;
  if (max_messages < 0 || max_bytes < 0) return PWW_EINVAL;
  limits.max_messages = (size_t)max_messages;
  limits.max_bytes = (size_t)max_bytes;
  if (id == 0) return pww_registry_set_limits(reg, queue, &limits);
  {
    PWW__WORKER_OR_RETURN(w, id);
    return pww_queue_set_limits(w, queue, &limits);
  }
}

/* One limit of a queue: `which` 0 = max messages, 1 = max bytes (0 =
 * unlimited). id 0: the default for workers created from now on. Limits are
 * set through pww_w_set_limits (int), so they always fit the result. */
PWW_W_API int pww_w_limit(int id, int queue, int which) {
  pww_limits_t limits;
  pww_registry_t *reg = pww__reg();
  int rc;

  if (reg == NULL) return PWW_ENOMEM;
  if (which != 0 && which != 1) return PWW_EINVAL;
  if (id == 0) {
    rc = pww_registry_limits(reg, queue, &limits);
  } else {
    PWW__WORKER_OR_RETURN(w, id);
    rc = pww_queue_limits(w, queue, &limits);
  }
  if (rc < 0) return rc;
  return (int)(which == 0 ? limits.max_messages : limits.max_bytes);
}

/* 0 if a push of `nbytes` to the queue would be accepted now, else the code
 * that push would return. `nbytes` is a double so that JS can ask about any
 * buffer, even one over 4 GiB, before copying it into this memory. */
PWW_W_API int pww_w_fits(int id, int queue, double nbytes) {
  PWW__WORKER_OR_RETURN(w, id);
  if (!(nbytes >= 0) || nbytes > (double)PWW_MAX_LEN) return PWW_EINVAL;
  return pww_queue_fits(w, queue, (size_t)nbytes);
}

/* ---- calls: the pending-call table of worker `id` (see pww.h) ---- */

PWW_W_API int pww_w_call_begin(int id, double time_ms) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_call_begin(w, time_ms);
}

PWW_W_API int pww_w_call_end(int id, int call_id) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_call_end(w, call_id);
}

PWW_W_API int pww_w_call_cancel(int id, int call_id) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_call_cancel(w, call_id);
}

PWW_W_API int pww_w_call_cancel_all(int id) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_call_cancel_all(w);
}

PWW_W_API int pww_w_call_stat(int id, int stat) {
  PWW__WORKER_OR_RETURN(w, id);
  return pww_call_stat(w, stat);
}

/* Scratch buffers for JS; NULL (0) for n < 0 or out of memory. */
PWW_W_API void *pww_w_malloc(int n) {
  return n < 0 ? NULL : malloc(n == 0 ? 1 : (size_t)n);
}

PWW_W_API void pww_w_free(void *p) { free(p); }

PWW_W_API const char *pww_w_strerror(int code) { return pww_strerror(code); }

PWW_W_API const char *pww_w_err_name(int code) { return pww_err_name(code); }

#ifdef __EMSCRIPTEN__
void emscripten_notify_memory_growth(size_t memory_index);

/* Called by sbrk when memory grows; defined here so the module imports
 * nothing. JS re-reads memory.buffer after every call that may allocate. */
void emscripten_notify_memory_growth(size_t memory_index) {
  (void)memory_index;
}
#endif
