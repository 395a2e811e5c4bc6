// C baseline for the BTF bench: libbpf parses vmlinux BTF (btf__new) and the loop reads every
// type, its name and the names and types of its members, params and enum values, as the
// TypeScript decode does. Prints JSON: the first round (cold) and the median and best of the rest.
#include <bpf/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static size_t walk(const struct btf *btf) {
  size_t sum = 0;
  unsigned n = btf__type_cnt(btf);
  for (unsigned id = 1; id < n; id++) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    sum += strlen(btf__name_by_offset(btf, t->name_off));
    unsigned vlen = btf_vlen(t);
    if (btf_is_composite(t)) {
      const struct btf_member *m = btf_members(t);
      for (unsigned i = 0; i < vlen; i++) sum += strlen(btf__name_by_offset(btf, m[i].name_off)) + m[i].type;
    } else if (btf_is_enum(t)) {
      const struct btf_enum *e = btf_enum(t);
      for (unsigned i = 0; i < vlen; i++) sum += strlen(btf__name_by_offset(btf, e[i].name_off)) + (unsigned)e[i].val;
    } else if (btf_is_func_proto(t)) {
      const struct btf_param *p = btf_params(t);
      for (unsigned i = 0; i < vlen; i++) sum += strlen(btf__name_by_offset(btf, p[i].name_off)) + p[i].type;
    }
  }
  return sum;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 10;
  FILE *f = fopen("/sys/kernel/btf/vmlinux", "rb");
  if (!f) return perror("vmlinux"), 1;
  static char buf[64 << 20];
  size_t size = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  double *t = calloc(rounds, sizeof(double));
  size_t sink = 0;
  for (int r = 0; r < rounds; r++) {
    double start = now_ms();
    struct btf *btf = btf__new(buf, size);
    if (!btf) return fprintf(stderr, "btf__new failed\n"), 1;
    sink += walk(btf);
    btf__free(btf);
    t[r] = now_ms() - start;
  }
  double cold = t[0];
  qsort(t + 1, rounds - 1, sizeof(double), cmp);
  printf("{\"cold\":%.3f,\"median\":%.3f,\"best\":%.3f,\"sink\":%zu}\n", cold, t[1 + (rounds - 1) / 2], t[1], sink);
  return 0;
}
