/* BPF_PROG_LOAD + close of the same bytes as the TypeScript bench, N times: ns per load.
 *
 * Built twice by load.bench.ts: as an executable (`load FILE TYPE N` prints ns per load; the
 * standalone baseline) and, with -DBENCH_LIBRARY -shared, as a library whose load_loop() the bench
 * calls through koffi: the same loop run inside the node process, to tell what the process costs
 * the kernel from what the library costs. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* `iterations` loads of the `len` bytes at `insns` as a program of `type`, each closed at once:
 * ns per load, or -errno of the first failed load. */
double load_loop(const unsigned char *insns, size_t len, int type, long iterations) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < iterations; i++) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = type;
    attr.insn_cnt = len / 8;
    attr.insns = (uintptr_t)insns;
    attr.license = (uintptr_t)"GPL";
    int fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (fd < 0) return -errno;
    close(fd);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
  return ns / iterations;
}

#ifndef BENCH_LIBRARY
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 3;
  static unsigned char insns[8 * 200000];
  size_t len = fread(insns, 1, sizeof insns, f);
  fclose(f);
  double ns = load_loop(insns, len, atoi(argv[2]), atol(argv[3]));
  if (ns < 0) {
    errno = (int)-ns;
    perror("bpf");
    return 1;
  }
  printf("%.0f\n", ns);
  return 0;
}
#endif
