/*
 * test.h - a minimal test harness in the manner of libuv's test/task.h:
 * assertions print file, line, both expressions and both values, then abort.
 *
 *   TEST(name) { ... }                        defines a test
 *   TEST_MAIN(RUN(a) RUN(b))                  runs them, prints a summary
 */
#ifndef PWW_TEST_H
#define PWW_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long test_checks_;
static int test_count_;

#define TEST_FAIL_(fmt, ...)                                                  \
  do {                                                                        \
    fprintf(stderr, "%s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__);     \
    fflush(stderr);                                                           \
    abort();                                                                  \
  } while (0)

#define ASSERT_CMP_(a, op, b, type, fmt)                                      \
  do {                                                                        \
    type a_ = (type)(a);                                                      \
    type b_ = (type)(b);                                                      \
    test_checks_++;                                                           \
    if (!(a_ op b_))                                                          \
      TEST_FAIL_("assertion failed: %s " #op " %s (" fmt " " #op " " fmt ")", \
                 #a, #b, a_, b_);                                             \
  } while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_(a, ==, b, long long, "%lld")
#define ASSERT_NE(a, b) ASSERT_CMP_(a, !=, b, long long, "%lld")
#define ASSERT_LT(a, b) ASSERT_CMP_(a, <, b, long long, "%lld")
#define ASSERT_LE(a, b) ASSERT_CMP_(a, <=, b, long long, "%lld")
#define ASSERT_GT(a, b) ASSERT_CMP_(a, >, b, long long, "%lld")
#define ASSERT_GE(a, b) ASSERT_CMP_(a, >=, b, long long, "%lld")
#define ASSERT_UEQ(a, b) \
  ASSERT_CMP_(a, ==, b, unsigned long long, "%llu")
#define ASSERT_DBL_EQ(a, b) ASSERT_CMP_(a, ==, b, double, "%.17g")
#define ASSERT_PTR_EQ(a, b) ASSERT_CMP_(a, ==, b, const void *, "%p")
#define ASSERT_PTR_NE(a, b) ASSERT_CMP_(a, !=, b, const void *, "%p")
#define ASSERT_NULL(a) ASSERT_PTR_EQ(a, NULL)
#define ASSERT_NOT_NULL(a) ASSERT_PTR_NE(a, NULL)
#define ASSERT_TRUE(a) ASSERT_NE(!!(a), 0)
#define ASSERT_FALSE(a) ASSERT_EQ(!!(a), 0)

#define ASSERT_STR_EQ(a, b)                                                   \
  do {                                                                        \
    const char *a_ = (a);                                                     \
    const char *b_ = (b);                                                     \
    test_checks_++;                                                           \
    if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                      \
      TEST_FAIL_("assertion failed: %s == %s (\"%s\" == \"%s\")", #a, #b,     \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                     \
  } while (0)

#define ASSERT_MEM_EQ(a, b, n)                                                \
  do {                                                                        \
    test_checks_++;                                                           \
    if (memcmp((a), (b), (n)) != 0)                                           \
      TEST_FAIL_("assertion failed: memcmp(%s, %s, %s) == 0", #a, #b, #n);    \
  } while (0)

/* An error-code assertion that names both codes. */
#define ASSERT_ERR(a, code)                                                   \
  do {                                                                        \
    int a_ = (a);                                                             \
    test_checks_++;                                                           \
    if (a_ != (code))                                                         \
      TEST_FAIL_("assertion failed: %s == %s (%d %s, expected %d %s)", #a,    \
                 #code, a_, pww_err_name(a_), (int)(code),                    \
                 pww_err_name(code));                                         \
  } while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                             \
  do {                                                                        \
    long before_ = test_checks_;                                              \
    name();                                                                   \
    test_count_++;                                                            \
    printf("  ok %-40s %8ld checks\n", #name, test_checks_ - before_);        \
    fflush(stdout);                                                           \
  } while (0)

#define TEST_MAIN(body)                                                       \
  int main(void) {                                                            \
    body;                                                                     \
    printf("%s: %d tests, %ld checks, all ok\n", __FILE__, test_count_,       \
           test_checks_);                                                     \
    return 0;                                                                 \
  }

/* A small deterministic PRNG (xorshift64*), so runs are repeatable. */
static unsigned long long test_rng_ = 0x9E3779B97F4A7C15ull;
static inline unsigned long long test_rand(void) {
  test_rng_ ^= test_rng_ >> 12;
  test_rng_ ^= test_rng_ << 25;
  test_rng_ ^= test_rng_ >> 27;
  return test_rng_ * 2685821657736338717ull;
}
static inline unsigned test_below(unsigned n) {
  return n == 0 ? 0 : (unsigned)(test_rand() % n);
}

#endif /* PWW_TEST_H */
