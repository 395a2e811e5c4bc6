import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { exit, mark, mov, program, R0, R1, R6, R7, R8 } from '@ts-ebpf/dsl';
import { BpfMap } from '@ts-ebpf/maps';
import { Program } from '@ts-ebpf/programs';
import { describeFdTarget, fdTarget } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfMapType } from '@ts-ebpf/uapi';
import { expect, it } from 'vitest';
import {
  BtfPrintFlag,
  IterTargetError,
  iter,
  mapEntriesDump,
  openFilesDump,
  record,
  seqPrintf,
  seqPrintfBtf,
  seqWrite,
  taskDump,
  tcpSocketTable,
  UncheckedPointerError,
} from '../src/index.js';
import { type BpfIterator, loadIterator, probeIterTargets } from '../src/kernel.js';

interface ProcTask {
  tgid: number;
  comm: string;
}

/** Every thread in /proc now: tid → tgid and comm. */
function procTasks(): Map<number, ProcTask> {
  const out = new Map<number, ProcTask>();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // the process exited while we walked
    }
    for (const t of tids) {
      try {
        const comm = readFileSync(`/proc/${p}/task/${t}/comm`, 'utf8').replace(/\n$/, '');
        out.set(Number(t), { tgid: Number(p), comm });
      } catch {
        // the thread exited while we walked
      }
    }
  }
  return out;
}

async function all<T>(g: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
}

describeKernel('dsl-iter on the kernel', () => {
  const btf = kernelBtf();

  it('probes the targets: most load, the map-element ones are refused with the reason', () => {
    const probes = probeIterTargets(btf);
    const ok = probes.filter((p) => p.available).map((p) => p.target);
    expect(ok).toEqual(
      expect.arrayContaining([
        'task',
        'task_file',
        'task_vma',
        'bpf_map',
        'tcp',
        'udp',
        'unix',
        'ksym',
        'cgroup',
      ]),
    );
    for (const p of probes.filter((x) => !x.available)) expect(p.reason).toMatch(/\S/);
    const elem = probes.find((p) => p.target === 'bpf_map_elem')!;
    if (!elem.available) expect(elem.reason).toMatch(/^EPERM for a program that only returns 0, although/);
  });

  it("the task iterator's records equal /proc's task list at the same moment", async () => {
    const { program, layout } = taskDump(btf);
    using it = loadIterator(program, { name: 'ps' });
    const before = procTasks();
    const records = await all(it.records(layout, 4096));
    const after = procTasks();
    const seen = new Map(records.map((r) => [r.pid, r]));
    expect(seen.size).toBe(records.length); // each thread once
    // Every thread alive in both /proc reads is in the iterator's output, with its tgid and comm.
    let common = 0;
    const missing: number[] = [];
    for (const [tid, t] of before) {
      const later = after.get(tid);
      if (!later || later.tgid !== t.tgid) continue;
      common++;
      const r = seen.get(tid);
      if (!r) {
        missing.push(tid);
        continue;
      }
      expect(r.tgid).toBe(t.tgid);
      // /proc gives kernel threads their full name ('rcu_exp_par_gp_kthread_worker/0') and workqueue
      // workers their queue ('kworker/0:0H-events_highpri'): task->comm (15 chars at most) is its prefix.
      const sameComm = (c: string) =>
        c === r.comm || ((r.comm.length === 15 || r.comm.startsWith('kworker/')) && c.startsWith(r.comm));
      expect(sameComm(t.comm) || sameComm(later.comm), `thread ${tid}: ${r.comm} vs ${t.comm}`).toBe(true);
    }
    expect(common).toBeGreaterThan(10);
    // Measured on this VM: process 1 (the VM's supervisor, whose /proc/1/ns/pid even root
    // cannot read) and its threads are never visited by the kernel's task iterator. Every
    // other thread is.
    expect(missing.filter((tid) => before.get(tid)!.tgid !== 1)).toEqual([]);
    // Every thread the iterator saw is in /proc, unless it started and exited between the reads.
    for (const r of records) {
      if (before.has(r.pid) || after.has(r.pid)) continue;
      expect(
        readdirSync('/proc').includes(String(r.tgid)),
        `thread ${r.pid} is in neither /proc read yet alive`,
      ).toBe(false);
    }
    const me = seen.get(process.pid)!;
    expect(me).toMatchObject({ tgid: process.pid, ppid: process.ppid, uid: process.getuid!() });
  });

  it("an iterator reader's fd is the kernel's anon_inode:bpf_iter, which describeFdTarget names", () => {
    const { program } = taskDump(btf);
    using it = loadIterator(program, { params: { pid: process.pid } });
    // Each fd with what it refers to (the fd readdir itself holds is closed by then: undefined).
    const fds = () => new Map(readdirSync('/proc/self/fd').map((n) => [Number(n), fdTarget(Number(n))]));
    const before = fds();
    const reader = it.open();
    try {
      const opened = [...fds()].filter(([fd, target]) => target !== undefined && before.get(fd) !== target);
      expect(opened.map(([, target]) => target)).toEqual(['anon_inode:bpf_iter']);
      expect(describeFdTarget('anon_inode:bpf_iter')).toBe('iterator reader');
    } finally {
      reader.close();
    }
  });

  it('task iteration by pid, tid and pidfd, through iterator parameters', async () => {
    const { program, layout } = taskDump(btf);
    const threads = new Set(readdirSync('/proc/self/task').map(Number));
    using byPid = loadIterator(program, { params: { pid: process.pid } });
    const mine = await all(byPid.records(layout));
    expect(new Set(mine.map((r) => r.pid))).toEqual(threads);
    using byTid = loadIterator(program, { params: { tid: process.pid } });
    expect((await all(byTid.records(layout))).map((r) => r.pid)).toEqual([process.pid]);
  });

  it('bpf_map lists the maps this test created (id and name, seq_write of a record)', async () => {
    const s = iter(btf, 'bpf_map');
    const L = record({ id: 'u32', name: { string: 16 } });
    const at = -L.size;
    using it = loadIterator(
      s.build([
        s.loadChecked('map', R7, 'out'),
        s.read(R0, R7, 'map', 'id'),
        L.store('id', R0, at),
        s.copy(at + L.offsetOf('name'), R7, 'map', 'name').instructions,
        seqWrite(s, at, L.size),
        mark('out'),
        mov(R0, 0),
        exit(),
      ]),
    );
    using a = BpfMap.create({
      type: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
      name: 'iter_test_a',
    });
    using h = BpfMap.create({
      type: BpfMapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
      name: 'iter_test_h',
    });
    const maps = await all(it.records(L));
    expect(maps).toContainEqual({ id: a.info().id, name: 'iter_test_a' });
    expect(maps).toContainEqual({ id: h.info().id, name: 'iter_test_h' });
  });

  it('bpf_map_elem: refused by this kernel with the reason, or dumps a hash map equal to a map walk', async () => {
    using h = BpfMap.create({
      type: BpfMapType.HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 8,
      name: 'iter_elem',
    });
    for (let k = 1; k <= 5; k++) h.set(u32(k), u64(BigInt(k * 1000)));
    let it: BpfIterator;
    try {
      it = loadIterator(mapEntriesDump(btf, 4, 8), { params: { map: h.fd } });
    } catch (e) {
      // The message is checked in refusal.test.ts.
      expect(e).toBeInstanceOf(IterTargetError);
      expect((e as Error).message).toMatch(/^iterator target 'bpf_map_elem': EPERM, and also for a program/);
      expect((e as Error).cause).toMatchObject({ code: 'EPERM' });
      return;
    }
    using _it = it;
    const L = record({ key: { bytes: 4 }, value: { bytes: 8 } });
    const dumped = (await all(it.records(L))).map((r) => [
      Buffer.from(r.key).toString('hex'),
      Buffer.from(r.value).toString('hex'),
    ]);
    const walked = [...h.entries()].map(([k, v]) => [
      Buffer.from(k).toString('hex'),
      Buffer.from(v).toString('hex'),
    ]);
    expect(dumped.sort()).toEqual(walked.sort());
  });

  it('tcp lists a listening socket this test opened, with its port and state (text lines)', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      using it = loadIterator(tcpSocketTable(btf));
      const rows = (await all(it.lines())).map((l) => l.split(' ').map(Number));
      const listening = rows.filter(
        ([family, state, lport]) => family === 2 && state === 10 && lport === port,
      );
      expect(listening).toHaveLength(1);
      expect(listening[0]![4]).toBe(process.getuid!());
    } finally {
      server.close();
    }
  });

  it('ksym finds a known kernel symbol (seq_printf of a name the kernel reads with %s)', async () => {
    const s = iter(btf, 'ksym');
    using it = loadIterator(
      s.build([
        s.loadChecked('ksym', R7, 'out'),
        s.read(R8, R7, 'ksym', 'value'),
        s.address(R7, R7, 'ksym', 'name'),
        seqPrintf(s, '%llx %s\n', [R8, R7]),
        mark('out'),
        mov(R0, 0),
        exit(),
      ]),
    );
    const names = new Map<string, string>();
    for await (const line of it.lines()) {
      const [addr, name] = line.split(' ');
      names.set(name!, addr!);
    }
    expect(names.has('bpf_prog_load')).toBe(true);
    expect(names.has('schedule')).toBe(true);
    expect(names.size).toBeGreaterThan(10000);
  });

  it('open files: this process has its own fds listed with their inode numbers', async () => {
    using it = loadIterator(openFilesDump(btf), { params: { pid: process.pid } });
    const rows = (await all(it.lines())).map((l) => l.split(' ').map(Number));
    const fds = readdirSync('/proc/self/fd').map(Number);
    const listed = new Set(rows.filter((r) => r[0] === process.pid).map((r) => r[1]));
    // fds opened by readdir itself are closed again; the stdio ones stay
    for (const fd of [0, 1, 2]) if (fds.includes(fd)) expect(listed.has(fd)).toBe(true);
  });

  it("seq_printf_btf prints this thread's task_struct as the kernel formats it; meta.seq_num counts", () => {
    const s = iter(btf, 'task');
    using it = loadIterator(
      s.build([
        s.loadChecked('task', R7, 'out'),
        s.seqNum(R8),
        seqPrintf(s, 'seq_num=%llu\n', [R8]),
        seqPrintfBtf(s, R7, 'struct task_struct', { flags: BtfPrintFlag.COMPACT }),
        mark('out'),
        mov(R0, 0),
        exit(),
      ]),
      { params: { tid: process.pid } },
    );
    const text = it.text();
    expect(text.startsWith('seq_num=0\n(struct task_struct){')).toBe(true);
    expect(text).toContain(`.pid = (pid_t)${process.pid},`);
  });

  it('an unchecked nullable pointer is refused before the kernel, naming it; the kernel agrees', () => {
    const s = iter(btf, 'task');
    const body = [s.load('task', R7), s.read(R0, R7, 'task', 'pid'), mov(R0, 0), exit()];
    expect(() => s.build(body)).toThrow(UncheckedPointerError);
    expect(() => s.build(body)).toThrow(/ctx->task may be NULL and is used at instruction 2/);
    // The verifier refuses the same program (built without the check) for the same reason.
    const checked = s.build([
      s.loadChecked('task', R7, 'out'),
      s.read(R0, R7, 'task', 'pid'),
      mark('out'),
      mov(R0, 0),
      exit(),
    ]);
    const unchecked = { ...checked, instructions: program(mov(R6, R1), body) };
    expect(() => Program.load(unchecked)).toThrow(/trusted_ptr_or_null_/);
    Program.load(checked).close();
  });
});

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
}
function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}
