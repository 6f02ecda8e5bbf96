/*
 * pww_error.c - the error table's strings and the allocator hook.
 */
#include <stdlib.h>

#include "pww_internal.h"

/* Static strings, never NULL; unknown codes get a fixed answer. */
const char *pww_strerror(int code) {
  switch (code) {
#define PWW__ERR_TEXT(name, value, text) case PWW_##name: return text;
    PWW_ERRNO_MAP(PWW__ERR_TEXT)
#undef PWW__ERR_TEXT
    case PWW_OK: return "success";
    default: return "unknown error";
  }
}

const char *pww_err_name(int code) {
  switch (code) {
#define PWW__ERR_NAME(name, value, text) case PWW_##name: return #name;
    PWW_ERRNO_MAP(PWW__ERR_NAME)
#undef PWW__ERR_NAME
    case PWW_OK: return "OK";
    default: return "UNKNOWN";
  }
}

static pww_malloc_fn pww__malloc_fn = malloc;
static pww_free_fn pww__free_fn = free;
int pww__hash_oom = 0;

/* Replace the allocator pair; NULL restores the C library's. Memory must be
 * freed by the pair that allocated it: the caller's concern. */
void pww_set_allocator(pww_malloc_fn malloc_fn, pww_free_fn free_fn) {
  pww__malloc_fn = malloc_fn ? malloc_fn : malloc;
  pww__free_fn = free_fn ? free_fn : free;
}

void *pww__malloc(size_t size) { return pww__malloc_fn(size); }

void pww__free(void *ptr) {
  if (ptr != NULL) pww__free_fn(ptr);
}
