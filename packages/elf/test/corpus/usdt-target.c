// A gcc-built target with USDT probes (<sys/sdt.h>) of every argument kind gcc emits at -O2:
// registers of 8/4/2 bytes, stack and pointer-relative memory of 8/4/2/1 bytes, constants;
// signed and unsigned. Prints its semaphore's value, then fires each probe once.
#include <sys/sdt.h>
#include <stdio.h>
#include <stdint.h>
#include <unistd.h>

struct rec { int64_t a; int32_t b; uint16_t c; int8_t d; uint8_t e; };
extern unsigned short tsebpf_sem_semaphore;
void fire_sem(int32_t v);

__attribute__((noinline)) void fire(struct rec *r, int64_t s8, uint64_t u8, int32_t s4, uint32_t u4, int16_t s2, uint16_t u2, int8_t s1, uint8_t u1) {
  DTRACE_PROBE8(tsebpf, regs, s8, u8, s4, u4, s2, u2, s1, u1);
  DTRACE_PROBE5(tsebpf, mem, r->a, r->b, r->c, r->d, r->e);
  DTRACE_PROBE3(tsebpf, consts, 42, -7, 100000);
}

int main(int argc, char **argv) {
  volatile struct rec r = { -1234567890123LL, -123456, 65000, -5, 250 };
  if (argc > 1) { /* "wait": print the pid, fire once a line arrives on stdin */
    char line[16];
    printf("%d\n", (int)getpid());
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 1;
  }
  printf("%u\n", tsebpf_sem_semaphore);
  fire((struct rec *)&r, -9000000000LL, 18000000000000000000ULL, -70000, 4000000000U, -300, 60000, -100, 200);
  fire_sem(-77);
  return 0;
}
