// The user-space binary the uprobe corpus probes (built with gcc at test time).
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int corpus_target(int x) {
  __asm__ volatile("" ::: "memory");
  return x * 3;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1, sum = 0;
  for (int i = 0; i < n; i++) sum += corpus_target(i);
  printf("%d\n", sum);
  return 0;
}
