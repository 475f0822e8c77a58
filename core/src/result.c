/* result.c - names and messages of x7_result, generated from one list. */
#include <x7/x7_result.h>

const char *x7_strerror(x7_result r) {
  switch (r) {
#define X7__RESULT_MSG(name, value, msg) \
  case name:                             \
    return msg;
    X7_RESULT_MAP(X7__RESULT_MSG)
#undef X7__RESULT_MSG
  case X7_RESULT_LAST:
    break;
  }
  return "unknown result";
}

const char *x7_errname(x7_result r) {
  switch (r) {
#define X7__RESULT_NAME(name, value, msg) \
  case name:                              \
    return #name;
    X7_RESULT_MAP(X7__RESULT_NAME)
#undef X7__RESULT_NAME
  case X7_RESULT_LAST:
    break;
  }
  return "X7_UNKNOWN";
}

int x7_result_is_fatal(x7_result r) { return r >= 200 && r < X7_RESULT_LAST; }
