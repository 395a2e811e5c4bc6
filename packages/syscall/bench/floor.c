// C side of the koffi call floor (bench/koffi-floor.ts is the koffi side): the same system calls
// koffi's floor makes, from C, ns per call, printed as JSON.
//   floor getpid N     syscall(SYS_getpid): the cheapest system call, the FFI's own cost
//   floor progload N    BPF_PROG_LOAD + close of a 10-instruction XDP program (r0 = i & 0xff …, exit)
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  long n = atol(argv[2]);
  if (strcmp(argv[1], "getpid") == 0) {
    long sum = 0;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) sum += syscall(SYS_getpid);
    double t1 = now_ns();
    printf("{\"getpid\": %.2f, \"sum\": %ld}\n", (t1 - t0) / n, sum);
    return 0;
  }
  if (strcmp(argv[1], "progload") == 0) {
    static uint64_t insns[10];
    for (int i = 0; i < 9; i++) insns[i] = 0xb7 | ((uint64_t)(i & 0xff) << 32);
    insns[9] = 0x95;
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
      union bpf_attr attr;
      memset(&attr, 0, sizeof attr);
      attr.prog_type = BPF_PROG_TYPE_XDP;
      attr.insn_cnt = 10;
      attr.insns = (uintptr_t)insns;
      attr.license = (uintptr_t)"GPL";
      int fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
      if (fd < 0) { perror("bpf"); return 1; }
      close(fd);
    }
    double t1 = now_ns();
    printf("{\"progload\": %.2f}\n", (t1 - t0) / n);
    return 0;
  }
  return 2;
}
