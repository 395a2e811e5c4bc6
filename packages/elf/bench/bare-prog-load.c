/* The C side of the koffi call floor in load-object.bench.ts: N times BPF_PROG_LOAD of an XDP
 * program `r0 = XDP_PASS; exit` straight through syscall(2), then close. Prints ns per load + close.
 * Built by the bench: gcc -O2 -o bare-prog-load bare-prog-load.c */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  long n = strtol(argv[1], NULL, 10);
  struct bpf_insn insns[2] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
      {.code = BPF_JMP | BPF_EXIT},
  };
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_XDP;
    attr.insn_cnt = 2;
    attr.insns = (unsigned long)insns;
    attr.license = (unsigned long)"GPL";
    int fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
    if (fd < 0) {
      perror("bpf");
      return 1;
    }
    close(fd);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
