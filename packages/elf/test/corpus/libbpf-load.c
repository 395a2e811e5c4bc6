/* libbpf-load: loads a BPF object with the system's libbpf and prints, as one JSON
 * object on stdout, what the kernel holds: per program its name, section, type, the
 * expected attach type libbpf asked for, tag, xlated instructions (hex), the ids
 * of the maps it uses, whether it is GPL-compatible and has BTF, its func_info and
 * line_info counts and attach BTF ids; per map its name, id, type, key/value size,
 * max_entries, flags, map_extra, whether it has BTF (and key/value types) and its
 * btf_vmlinux_value_type_id. The elf tests compare this with what loadCollection loads.
 *
 *   libbpf-load [--name NAME] [--skip PROG]... [--pin-root DIR] [--repeat N] [--quiet] [--serve] OBJECT
 *
 * --name   the object name (libbpf's prefix for .data/.rodata/.bss map names);
 *          default: the file name up to its first '.', as bpf_object__open_file does
 * --skip   do not load program PROG (bpf_program__set_autoload(prog, false))
 * --pin-root  where maps pinned by name go (libbpf's pin_root_path; default /sys/fs/bpf)
 * --repeat then open, load and close the object N more times from memory and add
 *          "timing": {"repeat": N, "ns_total": …, "ns_per_load": …, "cpu_ns_per_load": …,
 *          "minor_faults": …} (wall and process CPU time, user + system; the page faults of all
 *          N loads), a baseline for loadCollection's benchmark
 * --quiet  leave out "programs" and "maps" (for timing runs)
 * --serve  after the object's line, read counts N from stdin, one a line, and answer each
 *          with a line holding the timing object of N more loads, until stdin ends: a benchmark starts this once, so that it does
 *          not fork its own (large) process between rounds (a fork write-protects every page
 *          of the parent, whose next writes then fault)
 *
 * On failure: {"error": "...", "errno": N} on stdout, libbpf's log on stderr, exit 1.
 * Built by the elf test set-up: gcc -O2 -o libbpf-load libbpf-load.c -lbpf
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_SKIP 64

static const char *skip[MAX_SKIP];
static int nskip;
static const char *pin_root;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  return vfprintf(stderr, fmt, args);
}

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void hex(const void *p, size_t n) {
  const unsigned char *b = p;
  putchar('"');
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
  putchar('"');
}

static int fail(const char *what, int err) {
  printf("{\"error\":");
  json_string(what);
  printf(",\"errno\":%d}\n", err < 0 ? -err : err);
  return 1;
}

static struct bpf_object *open_and_load(const void *buf, size_t size, const char *name, int *err) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name, .pin_root_path = pin_root);
  struct bpf_object *obj = bpf_object__open_mem(buf, size, &opts);
  if (!obj) {
    *err = -errno;
    return NULL;
  }
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, obj) {
    for (int i = 0; i < nskip; i++)
      if (strcmp(bpf_program__name(prog), skip[i]) == 0) bpf_program__set_autoload(prog, false);
  }
  *err = bpf_object__load(obj);
  if (*err) {
    bpf_object__close(obj);
    return NULL;
  }
  return obj;
}

static int print_program(struct bpf_program *prog) {
  struct bpf_prog_info info = {};
  __u32 len = sizeof(info);
  int fd = bpf_program__fd(prog);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return -errno;
  __u32 xlated_len = info.xlated_prog_len, nr_maps = info.nr_map_ids;
  void *xlated = calloc(1, xlated_len ? xlated_len : 1);
  __u32 *map_ids = calloc(nr_maps ? nr_maps : 1, sizeof(__u32));
  if (!xlated || !map_ids) return -ENOMEM;
  memset(&info, 0, sizeof(info));
  info.xlated_prog_len = xlated_len;
  info.xlated_prog_insns = (__u64)(uintptr_t)xlated;
  info.nr_map_ids = nr_maps;
  info.map_ids = (__u64)(uintptr_t)map_ids;
  len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return -errno;
  printf("{\"name\":");
  json_string(bpf_program__name(prog));
  printf(",\"section\":");
  json_string(bpf_program__section_name(prog));
  printf(",\"kernel_name\":");
  json_string(info.name);
  printf(",\"type\":%u,\"expected_attach_type\":%u,\"tag\":", info.type,
         (unsigned)bpf_program__expected_attach_type(prog));
  hex(info.tag, sizeof(info.tag));
  printf(",\"xlated\":");
  hex(xlated, info.xlated_prog_len);
  printf(",\"gpl_compatible\":%s,\"btf\":%s,\"nr_func_info\":%u,\"nr_line_info\":%u,\"attach_btf_obj_id\":%u,"
         "\"attach_btf_id\":%u",
         info.gpl_compatible ? "true" : "false", info.btf_id ? "true" : "false", info.nr_func_info,
         info.nr_line_info, info.attach_btf_obj_id, info.attach_btf_id);
  printf(",\"map_ids\":[");
  for (__u32 i = 0; i < info.nr_map_ids && i < nr_maps; i++) printf("%s%u", i ? "," : "", map_ids[i]);
  printf("]}");
  free(xlated);
  free(map_ids);
  return 0;
}

static int print_map(struct bpf_map *map) {
  struct bpf_map_info info = {};
  __u32 len = sizeof(info);
  int fd = bpf_map__fd(map);
  printf("{\"name\":");
  json_string(bpf_map__name(map));
  printf(",\"internal\":%s", bpf_map__is_internal(map) ? "true" : "false");
  if (fd < 0) {
    printf(",\"created\":false}");
    return 0;
  }
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return -errno;
  printf(",\"created\":true,\"kernel_name\":");
  json_string(info.name);
  printf(",\"id\":%u,\"type\":%u,\"key_size\":%u,\"value_size\":%u,\"max_entries\":%u,\"flags\":%u,"
         "\"map_extra\":%llu,\"btf\":%s,\"btf_key\":%s,\"btf_value\":%s,\"btf_vmlinux_value_type_id\":%u}",
         info.id, info.type, info.key_size, info.value_size, info.max_entries, info.map_flags,
         (unsigned long long)info.map_extra, info.btf_id ? "true" : "false", info.btf_key_type_id ? "true" : "false",
         info.btf_value_type_id ? "true" : "false", info.btf_vmlinux_value_type_id);
  return 0;
}

static void *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  void *buf = n > 0 ? malloc(n) : NULL;
  if (!buf || fread(buf, 1, n, f) != (size_t)n) {
    free(buf);
    fclose(f);
    return NULL;
  }
  fclose(f);
  *size = n;
  return buf;
}

static long long clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Opens, loads and closes the object n times and prints the timing object; 0 or the errno. */
static int time_loads(void *buf, size_t size, const char *name, long n) {
  int err = 0;
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  long long start = clock_ns(CLOCK_MONOTONIC), cpu_start = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  for (long i = 0; i < n; i++) {
    struct bpf_object *again = open_and_load(buf, size, name, &err);
    if (!again) return err ? err : EINVAL;
    bpf_object__close(again);
  }
  long long total = clock_ns(CLOCK_MONOTONIC) - start, cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu_start;
  getrusage(RUSAGE_SELF, &after);
  printf("{\"repeat\":%ld,\"ns_total\":%lld,\"ns_per_load\":%lld,\"cpu_ns_per_load\":%lld,\"minor_faults\":%ld}", n,
         total, total / n, cpu / n, after.ru_minflt - before.ru_minflt);
  return 0;
}

int main(int argc, char **argv) {
  const char *path = NULL, *name = NULL;
  long repeat = 0;
  int quiet = 0, serve = 0, err = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
      name = argv[++i];
    else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc && nskip < MAX_SKIP)
      skip[nskip++] = argv[++i];
    else if (strcmp(argv[i], "--pin-root") == 0 && i + 1 < argc)
      pin_root = argv[++i];
    else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
      repeat = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--quiet") == 0)
      quiet = 1;
    else if (strcmp(argv[i], "--serve") == 0)
      serve = 1;
    else if (argv[i][0] != '-' && !path)
      path = argv[i];
    else
      return fail("usage: libbpf-load [--name NAME] [--skip PROG]... [--pin-root DIR] [--repeat N] [--quiet] [--serve] OBJECT", EINVAL);
  }
  if (!path) return fail("no object given", EINVAL);
  libbpf_set_print(print_libbpf);

  size_t size = 0;
  void *buf = read_file(path, &size);
  if (!buf) return fail("cannot read the object", errno);
  char base[64];
  if (!name) {
    const char *slash = strrchr(path, '/');
    snprintf(base, sizeof(base), "%s", slash ? slash + 1 : path);
    char *dot = strchr(base, '.');
    if (dot) *dot = 0;
    name = base;
  }

  struct bpf_object *obj = open_and_load(buf, size, name, &err);
  if (!obj) return fail("bpf_object__open_mem/bpf_object__load failed", err);
  printf("{\"object\":");
  json_string(bpf_object__name(obj));
  if (!quiet) {
    printf(",\"programs\":[");
    struct bpf_program *prog;
    int first = 1;
    bpf_object__for_each_program(prog, obj) {
      if (!bpf_program__autoload(prog)) continue;
      if (!first) putchar(',');
      first = 0;
      if ((err = print_program(prog))) return fail("bpf_obj_get_info_by_fd of a program failed", err);
    }
    printf("],\"maps\":[");
    struct bpf_map *map;
    first = 1;
    bpf_object__for_each_map(map, obj) {
      if (!first) putchar(',');
      first = 0;
      if ((err = print_map(map))) return fail("bpf_obj_get_info_by_fd of a map failed", err);
    }
    putchar(']');
  }
  bpf_object__close(obj);

  if (repeat > 0) {
    printf(",\"timing\":");
    if ((err = time_loads(buf, size, name, repeat))) return fail("a repeated load failed", err);
  }
  printf("}\n");
  if (serve) {
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof(line), stdin)) {
      long n = strtol(line, NULL, 10);
      if (n <= 0) return fail("--serve: each line must be a positive count", EINVAL);
      if ((err = time_loads(buf, size, name, n))) return fail("a repeated load failed", err);
      putchar('\n');
      fflush(stdout);
    }
  }
  free(buf);
  return 0;
}
