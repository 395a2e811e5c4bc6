// The probe with a semaphore (sdt.h decides semaphores per translation unit): it fires only
// while the semaphore is raised, i.e. while a tracer is attached.
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdint.h>
unsigned short tsebpf_sem_semaphore __attribute__((unused, section(".probes")));
__attribute__((noinline)) void fire_sem(int32_t v) {
  if (tsebpf_sem_semaphore) DTRACE_PROBE1(tsebpf, sem, v);
}
