/* The least a promote into an empty parent must do with per-farm pools:
 * one new directory per package and one hard link into it, nothing else
 * (no reading, no hashing, no database, no indexes).
 *
 *   cc -O2 -o link_floor bench/link_floor.c && ./link_floor DIR 10000
 *
 * Prints the seconds the N mkdir + link pairs took. DIR must not exist. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: %s DIR N\n", argv[0]);
    return 2;
  }
  const char* dir = argv[1];
  const int n = atoi(argv[2]);
  char path[4096], target[4096];
  snprintf(path, sizeof path, "%s", dir);
  if (mkdir(path, 0755) != 0) {
    perror(path);
    return 1;
  }
  snprintf(target, sizeof target, "%s/object", dir);
  FILE* f = fopen(target, "w");
  if (!f || fputs("x", f) == EOF || fclose(f) != 0) {
    perror(target);
    return 1;
  }
  snprintf(path, sizeof path, "%s/pool", dir);
  if (mkdir(path, 0755) != 0) {
    perror(path);
    return 1;
  }
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (int i = 0; i < n; ++i) {
    snprintf(path, sizeof path, "%s/pool/p%06d", dir, i);
    if (mkdir(path, 0755) != 0) {
      perror(path);
      return 1;
    }
    snprintf(path, sizeof path, "%s/pool/p%06d/p%06d_1.0_amd64.deb", dir, i, i);
    if (link(target, path) != 0) {
      perror(path);
      return 1;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("%.3f\n", (double)(end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
