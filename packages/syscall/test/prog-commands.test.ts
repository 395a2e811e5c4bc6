import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, rmSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { add, bpf as asm, exit, mov, program, R0 } from '@ts-ebpf/dsl';
import { describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mountedFsType } from '../src/bpffs.js';
import {
  addressOf,
  BpfCmd,
  BpfMapType,
  BpfProgType,
  BpfStatsType,
  BpfSyscallError,
  bpfSyscall,
  close,
  enableStats,
  ensureBpffs,
  getPinned,
  gettid,
  mapCreate,
  mapGetFdById,
  mapGetNextId,
  mapInfo,
  NotFoundError,
  objGet,
  PermissionError,
  pinObject,
  progGetFdById,
  progGetNextId,
  progInfo,
  progLoad,
  progLoadAsync,
  progTestRun,
  syscallTable,
  unpin,
} from '../src/index.js';

const dir = `/sys/fs/bpf/ts-ebpf-test-${process.pid}`;

beforeAll(() => {
  ensureBpffs();
  mkdirSync(dir, { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// r1 = 0; do r1 += 1 while r1 < rounds; r0 = 0; exit: the verifier walks every round.
function slowToVerify(rounds: number): Uint8Array {
  return hostCode(asm`
    r1 = 0
    r1 += 1
    if r1 < ${rounds} goto -2
    r0 = 0
    exit`);
}

// Runs `fn` (a blocking BPF_PROG_LOAD) while another process sends this thread SIGUSR2 (12 on
// every supported architecture) with tgkill once the verifier is running: the verifier sees the
// pending signal. Not after a fixed delay: under load the helper process can start late, after
// such a moment has passed, or the call can start late. The helper starts watching before `fn`
// runs, and signals once the thread has spent 20 ms more in the kernel (its system time in
// /proc/<pid>/task/<tid>/stat, in clock ticks): nothing else `fn` does takes that long there, and
// the verification lasts far longer (see the test), so the signal lands while the verifier runs.
// (/proc/…/syscall cannot say it: it shows "running" for a thread busy in the kernel.)
async function withSignalInLoad<T>(fn: () => T): Promise<T> {
  const tid = gettid();
  const script = `$| = 1;
use POSIX ();
my $file = "/proc/${process.pid}/task/${tid}/stat";
my $ticks = POSIX::sysconf(POSIX::_SC_CLK_TCK);
sub stime { open(my $h, "<", $file) or die "$file: $!"; my $s = <$h>; close($h); $s =~ s/^.*[)] //; (split / /, $s)[12] }
my $enough = stime() + POSIX::ceil(0.02 * $ticks);
my $until = time + 60;
print "watching\n";
until (stime() >= $enough) {
  die "the thread spent no 20 ms in the kernel in 60 s" if time > $until;
  select(undef, undef, undef, 0.0005);
}
syscall(${syscallTable().tgkill}, ${process.pid}, ${tid}, 12) == 0 or die "tgkill: $!";`;
  const child = spawn('perl', ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const [ready] = (await Promise.race([once(child.stdout, 'data'), exited])) as [unknown];
  expect(String(ready)).toBe('watching\n');
  let result: T;
  try {
    result = fn();
  } catch (e) {
    await exited;
    throw e;
  }
  expect((await exited)[0]).toBe(0);
  return result;
}

// One BPF_PROG_LOAD call with no retry: the errno, or 0 when it loaded.
function loadOnce(insns: Uint8Array): number {
  const license = new TextEncoder().encode('GPL\0');
  const attr = new Uint8Array(48);
  const v = new DataView(attr.buffer);
  v.setUint32(0, BpfProgType.SOCKET_FILTER, true);
  v.setUint32(4, insns.byteLength / 8, true);
  v.setBigUint64(8, addressOf(insns), true);
  v.setBigUint64(16, addressOf(license), true);
  try {
    close(bpfSyscall(BpfCmd.PROG_LOAD, attr));
    return 0;
  } catch (e) {
    if (!(e instanceof BpfSyscallError)) throw e;
    return e.errno;
  }
}

describeKernel('program commands', () => {
  // A handler for the signal can be installed from the main thread only (vitest's default
  // pool runs each test file in a process of its own); elsewhere SIGUSR2 would end the process.
  it.runIf(isMainThread)(
    'retries a load the verifier gave up on because a signal arrived (EAGAIN)',
    async () => {
      const insns = slowToVerify(400_000);
      const t0 = performance.now();
      close(progLoad({ progType: BpfProgType.SOCKET_FILTER, insns }));
      // The signal comes once the call has run 20 ms in the kernel: verification must last well
      // beyond that (~200 ms on the development machine).
      expect(performance.now() - t0).toBeGreaterThan(60);
      let signals = 0;
      const count = () => {
        signals++;
      };
      process.on('SIGUSR2', count);
      try {
        // One call: the verifier stops at the signal and returns EAGAIN.
        expect(await withSignalInLoad(() => loadOnce(insns))).toBe(11);
        // progLoad meets the same signal, at the same time, and tries again.
        const fd = await withSignalInLoad(() => progLoad({ progType: BpfProgType.SOCKET_FILTER, insns }));
        expect(progInfo(fd).type).toBe(BpfProgType.SOCKET_FILTER);
        close(fd);
        // both signals arrived (the handler runs from the event loop)
        for (let i = 0; i < 100 && signals < 2; i++) await new Promise((r) => setTimeout(r, 10));
        expect(signals).toBe(2);
      } finally {
        process.off('SIGUSR2', count);
      }
    },
  );

  it('progLoadAsync verifies on a worker thread: the event loop runs meanwhile, and loads overlap', async () => {
    const insns = slowToVerify(400_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = performance.now();
    let fds: number[] = [];
    try {
      fds = await Promise.all(
        [0, 1, 2].map((i) =>
          progLoadAsync({ progType: BpfProgType.SOCKET_FILTER, insns, progName: `slow_${i}` }),
        ),
      );
    } finally {
      clearInterval(timer);
    }
    try {
      // each load takes well over 60 ms (the test above); timers fired while they ran
      expect(performance.now() - t0).toBeGreaterThan(60);
      expect(ticks).toBeGreaterThan(3);
      expect(fds.map((fd) => progInfo(fd).name)).toEqual(['slow_0', 'slow_1', 'slow_2']);
    } finally {
      for (const fd of fds) close(fd);
    }
    // the same checks as progLoad, and the kernel's refusal as the same typed error
    await expect(
      progLoadAsync({ progType: BpfProgType.SOCKET_FILTER, insns: new Uint8Array(0) }),
    ).rejects.toThrow(/insns/);
    const refused = await progLoadAsync({
      progType: BpfProgType.SOCKET_FILTER,
      insns: hostCode(asm`exit`),
      logLevel: 1,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(BpfSyscallError);
    expect((refused as BpfSyscallError).command).toBe('BPF_PROG_LOAD');
    expect((refused as BpfSyscallError).log).toMatch(/R0 !read_ok/);
  });

  it('loads encoded bytes and runs them with PROG_TEST_RUN', () => {
    // r0 = 40; r0 += 2; exit
    const fd = progLoad({
      progType: BpfProgType.SOCKET_FILTER,
      insns: hostCode(asm`r0 = 40; r0 += 2; exit`),
      progName: 'answer',
    });
    try {
      const r = progTestRun({ progFd: fd, dataIn: new Uint8Array(64), repeat: 10 });
      expect(r.retval).toBe(42);
      const info = progInfo(fd);
      expect(info).toMatchObject({ type: BpfProgType.SOCKET_FILTER, name: 'answer', xlatedProgLen: 24 });
      expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      close(fd);
    }
  });

  it('sends only what a load gives: nothing of the load before carries over into the next', () => {
    const insns = hostCode(asm`r0 = 0; exit`);
    const loadName = (progName?: string) => {
      const fd = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns, ...(progName && { progName }) });
      try {
        return progInfo(fd).name;
      } finally {
        close(fd);
      }
    };
    expect(loadName('named_first')).toBe('named_first');
    expect(loadName()).toBe('');
    expect(loadName('a')).toBe('a');
    expect(loadName('')).toBe('');
  });

  it('passes the license, name and instructions intact, small ones copied and large ones by address', () => {
    const gpl = (license: string, progName = 'lic') => {
      const fd = progLoad({
        progType: BpfProgType.SOCKET_FILTER,
        insns: hostCode(asm`r0 = 0; exit`),
        license,
        progName,
      });
      try {
        const info = progInfo(fd);
        expect(info.name).toBe(progName);
        return info.gplCompatible;
      } finally {
        close(fd);
      }
    };
    expect(gpl('GPL')).toBe(true);
    expect(gpl('Dual BSD/GPL', 'dual_bsd_gpl_lo')).toBe(true);
    expect(gpl('Proprietary')).toBe(false);
    expect(gpl('GPL é')).toBe(false); // not ASCII: encoded as UTF-8, and not a GPL string
    // 10,000 instructions (80 KB, over the copy limit): r0 += 1 each, then exit
    const adds = Array.from({ length: 10_000 }, () => add(R0, 1));
    for (const insns of [
      hostCode(program(mov(R0, 0), ...adds.slice(0, 100), exit())),
      hostCode(program(mov(R0, 0), ...adds, exit())),
    ]) {
      const fd = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns });
      try {
        expect(progTestRun({ progFd: fd, dataIn: new Uint8Array(64) }).retval).toBe(insns.byteLength / 8 - 2);
      } finally {
        close(fd);
      }
    }
  });

  it('returns XDP packet data out of a test run', () => {
    const fd = progLoad({ progType: BpfProgType.XDP, insns: hostCode(asm`r0 = 2; exit`) });
    try {
      const data = new Uint8Array(64).fill(7);
      const out = new Uint8Array(64);
      const r = progTestRun({ progFd: fd, dataIn: data, dataOut: out });
      expect(r).toMatchObject({ retval: 2, dataSizeOut: 64 });
      expect(out).toEqual(data);
    } finally {
      close(fd);
    }
  });

  it('a rejected program throws with the verifier log and errno', () => {
    // exit without setting r0
    const err = (() => {
      try {
        progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: hostCode([exit()]), logLevel: 1 });
      } catch (e) {
        return e as PermissionError;
      }
    })();
    expect(err).toBeInstanceOf(PermissionError);
    expect(err?.code).toBe('EACCES');
    expect(err?.log).toMatch(/R0 !read_ok/);
    expect(err?.logTrueSize).toBeGreaterThan(0);
    expect(err?.message).toMatch(/BPF_PROG_LOAD.*verifier/);
  });

  it('enumerates ids and reopens objects by id', () => {
    const map = mapCreate({
      mapType: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      mapName: 'by_id',
    });
    const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: hostCode(asm`r0 = 0; exit`) });
    try {
      const { id: mapId } = mapInfo(map);
      const ids: number[] = [];
      for (let id = mapGetNextId(0); id !== null; id = mapGetNextId(id)) ids.push(id);
      expect(ids).toContain(mapId);
      const again = mapGetFdById(mapId);
      expect(mapInfo(again).name).toBe('by_id');
      close(again);
      const progId = progInfo(prog).id;
      let found = false;
      for (let id = progGetNextId(0); id !== null; id = progGetNextId(id)) found ||= id === progId;
      expect(found).toBe(true);
      const p2 = progGetFdById(progId);
      expect(progInfo(p2).id).toBe(progId);
      close(p2);
      expect(() => mapGetFdById(0x7ffffff0)).toThrow(NotFoundError);
    } finally {
      close(map);
      close(prog);
    }
  });

  it('pins on bpffs and gets the object back', () => {
    expect(mountedFsType('/sys/fs/bpf')).toBe('bpf');
    const map = mapCreate({
      mapType: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 3,
      mapName: 'pinned',
    });
    const path = `${dir}/nested/map`;
    try {
      pinObject(map, path);
      const fd = getPinned(path);
      expect(mapInfo(fd)).toMatchObject({ name: 'pinned', maxEntries: 3 });
      close(fd);
      unpin(path);
      expect(() => objGet(path)).toThrow(NotFoundError);
      expect(() => objGet(path)).toThrow(/nothing is pinned at this path/);
    } finally {
      close(map);
    }
  });

  it('counts run time while statistics are enabled', () => {
    const prog = progLoad({ progType: BpfProgType.SOCKET_FILTER, insns: hostCode(asm`r0 = 0; exit`) });
    const stats = enableStats(BpfStatsType.RUN_TIME);
    try {
      progTestRun({ progFd: prog, dataIn: new Uint8Array(64), repeat: 5 });
      expect(progInfo(prog).runCnt).toBeGreaterThan(0n);
    } finally {
      close(stats);
      close(prog);
    }
  });
});
