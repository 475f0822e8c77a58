/*
 * standalone_main.c - replays fuzz inputs through LLVMFuzzerTestOneInput
 * without libFuzzer, so every ordinary build (gcc included) re-runs the
 * corpora as regression tests under ctest.
 *
 *   fuzz_<target> [-timeout=SECONDS] [-other=flags] PATH...
 *
 * Each PATH is a file or a directory; directories are walked recursively
 * in sorted order, skipping names that start with '.'.  Every input is
 * given to the target in its own exact-size heap buffer (so ASan catches
 * a one-byte over-read, as under libFuzzer).  Arguments starting with '-'
 * are libFuzzer flags: -timeout=N sets the per-input limit (default 10 s),
 * the rest are ignored, so ctest can use one command line for both kinds
 * of binary.
 *
 * Exit status: 0 when at least one input ran and none crashed; 1 for no
 * inputs at all (a missing or empty corpus is a broken test, not a pass),
 * an unreadable path, or an input over the time limit.  A target that
 * finds a bug aborts, which fails the test by itself.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input being run, for the timeout message (written from a signal
 * handler, so it is a static buffer and write(2)). */
static char current[4096];

static void on_alarm(int sig) {
  static const char msg[] = "standalone_main: timeout on input ";
  (void)sig;
  (void)!write(2, msg, sizeof msg - 1);
  (void)!write(2, current, strlen(current));
  (void)!write(2, "\n", 1);
  _exit(1);
}

static int run_file(const char *path, unsigned timeout, size_t *pcount) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long size;
  if (!f) {
    fprintf(stderr, "standalone_main: cannot open %s\n", path);
    return -1;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "standalone_main: cannot size %s\n", path);
    fclose(f);
    return -1;
  }
  /* Exactly `size` bytes: an over-read must hit the redzone. */
  buf = malloc(size ? (size_t)size : 1);
  if (!buf || (size && fread(buf, 1, (size_t)size, f) != (size_t)size)) {
    fprintf(stderr, "standalone_main: cannot read %s\n", path);
    free(buf);
    fclose(f);
    return -1;
  }
  fclose(f);
  snprintf(current, sizeof current, "%s", path);
  alarm(timeout);
  LLVMFuzzerTestOneInput(buf, (size_t)size);
  alarm(0);
  free(buf);
  (*pcount)++;
  return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b) {
  return strcmp((*a)->d_name, (*b)->d_name);
}

static int run_path(const char *path, unsigned timeout, size_t *pcount) {
  struct dirent **names;
  struct stat st;
  int n, rc = 0;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "standalone_main: no such file or directory: %s\n", path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) return run_file(path, timeout, pcount);
  n = scandir(path, &names, NULL, by_name);
  if (n < 0) {
    fprintf(stderr, "standalone_main: cannot list %s\n", path);
    return -1;
  }
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    char *child;
    size_t len;
    if (name[0] != '.' && rc == 0) {
      len = strlen(path) + 1 + strlen(name) + 1;
      child = malloc(len);
      if (!child) {
        rc = -1;
      } else {
        snprintf(child, len, "%s/%s", path, name);
        rc = run_path(child, timeout, pcount);
        free(child);
      }
    }
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char **argv) {
  struct sigaction sa;
  unsigned timeout = 10;
  size_t count = 0;
  int paths = 0;

  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);

  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-') {
      if (strncmp(argv[i], "-timeout=", 9) == 0)
        timeout = (unsigned)strtoul(argv[i] + 9, NULL, 10);
      continue;
    }
    paths++;
    if (run_path(argv[i], timeout, &count) != 0) return 1;
  }
  if (count == 0) {
    fprintf(stderr, "standalone_main: no inputs (%d path%s given)\n", paths,
            paths == 1 ? "" : "s");
    return 1;
  }
  printf("standalone_main: %zu inputs replayed, no findings\n", count);
  return 0;
}
