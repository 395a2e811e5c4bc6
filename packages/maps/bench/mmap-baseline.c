// C baseline for bench/array-mmap.bench.ts: the u64 array map pinned at PIN (BPF_F_MMAPABLE,
// ENTRIES elements, a power of 2), NSYS system calls and NMEM mapped accesses each, ns per
// operation, printed as JSON:
//   lookup       BPF_MAP_LOOKUP_ELEM through the raw bpf(2) syscall, as libbpf issues it
//   update       BPF_MAP_UPDATE_ELEM the same way
//   mmapRead     a volatile load of the element through a shared mapping of the map
//   mmapWrite    a volatile store the same way
// Usage: mmap-baseline PIN ENTRIES NSYS NMEM
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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
  if (argc != 5) return 2;
  unsigned entries = (unsigned)atol(argv[2]);
  long n = atol(argv[3]), m = atol(argv[4]);
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.pathname = (uintptr_t)argv[1];
  int fd = sys_bpf(BPF_OBJ_GET, &a, sizeof a);
  if (fd < 0) { perror("obj get"); return 1; }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t len = ((size_t)entries * 8 + page - 1) / page * page;
  volatile uint64_t *values = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (values == MAP_FAILED) { perror("mmap"); return 1; }
  uint32_t key = 0;
  uint64_t value = 0, sum = 0;
  memset(&a, 0, sizeof a);
  a.map_fd = fd;
  a.key = (uintptr_t)&key;
  a.value = (uintptr_t)&value;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    key = i & (entries - 1);
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) < 0) { perror("lookup"); return 1; }
    sum += value;
  }
  double t1 = now_ns();
  for (long i = 0; i < n; i++) {
    key = i & (entries - 1);
    value = i;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, 32) < 0) { perror("update"); return 1; }
  }
  double t2 = now_ns();
  for (long i = 0; i < m; i++) sum += values[i & (entries - 1)];
  double t3 = now_ns();
  for (long i = 0; i < m; i++) values[i & (entries - 1)] = i;
  double t4 = now_ns();
  printf("{\"lookup\": %.2f, \"update\": %.2f, \"mmapRead\": %.3f, \"mmapWrite\": %.3f, \"sum\": %llu}\n",
         (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / m, (t4 - t3) / m, (unsigned long long)sum);
  munmap((void *)values, len);
  close(fd);
  return 0;
}
