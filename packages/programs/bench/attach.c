/* The libbpf side of attach.bench.ts: attach + detach cycles through libbpf, and the same kernel
 * entries called bare (the floor a koffi caller is compared with). Prints, as one JSON object,
 * nanoseconds per cycle.
 *
 *   attach OBJECT MODE ITERATIONS [IFNAME]
 *
 * OBJECT holds SEC("xdp") xdp_pass and SEC("tracepoint/syscalls/sys_enter_getpid") tp_getpid.
 * MODE:
 *   xdp-link        bpf_program__attach_xdp(xdp_pass, ifindex) + bpf_link__destroy
 *   xdp-netlink     bpf_xdp_attach(ifindex, fd, XDP_FLAGS_SKB_MODE | UPDATE_IF_NOEXIST) +
 *                   bpf_xdp_detach(ifindex, XDP_FLAGS_SKB_MODE) (each one rtnetlink request)
 *   tracepoint      bpf_program__attach_tracepoint(tp_getpid, "syscalls", "sys_enter_getpid") +
 *                   bpf_link__destroy
 *   bare-xdp-link   bpf(BPF_LINK_CREATE, BPF_XDP) + close
 *   bare-tracepoint perf_event_open(tracepoint id read once) + bpf(BPF_LINK_CREATE, BPF_PERF_EVENT)
 *                   + close of both
 * The interface (IFNAME) is looked up once, before timing, as a libbpf caller does.
 * Built by the bench twice: as this executable (gcc -O2 -o attach attach.c -lbpf; the standalone
 * baseline), and with -DBENCH_LIBRARY -shared as a library whose attach_loop() the bench calls
 * through koffi: the same loop inside the node process, to tell what the process costs the kernel
 * from what the library costs.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The step that failed last (attach_error()), with attach_loop() returning -errno. */
static const char *failed_step = "";

static long long fail(const char *what, int err) {
  failed_step = what;
  return -(long long)(err < 0 ? -err : err);
}

/* What the last failed attach_loop() was doing. */
const char *attach_error(void) { return failed_step; }

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* BPF_LINK_CREATE straight through syscall(2): the link's fd, or -1 with errno set. */
static int bare_link_create(int prog_fd, int target, enum bpf_attach_type type) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.link_create.prog_fd = prog_fd;
  a.link_create.target_fd = target; /* target_ifindex for XDP: the same field */
  a.link_create.attach_type = type;
  return syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
}

static int tracepoint_id(void) {
  FILE *f = fopen("/sys/kernel/tracing/events/syscalls/sys_enter_getpid/id", "r");
  int id = -1;
  if (!f) return -errno;
  if (fscanf(f, "%d", &id) != 1) id = -EINVAL;
  fclose(f);
  return id;
}

/* Loads `obj` and runs the timed cycles (see attach_loop). */
static long long cycles(struct bpf_object *obj, const char *mode, long n, int ifindex) {
  int err = bpf_object__load(obj);
  if (err) return fail("bpf_object__load", err);
  struct bpf_program *xdp = bpf_object__find_program_by_name(obj, "xdp_pass");
  struct bpf_program *tp = bpf_object__find_program_by_name(obj, "tp_getpid");
  if (!xdp || !tp) return fail("programs xdp_pass and tp_getpid", ENOENT);
  int tp_id = strcmp(mode, "bare-tracepoint") == 0 ? tracepoint_id() : 0;
  if (tp_id < 0) return fail("tracepoint id", tp_id);

  long long start = now_ns();
  for (long i = 0; i < n; i++) {
    if (strcmp(mode, "xdp-link") == 0) {
      struct bpf_link *l = bpf_program__attach_xdp(xdp, ifindex);
      if (!l) return fail("bpf_program__attach_xdp", errno);
      bpf_link__destroy(l);
    } else if (strcmp(mode, "xdp-netlink") == 0) {
      __u32 flags = XDP_FLAGS_SKB_MODE;
      if ((err = bpf_xdp_attach(ifindex, bpf_program__fd(xdp), flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL)))
        return fail("bpf_xdp_attach", err);
      if ((err = bpf_xdp_detach(ifindex, flags, NULL))) return fail("bpf_xdp_detach", err);
    } else if (strcmp(mode, "tracepoint") == 0) {
      struct bpf_link *l = bpf_program__attach_tracepoint(tp, "syscalls", "sys_enter_getpid");
      if (!l) return fail("bpf_program__attach_tracepoint", errno);
      bpf_link__destroy(l);
    } else if (strcmp(mode, "bare-xdp-link") == 0) {
      int fd = bare_link_create(bpf_program__fd(xdp), ifindex, BPF_XDP);
      if (fd < 0) return fail("BPF_LINK_CREATE", errno);
      close(fd);
    } else if (strcmp(mode, "bare-tracepoint") == 0) {
      struct perf_event_attr pa;
      memset(&pa, 0, sizeof(pa));
      pa.size = sizeof(pa);
      pa.type = PERF_TYPE_TRACEPOINT;
      pa.config = tp_id;
      pa.sample_period = 1;
      pa.wakeup_events = 1;
      int pfd = syscall(__NR_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
      if (pfd < 0) return fail("perf_event_open", errno);
      int fd = bare_link_create(bpf_program__fd(tp), pfd, BPF_PERF_EVENT);
      if (fd < 0) {
        int err = errno;
        close(pfd);
        return fail("BPF_LINK_CREATE", err);
      }
      close(fd);
      close(pfd);
    } else {
      return fail("unknown mode", EINVAL);
    }
  }
  return n ? (now_ns() - start) / n : 0;
}

/* `n` cycles of `mode` with the programs of `object` (on interface `ifname`, looked up first, for
 * the xdp modes; NULL otherwise): ns per cycle, or -errno with attach_error() naming the step. */
long long attach_loop(const char *object, const char *mode, long n, const char *ifname) {
  int ifindex = ifname ? (int)if_nametoindex(ifname) : 0;
  if (ifname && !ifindex) return fail("no such interface", errno);

  struct bpf_object *obj = bpf_object__open_file(object, NULL);
  if (!obj) return fail("bpf_object__open_file", errno);
  long long result = cycles(obj, mode, n, ifindex);
  bpf_object__close(obj);
  return result;
}

#ifndef BENCH_LIBRARY
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  long long ns = attach_loop(argv[1], argv[2], strtol(argv[3], NULL, 10), argc > 4 ? argv[4] : NULL);
  if (ns < 0)
    printf("{\"error\":\"%s\",\"errno\":%lld}\n", failed_step, -ns);
  else
    printf("{\"mode\":\"%s\",\"iterations\":%s,\"ns_per_cycle\":%lld}\n", argv[2], argv[3], ns);
  return ns < 0;
}
#endif
