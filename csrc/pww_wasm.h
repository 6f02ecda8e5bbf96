/*
 * pww_wasm.h - prototypes of the export layer (pww_wasm.c), the ABI of
 * _core.wasm: one default registry per instance, workers by id, int32
 * values, negative results are PWW_E* codes. See csrc/WASM_API.md.
 */
#ifndef PWW_WASM_H
#define PWW_WASM_H

int pww_w_create(int kind);
int pww_w_destroy(int id);
int pww_w_count_workers(void);
int pww_w_state(int id);
int pww_w_set_state(int id, int state);
int pww_w_push(int id, int queue, int kind, const void *ptr, int len,
               double time_ms);
int pww_w_push_kept(int id, int queue, int kind, double len, double time_ms);
int pww_w_length(int id, int queue);
int pww_w_unread(int id, int queue);
int pww_w_first_unread(int id, int queue);
int pww_w_list_unread(int id, int queue, int *out, int cap);
int pww_w_held(int id, int queue);
int pww_w_list_held(int id, int queue, int *out, int cap);
int pww_w_info(int id, int queue, int index);
int pww_w_mark_opened(int id, int queue, int index);
int pww_w_release(int id, int queue, int index);
int pww_w_release_opened(int id, int queue);
int pww_w_set_limits(int id, int queue, int max_messages, int max_bytes);
int pww_w_limit(int id, int queue, int which);
int pww_w_fits(int id, int queue, double nbytes);
int pww_w_call_begin(int id, double time_ms);
int pww_w_call_end(int id, int call_id);
int pww_w_call_cancel(int id, int call_id);
int pww_w_call_cancel_all(int id);
int pww_w_call_stat(int id, int stat);
void *pww_w_malloc(int n);
void pww_w_free(void *p);
const char *pww_w_strerror(int code);
const char *pww_w_err_name(int code);

#ifndef __EMSCRIPTEN__
/* Native tests only: the static struct pww_w_info() fills (natively
 * pww_w_info returns 0 on success, a 64-bit address not fitting an int). */
const void *pww__w_info_struct(void);
/* Native tests only: free the default registry (forced). */
void pww__w_reset(void);
#endif

#endif /* PWW_WASM_H */
