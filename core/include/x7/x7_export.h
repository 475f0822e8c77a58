/*
 * x7_export.h - symbol visibility for the public API.
 *
 * The library is built with -fvisibility=hidden; only declarations marked
 * X7_API are exported, and a test checks that every exported symbol is
 * x7_[a-z]*.  X7_STATIC is defined by users of the static library on
 * platforms where that matters (it is harmless on ELF).
 */
#ifndef X7_EXPORT_H
#define X7_EXPORT_H

#if defined(X7_BUILDING_LIBRARY) && defined(X7_USING_LIBRARY)
#error "define at most one of X7_BUILDING_LIBRARY and X7_USING_LIBRARY"
#endif

#if defined(_WIN32) && !defined(X7_STATIC)
#  ifdef X7_BUILDING_LIBRARY
#    define X7_API __declspec(dllexport)
#  else
#    define X7_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) || defined(__clang__)
#  define X7_API __attribute__((visibility("default")))
#else
#  define X7_API
#endif

#endif /* X7_EXPORT_H */
