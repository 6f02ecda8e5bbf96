/*
 * pww_internal.h - private structures of the core, shared by its .c files
 * and by the white-box tests. Not installed, not part of the API.
 */
#ifndef PWW_INTERNAL_H
#define PWW_INTERNAL_H

#include "pww.h"

/* All allocation goes through these two, so tests can inject failures. */
void *pww__malloc(size_t size);
void pww__free(void *ptr);
#define PWW_MALLOC(size) pww__malloc(size)
#define PWW_FREE(ptr) pww__free(ptr)

/* uthash: allocation through our pair, out of memory reported, never exit().
 * pww__hash_oom is set by uthash and cleared by the caller. */
extern int pww__hash_oom;
#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) PWW_MALLOC(sz)
#define uthash_free(ptr, sz) PWW_FREE(ptr)
#define uthash_nonfatal_oom(obj) do { pww__hash_oom = 1; } while (0)
#define uthash_fatal(msg) do { pww__hash_oom = 1; } while (0)
#include <uthash.h>

/*
 * One message: header and payload in a single allocation, so a message costs
 * one malloc and 16 bytes of header (+ one slot pointer in its queue).
 */
typedef struct {
  double time_ms;
  uint32_t len;
  uint8_t kind;
  uint8_t opened;
  uint8_t kept; /* 1: no payload here, the caller keeps it (pww_queue_push_kept) */
  uint8_t pad_;
  unsigned char data[];
} pww__msg_t;

/*
 * One queue: a ring of message pointers covering indices [base, length).
 * Index i lives in slots[(head + (i - base)) & (cap - 1)]; NULL = released.
 * Indices below base are all released; base only moves forward, trimming
 * released messages at the front, so index i is stable forever. A message
 * kept while later ones are released leaves NULL slots (8 bytes each) until
 * it is released too.
 */
typedef struct {
  pww__msg_t **slots;
  uint32_t cap; /* 0 or a power of two; an empty ring of <= 32 is kept */
  uint32_t head;
  int32_t base;
  int32_t length;
  int32_t cursor; /* every index below it is opened or released */
  int32_t unread;
  int32_t live;
  size_t live_bytes;
  pww_limits_t limits;
} pww__queue_t;

/* One pending call: one allocation, in its worker's uthash table (which
 * keeps insertion order, so listing is oldest first). */
typedef struct pww__call {
  int id;
  double time_ms;
  UT_hash_handle hh;
} pww__call_t;

/* A worker's calls: the table of pending ones and counters. */
typedef struct {
  pww__call_t *table; /* uthash head */
  int32_t last_id;    /* ids 1..last_id were given */
  int32_t ended;
  int32_t cancelled;
  int32_t late;       /* saturates at INT32_MAX */
  size_t max_calls;
} pww__calls_t;

struct pww_worker {
  int id;
  int kind;
  int state;
  pww__queue_t queues[2];
  pww__calls_t calls;
  UT_hash_handle hh;
};

struct pww_registry {
  pww_worker_t *workers; /* uthash head */
  int next_id;
  pww_limits_t limits[2];
};

/* pww_queue.c */
void pww__queue_init(pww__queue_t *q, const pww_limits_t *limits);
void pww__queue_clear(pww__queue_t *q);

/* pww_call.c */
void pww__calls_init(pww__calls_t *c);
void pww__calls_clear(pww__calls_t *c);

#define PWW__VALID_QUEUE(q) ((q) == PWW_OUTBOUND || (q) == PWW_INBOUND)

#endif /* PWW_INTERNAL_H */
