// C baselines for bench/maps.bench.ts, through raw syscalls as libbpf issues them
// (single update/lookup: @ts-ebpf/syscall's bench/map-ops.c, compiled by the bench too):
//   batch ENTRIES CHUNK [PIN]  hash u32 -> u64 with ENTRIES keys (created and filled here, or
//                         the map pinned at PIN): full BPF_MAP_LOOKUP_BATCH walk, and a
//                         get_next_key + lookup walk, ns per entry
//   ring PIN N            drain N records from the ring buffer pinned at PIN the way
//                         libbpf's ring_buffer__poll does (mmap + epoll + read loop), ns per record;
//                         the callback reads the record's first word
//   ringcopy PIN N        the same, with a callback that copies each record out (into a reused
//                         256 KiB buffer) and reads the copy's first word: a copying reader in C
//   perf MAP PROG N PAGES drain N samples from a perf event array pinned at MAP the way libbpf's
//                         perf_buffer__poll does: one BPF_OUTPUT perf event per online CPU
//                         (PAGES data pages each) stored in the map, the producer program pinned
//                         at PROG test-run N times, then timed: epoll + each CPU's records read,
//                         the tail written once per CPU drain; the callback reads the sample's
//                         first word (copied out first when it wraps); ns per sample
//   wake PIN N            wait in epoll_wait (libbpf ring_buffer__poll's way) for each of N records
//                         a producer in another process commits to the ring buffer pinned at PIN;
//                         prints the CLOCK_MONOTONIC time (ns) each record was seen
//   produce PROG N GAP_US test-run the producer program pinned at PROG N times, GAP_US apart, after
//                         a 200 ms start; prints the CLOCK_MONOTONIC time (ns) before each run
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

// CPU time of the process: the ring and perf consumers also report it, which a loaded machine
// (other processes taking turns on the CPUs) inflates far less than the elapsed time.
static double cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int hash_map(unsigned entries) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = BPF_MAP_TYPE_HASH;
  a.key_size = 4;
  a.value_size = 8;
  a.max_entries = entries;
  int fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof a);
  if (fd < 0) { perror("map create"); exit(1); }
  return fd;
}

static int pinned(const char *pin) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.pathname = (uintptr_t)pin;
  int fd = sys_bpf(BPF_OBJ_GET, &a, sizeof a);
  if (fd < 0) { perror("obj get"); exit(1); }
  return fd;
}

static int batch(unsigned entries, unsigned chunk, const char *pin) {
  union bpf_attr a;
  int fd;
  if (pin) {
    fd = pinned(pin); // the map the JS side filled and walks: the same memory layout
  } else {
    fd = hash_map(entries);
    uint32_t *keys = calloc(entries, 4);
    uint64_t *values = calloc(entries, 8);
    for (unsigned i = 0; i < entries; i++) keys[i] = i, values[i] = i;
    memset(&a, 0, sizeof a);
    a.batch.map_fd = fd;
    a.batch.keys = (uintptr_t)keys;
    a.batch.values = (uintptr_t)values;
    a.batch.count = entries;
    if (sys_bpf(BPF_MAP_UPDATE_BATCH, &a, sizeof a) < 0) { perror("update batch"); return 1; }
  }
  uint32_t *kb = calloc(chunk * 4, 4);
  uint64_t *vb = calloc(chunk * 4, 8);
  uint64_t in = 0, out = 0;
  long seen = 0;
  double t0 = now_ns();
  for (int first = 1;; first = 0) {
    memset(&a, 0, sizeof a);
    a.batch.map_fd = fd;
    a.batch.in_batch = first ? 0 : (uintptr_t)&in;
    a.batch.out_batch = (uintptr_t)&out;
    a.batch.keys = (uintptr_t)kb;
    a.batch.values = (uintptr_t)vb;
    a.batch.count = chunk;
    long r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, sizeof a);
    seen += a.batch.count;
    if (r < 0) break;
    in = out;
  }
  double t1 = now_ns();
  if (seen != entries) { fprintf(stderr, "batch saw %ld of %u\n", seen, entries); return 1; }
  uint32_t prev = 0, next = 0;
  uint64_t value;
  seen = 0;
  double t2 = now_ns();
  for (int first = 1;; first = 0) {
    memset(&a, 0, sizeof a);
    a.map_fd = fd;
    a.key = first ? 0 : (uintptr_t)&prev;
    a.next_key = (uintptr_t)&next;
    if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, 32) < 0) break;
    a.key = (uintptr_t)&next;
    a.value = (uintptr_t)&value;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, 32) == 0) seen++;
    prev = next;
  }
  double t3 = now_ns();
  printf("{\"batch\": %.2f, \"walk\": %.2f}\n", (t1 - t0) / entries, (t3 - t2) / entries);
  return 0;
}

static char copies[256 * 1024];

/** A ring buffer map pinned at a path, mapped and registered with an epoll instance of its own. */
struct ringmap {
  int fd, ep;
  unsigned long mask, size;
  long page;
  unsigned long *consumer, *producer;
  char *data;
};

static int open_ring(const char *pin, struct ringmap *r) {
  r->fd = pinned(pin);
  struct bpf_map_info info;
  union bpf_attr a;
  memset(&info, 0, sizeof info);
  memset(&a, 0, sizeof a);
  a.info.bpf_fd = r->fd;
  a.info.info_len = sizeof info;
  a.info.info = (uintptr_t)&info;
  if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, sizeof a) < 0) { perror("info"); return 1; }
  r->page = sysconf(_SC_PAGESIZE);
  r->size = info.max_entries;
  r->mask = info.max_entries - 1;
  r->consumer = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
  void *prod = mmap(NULL, r->page + 2 * (size_t)info.max_entries, PROT_READ, MAP_SHARED, r->fd, r->page);
  if (r->consumer == MAP_FAILED || prod == MAP_FAILED) { perror("mmap"); return 1; }
  r->producer = prod;
  r->data = (char *)prod + r->page;
  r->ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = r->fd};
  epoll_ctl(r->ep, EPOLL_CTL_ADD, r->fd, &ev);
  return 0;
}

static int ring(const char *pin, long n, int copy) {
  struct ringmap r;
  if (open_ring(pin, &r)) return 1;
  long page = r.page;
  unsigned long mask = r.mask;
  unsigned long *consumer = r.consumer, *producer = r.producer;
  char *data = r.data;
  int ep = r.ep;
  long got = 0;
  unsigned long at = 0;
  volatile uint64_t sink = 0;
  // Steady state, as in a consumer that has been running (and as the JS readers are timed, on a
  // mapping drained before): every page of both data mappings and of the copy buffer read once.
  // The kernel maps a ring's pages at mmap time, yet on the development machine's VM the first
  // read of each page of a new mapping still costs ~2 us (the hypervisor's cost, not a counted
  // fault), which made this consumer 10x slower than in steady state.
  for (size_t off = 0; off < 2 * (size_t)r.size; off += page) sink += *(volatile char *)(data + off);
  for (size_t off = 0; off < sizeof copies; off += page) copies[off] = 0;
  double c0 = cpu_ns();
  double t0 = now_ns();
  while (got < n) {
    struct epoll_event out[1];
    if (epoll_wait(ep, out, 1, 1000) <= 0) { fprintf(stderr, "timeout after %ld\n", got); return 1; }
    unsigned long cons = __atomic_load_n(consumer, __ATOMIC_ACQUIRE);
    unsigned long p = __atomic_load_n(producer, __ATOMIC_ACQUIRE);
    while (cons < p) {
      uint32_t *hdr = (uint32_t *)(data + (cons & mask));
      uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      cons += (((len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + BPF_RINGBUF_HDR_SZ + 7) / 8) * 8;
      if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
        uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
        if (copy) {
          if (at + size > sizeof copies) at = 0;
          memcpy(copies + at, hdr + 2, size);
          sink += *(uint64_t *)(copies + at);
          at = (at + size + 7) & ~7UL;
        } else {
          sink += *(uint64_t *)(hdr + 2); // the callback reads the record's first word
        }
        got++;
      }
      __atomic_store_n(consumer, cons, __ATOMIC_RELEASE);
    }
  }
  double t1 = now_ns();
  double c1 = cpu_ns();
  printf("{\"ring\": %.2f, \"cpu\": %.2f}\n", (t1 - t0) / n, (c1 - c0) / n);
  return 0;
}

/** Runs the program `prog` `n` times through BPF_PROG_TEST_RUN, on 64 zero bytes; 0 or 1 (reported). */
static int test_run(int prog, long n) {
  char in[64] = {0};
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.test.prog_fd = prog;
  a.test.data_in = (uintptr_t)in;
  a.test.data_size_in = sizeof in;
  a.test.repeat = n;
  if (sys_bpf(BPF_PROG_TEST_RUN, &a, sizeof a) < 0) { perror("test run"); return 1; }
  return 0;
}

#define MAX_CPUS 256

static int perf(const char *map_pin, const char *prog_pin, long n, long pages) {
  int map = pinned(map_pin), prog = pinned(prog_pin);
  long page = sysconf(_SC_PAGESIZE);
  size_t data_size = (size_t)pages * page;
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  if (ncpu > MAX_CPUS) ncpu = MAX_CPUS;
  int fds[MAX_CPUS];
  struct perf_event_mmap_page *meta[MAX_CPUS];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  union bpf_attr a;
  for (long cpu = 0; cpu < ncpu; cpu++) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_BPF_OUTPUT;
    attr.sample_type = PERF_SAMPLE_RAW;
    attr.sample_period = 1;
    attr.wakeup_events = 1;
    fds[cpu] = syscall(__NR_perf_event_open, &attr, -1, (int)cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fds[cpu] < 0) { perror("perf_event_open"); return 1; }
    meta[cpu] = mmap(NULL, page + data_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[cpu], 0);
    if (meta[cpu] == MAP_FAILED) { perror("mmap"); return 1; }
    uint32_t key = cpu, value = fds[cpu];
    memset(&a, 0, sizeof a);
    a.map_fd = map;
    a.key = (uintptr_t)&key;
    a.value = (uintptr_t)&value;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, sizeof a) < 0) { perror("map update"); return 1; }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = cpu};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[cpu], &ev);
    // steady state, as for the ring: every page of the mapping read once
    for (size_t off = 0; off < page + data_size; off += page) *(volatile char *)((char *)meta[cpu] + off);
  }
  if (test_run(prog, n)) return 1;
  long got = 0, lost = 0;
  volatile uint64_t sink = 0;
  double c0 = cpu_ns();
  double t0 = now_ns();
  while (got + lost < n) {
    struct epoll_event out[MAX_CPUS];
    if (epoll_wait(ep, out, ncpu, 1000) <= 0) { fprintf(stderr, "timeout after %ld\n", got); return 1; }
    for (long cpu = 0; cpu < ncpu; cpu++) {
      struct perf_event_mmap_page *m = meta[cpu];
      char *base = (char *)m + page;
      uint64_t head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
      uint64_t tail = m->data_tail;
      while (tail < head) {
        struct perf_event_header *h = (struct perf_event_header *)(base + (tail % data_size));
        if (h->type == PERF_RECORD_SAMPLE) {
          size_t at = (tail + sizeof *h + 4) % data_size; // after the u32 size of the raw data
          uint64_t word;
          if (at + 8 <= data_size) word = *(uint64_t *)(base + at);
          else {
            size_t first = data_size - at;
            memcpy(&word, base + at, first);
            memcpy((char *)&word + first, base, 8 - first);
          }
          sink += word;
          got++;
        } else if (h->type == PERF_RECORD_LOST) {
          lost += *(uint64_t *)((char *)h + sizeof *h + 8);
        }
        tail += h->size;
      }
      __atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
    }
  }
  double t1 = now_ns();
  double c1 = cpu_ns();
  for (long cpu = 0; cpu < ncpu; cpu++) {
    uint32_t key = cpu;
    memset(&a, 0, sizeof a);
    a.map_fd = map;
    a.key = (uintptr_t)&key;
    sys_bpf(BPF_MAP_DELETE_ELEM, &a, sizeof a);
  }
  if (lost) { fprintf(stderr, "lost %ld samples\n", lost); return 1; }
  printf("{\"perf\": %.2f, \"cpu\": %.2f}\n", (t1 - t0) / n, (c1 - c0) / n);
  return 0;
}

static void print_times(const double *t, long n) {
  printf("[");
  for (long i = 0; i < n; i++) printf("%s%.0f", i ? "," : "", t[i]);
  printf("]\n");
}

static int wake(const char *pin, long n) {
  struct ringmap r;
  if (open_ring(pin, &r)) return 1;
  double *seen = calloc(n, sizeof *seen);
  long got = 0;
  while (got < n) {
    struct epoll_event out[1];
    if (epoll_wait(r.ep, out, 1, 10000) <= 0) { fprintf(stderr, "timeout after %ld\n", got); return 1; }
    double t = now_ns();
    unsigned long cons = __atomic_load_n(r.consumer, __ATOMIC_ACQUIRE);
    unsigned long p = __atomic_load_n(r.producer, __ATOMIC_ACQUIRE);
    while (cons < p) {
      uint32_t len = __atomic_load_n((uint32_t *)(r.data + (cons & r.mask)), __ATOMIC_ACQUIRE);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      cons += (((len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + BPF_RINGBUF_HDR_SZ + 7) / 8) * 8;
      if (!(len & BPF_RINGBUF_DISCARD_BIT) && got < n) seen[got++] = t;
      __atomic_store_n(r.consumer, cons, __ATOMIC_RELEASE);
    }
  }
  print_times(seen, n);
  return 0;
}

static int produce(const char *prog_pin, long n, long gap_us) {
  int prog = pinned(prog_pin);
  double *sent = calloc(n, sizeof *sent);
  usleep(200000);
  for (long i = 0; i < n; i++) {
    usleep(gap_us);
    sent[i] = now_ns();
    if (test_run(prog, 1)) return 1;
  }
  print_times(sent, n);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && !strcmp(argv[1], "batch")) return batch(atoi(argv[2]), atoi(argv[3]), argc >= 5 ? argv[4] : NULL);
  if (argc >= 4 && !strcmp(argv[1], "ring")) return ring(argv[2], atol(argv[3]), 0);
  if (argc >= 4 && !strcmp(argv[1], "ringcopy")) return ring(argv[2], atol(argv[3]), 1);
  if (argc >= 6 && !strcmp(argv[1], "perf")) return perf(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
  if (argc >= 4 && !strcmp(argv[1], "wake")) return wake(argv[2], atol(argv[3]));
  if (argc >= 5 && !strcmp(argv[1], "produce")) return produce(argv[2], atol(argv[3]), atol(argv[4]));
  fprintf(stderr, "usage: %s batch ENTRIES CHUNK [PIN] | ring PIN N | ringcopy PIN N | perf MAP PROG N PAGES | wake PIN N | produce PROG N GAP_US\n", argv[0]);
  return 2;
}
