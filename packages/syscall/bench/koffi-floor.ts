/**
 * The koffi call floor, measured in every bench run: bare koffi calls of the system calls our
 * wrappers make, each prepared once (attr, key and value in native memory, no code of ours around
 * the call), so that a wrapper's figure can be read against what any bpf() binding over koffi can
 * reach. bench/floor.c and bench/map-ops.c are the C side. Used by this package's bench and by the
 * maps and programs benches (imported by path: benches are not part of the packages).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfAttachType, BpfCmd, BpfProgType, syscallTable } from '@ts-ebpf/syscall';
import koffi from 'koffi';

type Call = (...args: number[]) => number;
const libc = koffi.load('libc.so.6');
// The same fixed-argument shapes of syscall() as the package's own bindings (src/ffi/native.ts).
const syscall1 = libc.func('long syscall(long nr)') as unknown as Call;
const syscall2 = libc.func('long syscall(long nr, long a)') as unknown as Call;
const syscall4 = libc.func('long syscall(long nr, long cmd, long attr, long size)') as unknown as Call;
const nr = syscallTable();

const elapsed = (t0: bigint, n: number) => Number(process.hrtime.bigint() - t0) / n;

/** ns per bare koffi `syscall(SYS_getpid)`. */
export function bareGetpid(n: number): number {
  const call = syscall1;
  const number = nr.getpid;
  let sum = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sum += call(number);
  const ns = elapsed(t0, n);
  if (sum < 0) throw new Error('getpid failed');
  return ns;
}

/** Bare koffi map calls prepared once, timed in blocks (see {@link bareMapCalls}). */
export interface BareMapCalls {
  /** ns taken by `n` bare BPF_MAP_LOOKUP_ELEM calls (in total, not per call). */
  lookup(n: number): number;
  /** ns taken by `n` bare BPF_MAP_UPDATE_ELEM calls (in total). */
  update(n: number): number;
  /** Frees the native memory. */
  close(): void;
}

/**
 * Bare koffi BPF_MAP_LOOKUP_ELEM and BPF_MAP_UPDATE_ELEM on the map at `fd` (u32 key, 8-byte
 * value, both in the host's byte order), with attr, key and value prepared once in native memory:
 * each call is `syscall(SYS_bpf, cmd, attr, 32)` and nothing else, so a wrapper's figure measured
 * on the same map, key and value is read against what any bpf() binding over koffi can reach.
 */
export function bareMapCalls(fd: number, key = 7, value = 42n): BareMapCalls {
  const mem = koffi.alloc('uint8_t', 48);
  const base = Number(koffi.address(mem));
  const view = new DataView(koffi.view(mem, 48) as ArrayBuffer);
  new Uint8Array(view.buffer).fill(0);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  view.setUint32(0, fd, le);
  view.setBigUint64(8, BigInt(base + 32), le);
  view.setBigUint64(16, BigInt(base + 40), le);
  view.setUint32(32, key, le);
  view.setBigUint64(40, value, le);
  const call = syscall4;
  const bpf = nr.bpf;
  let freed = false;
  return {
    update(n) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) call(bpf, BpfCmd.MAP_UPDATE_ELEM, base, 32);
      const ns = Number(process.hrtime.bigint() - t0);
      if (call(bpf, BpfCmd.MAP_UPDATE_ELEM, base, 32) !== 0) throw new Error('floor update failed');
      return ns;
    },
    lookup(n) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) call(bpf, BpfCmd.MAP_LOOKUP_ELEM, base, 32);
      const ns = Number(process.hrtime.bigint() - t0);
      if (call(bpf, BpfCmd.MAP_LOOKUP_ELEM, base, 32) !== 0) throw new Error('floor lookup failed');
      return ns;
    },
    close() {
      if (!freed) koffi.free(mem);
      freed = true;
    },
  };
}

/**
 * Times `runs` in turns, so that a slow spell of a shared machine, or a cache or frequency state
 * left by the run before, weighs on all of them alike: `blocks` blocks, each calling every run
 * once with `perBlock` (a run makes that many calls and returns the ns they took). The turn is
 * rotated by one from block to block and reversed every other cycle, so with `blocks` a multiple
 * of twice the number of runs each run takes every position, and follows every other run, equally
 * often. @returns ns per call of each run, in the order given.
 */
export function inTurns(
  blocks: number,
  perBlock: number,
  runs: readonly ((n: number) => number)[],
): number[] {
  const sums = runs.map(() => 0);
  forEachTurn(blocks, runs.length, (at) => {
    sums[at]! += runs[at]!(perBlock);
  });
  return sums.map((sum) => sum / (blocks * perBlock));
}

/**
 * The turn order of {@link inTurns}: calls `visit` with the index of each of `k` runs, block by
 * block, the turn rotated by one from block to block and reversed every other cycle.
 */
export function forEachTurn(blocks: number, k: number, visit: (at: number) => void): void {
  for (let b = 0; b < blocks; b++) {
    const reversed = Math.floor(b / k) % 2 === 1;
    for (let j = 0; j < k; j++) visit((b + (reversed ? k - 1 - j : j)) % k);
  }
}

/** The 10-instruction XDP program of bench/floor.c: `r0 = i & 0xff` nine times, then `exit`. */
export function tenInstructions(): Uint8Array {
  const out = new Uint8Array(80);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 9; i++) {
    out[i * 8] = 0xb7;
    view.setInt32(i * 8 + 4, i & 0xff, true);
  }
  out[72] = 0x95;
  return out;
}

/** A bare BPF_PROG_LOAD attr in native memory (see {@link bareProgLoadAttr}). */
export interface BareProgLoadAttr {
  /** The attr's native address, as `syscall(SYS_bpf, BPF_PROG_LOAD, address, size)` takes it. */
  readonly address: number;
  /** Frees the native memory. */
  free(): void;
}

/**
 * The attr of a bare BPF_PROG_LOAD of `insns` (at most 10 instructions; {@link tenInstructions}
 * by default) as an XDP program, with the instructions and the license in the same block of native
 * memory (little-endian hosts).
 */
export function bareProgLoadAttr(insns: Uint8Array = tenInstructions()): BareProgLoadAttr {
  if (insns.byteLength > 80 || insns.byteLength % 8 !== 0)
    throw new Error(`bareProgLoadAttr: ${insns.byteLength} bytes are not 1 to 10 instructions`);
  const size = 256;
  const mem = koffi.alloc('uint8_t', size);
  const base = Number(koffi.address(mem));
  const bytes = new Uint8Array(koffi.view(mem, size) as ArrayBuffer);
  const view = new DataView(bytes.buffer);
  bytes.fill(0);
  bytes.set(insns, 160);
  bytes.set([0x47, 0x50, 0x4c, 0], 240); // "GPL"
  view.setUint32(0, BpfProgType.XDP, true);
  view.setUint32(4, insns.byteLength / 8, true);
  view.setBigUint64(8, BigInt(base + 160), true);
  view.setBigUint64(16, BigInt(base + 240), true);
  return { address: base, free: () => koffi.free(mem) };
}

/**
 * ns per bare koffi BPF_PROG_LOAD + close of `insns` ({@link tenInstructions}, as bench/floor.c
 * loads, by default).
 */
export function bareProgLoad(n: number, insns?: Uint8Array): number {
  const attr = bareProgLoadAttr(insns);
  try {
    const base = attr.address;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) bareProgLoadAt(base);
    return elapsed(t0, n);
  } finally {
    attr.free();
  }
}

/** One bare koffi BPF_PROG_LOAD of the attr at `address` (see {@link bareProgLoadAttr}) and the close of its fd. */
export function bareProgLoadAt(address: number): void {
  const fd = syscall4(nr.bpf, BpfCmd.PROG_LOAD, address, PROG_LOAD_SIZE);
  if (fd < 0) throw new Error(`floor BPF_PROG_LOAD failed (errno ${koffi.errno()})`);
  syscall2(nr.close, fd);
}

/** A bare koffi `syscall(SYS_close, fd)`. */
export function bareClose(fd: number): void {
  syscall2(nr.close, fd);
}

const clockGettime = libc.func('int clock_gettime(int clock, _Out_ int64_t *ts)') as unknown as (
  clock: number,
  ts: BigInt64Array,
) => number;
const CLOCK_THREAD_CPUTIME_ID = 3;
const timespec = new BigInt64Array(2);

/** This thread's CPU time in ns (CLOCK_THREAD_CPUTIME_ID: a shared machine's waits for a core do not count). */
export function threadCpuNs(): number {
  clockGettime(CLOCK_THREAD_CPUTIME_ID, timespec);
  return Number(timespec[0]!) * 1e9 + Number(timespec[1]!);
}

// What @ts-ebpf/syscall passes (union bpf_attr up to prog_token_fd); C passes its header's sizeof.
const PROG_LOAD_SIZE = 148;

let floorBin: string | undefined;

/** Runs bench/floor.c (compiled once per process): `mode` is `getpid` or `progload`. */
export function cFloor(mode: 'getpid' | 'progload', n: number): number {
  if (!floorBin) {
    floorBin = join(mkdtempSync(join(tmpdir(), 'ts-ebpf-floor-')), 'floor');
    execFileSync('gcc', ['-O2', '-o', floorBin, new URL('./floor.c', import.meta.url).pathname]);
  }
  return JSON.parse(execFileSync(floorBin, [mode, String(n)], { encoding: 'utf8' }))[mode];
}

/** Bare koffi attach + detach calls (see {@link bareAttachCalls}). */
export interface BareAttachCalls {
  /** `bpf(BPF_LINK_CREATE, BPF_XDP)` of `progFd` on `ifindex`, then close of the link. */
  xdpLink(progFd: number, ifindex: number): void;
  /** perf_event_open of tracepoint `tpId`, `bpf(BPF_LINK_CREATE, BPF_PERF_EVENT)` of `progFd` on it, two closes. */
  tracepoint(progFd: number, tpId: number): void;
  /**
   * The XDP attach and detach of `progFd` on `ifindex` (skb mode) as libbpf's `bpf_xdp_attach` and
   * `bpf_xdp_detach` make them, each one rtnetlink request on a socket of its own: socket,
   * setsockopt(NETLINK_EXT_ACK), bind, getsockname, send, a peeking recv of the ack's size, recv,
   * close (libbpf's two receives are recvmsg; these are recvfrom, the same kernel path).
   */
  xdpNetlink(progFd: number, ifindex: number): void;
}

/**
 * The attach benches' floor: the kernel entries of an XDP link and a tracepoint perf link called
 * bare through koffi, no wrapper: `syscall(bpf, BPF_LINK_CREATE)` and `syscall(perf_event_open)`
 * with attrs built per call, and close(2).
 */
export function bareAttachCalls(): BareAttachCalls {
  const bpf = libc.func('long syscall(long nr, long cmd, void *attr, long size)');
  const perfOpen = libc.func(
    'long syscall(long nr, void *attr, long pid, long cpu, long group, unsigned long flags)',
  );
  const close = libc.func('int close(int fd)');
  const linkAttr = (progFd: number, target: number, attachType: number) => {
    const a = new Uint8Array(64);
    const v = new DataView(a.buffer);
    v.setUint32(0, progFd, true); // link_create.prog_fd
    v.setUint32(4, target, true); // target_fd / target_ifindex
    v.setUint32(8, attachType, true);
    return a;
  };
  const PERF_FLAG_FD_CLOEXEC = 8;
  const socket = libc.func('int socket(int domain, int type, int protocol)');
  const setsockopt = libc.func('int setsockopt(int fd, int level, int name, void *val, uint32_t len)');
  const bind = libc.func('int bind(int fd, void *addr, uint32_t len)');
  const getsockname = libc.func('int getsockname(int fd, void *addr, _Inout_ uint32_t *len)');
  const send = libc.func('long send(int fd, void *buf, unsigned long len, int flags)');
  const recv = libc.func('long recv(int fd, void *buf, unsigned long len, int flags)');
  const one = new Uint8Array([1, 0, 0, 0]);
  const sockaddr = new Uint8Array(12);
  sockaddr[0] = 16; // sockaddr_nl.nl_family = AF_NETLINK, pid and groups 0
  const name = new Uint8Array(12);
  const nameLen = [12];
  const reply = new Uint8Array(4096);
  const replyView = new DataView(reply.buffer);
  // RTM_SETLINK { ifinfomsg, IFLA_XDP { IFLA_XDP_FD, IFLA_XDP_FLAGS } }, built per call as libbpf does
  const setlink = (ifindex: number, fd: number, flags: number, seq: number) => {
    const m = new Uint8Array(52);
    const v = new DataView(m.buffer);
    v.setUint32(0, 52, true);
    v.setUint16(4, 19, true); // RTM_SETLINK
    v.setUint16(6, 0x1 | 0x4, true); // NLM_F_REQUEST | NLM_F_ACK
    v.setUint32(8, seq, true);
    v.setInt32(20, ifindex, true);
    v.setUint16(32, 20, true);
    v.setUint16(34, 43 | 0x8000, true); // IFLA_XDP | NLA_F_NESTED
    v.setUint16(36, 8, true);
    v.setUint16(38, 1, true); // IFLA_XDP_FD
    v.setInt32(40, fd, true);
    v.setUint16(44, 8, true);
    v.setUint16(46, 3, true); // IFLA_XDP_FLAGS
    v.setUint32(48, flags, true);
    return m;
  };
  const request = (message: Uint8Array) => {
    const s = socket(16, 3 | 0o2000000, 0); // AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE
    if (s < 0) throw new Error('bare netlink socket failed');
    try {
      if (setsockopt(s, 270, 11, one, 4) < 0) throw new Error('bare NETLINK_EXT_ACK failed');
      if (bind(s, sockaddr, 12) < 0) throw new Error('bare netlink bind failed');
      nameLen[0] = 12;
      if (getsockname(s, name, nameLen) < 0) throw new Error('bare netlink getsockname failed');
      if (send(s, message, message.byteLength, 0) < 0) throw new Error('bare netlink send failed');
      if (recv(s, reply, reply.byteLength, 0x2 | 0x20) < 0) throw new Error('bare netlink peek failed'); // MSG_PEEK | MSG_TRUNC
      if (recv(s, reply, reply.byteLength, 0) < 0) throw new Error('bare netlink recv failed');
      const error = replyView.getInt32(16, true); // nlmsgerr.error of the ack
      if (error !== 0) throw new Error(`bare RTM_SETLINK IFLA_XDP failed: errno ${-error}`);
    } finally {
      close(s);
    }
  };
  let seq = 0;
  return {
    xdpLink(progFd, ifindex) {
      const attr = linkAttr(progFd, ifindex, BpfAttachType.XDP);
      const fd = bpf(nr.bpf, BpfCmd.LINK_CREATE, attr, attr.byteLength);
      if (fd < 0) throw new Error('bare BPF_LINK_CREATE (xdp) failed');
      close(fd);
    },
    tracepoint(progFd, tpId) {
      const pa = new Uint8Array(128);
      const v = new DataView(pa.buffer);
      v.setUint32(0, 2, true); // type PERF_TYPE_TRACEPOINT
      v.setUint32(4, 128, true); // size
      v.setBigUint64(8, BigInt(tpId), true); // config
      v.setBigUint64(16, 1n, true); // sample_period
      v.setUint32(48, 1, true); // wakeup_events
      const pfd = perfOpen(nr.perf_event_open, pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
      if (pfd < 0) throw new Error('bare perf_event_open failed');
      const attr = linkAttr(progFd, pfd, BpfAttachType.PERF_EVENT);
      const fd = bpf(nr.bpf, BpfCmd.LINK_CREATE, attr, attr.byteLength);
      if (fd < 0) throw new Error('bare BPF_LINK_CREATE (perf event) failed');
      close(fd);
      close(pfd);
    },
    xdpNetlink(progFd, ifindex) {
      request(setlink(ifindex, progFd, 2 | 1, ++seq)); // XDP_FLAGS_SKB_MODE | XDP_FLAGS_UPDATE_IF_NOEXIST
      request(setlink(ifindex, -1, 2, ++seq)); // XDP_FLAGS_SKB_MODE
    },
  };
}
