// C baseline for bench/map-ops.bench.ts: the same BPF_MAP_LOOKUP_ELEM and
// BPF_MAP_UPDATE_ELEM loops through the raw bpf(2) syscall, as libbpf issues them.
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned size) { return syscall(__NR_bpf, cmd, attr, size); }

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = 1024;
  int fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof a);
  if (fd < 0) { perror("map create"); return 1; }
  uint32_t key = 7;
  uint64_t value = 42;
  memset(&a, 0, sizeof a);
  a.map_fd = fd;
  a.key = (uintptr_t)&key;
  a.value = (uintptr_t)&value;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    value = i;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) < 0) { perror("update"); return 1; }
  }
  double t1 = now_ns();
  for (long i = 0; i < n; i++) {
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) < 0) { perror("lookup"); return 1; }
  }
  double t2 = now_ns();
  printf("{\"update\": %.1f, \"lookup\": %.1f}\n", (t1 - t0) / n, (t2 - t1) / n);
  return 0;
}
