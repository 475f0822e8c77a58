/* version.c - the version of the library that is actually linked. */
#include <x7/x7_version.h>

const char *x7_version_str(void) { return X7_VERSION_STR; }
