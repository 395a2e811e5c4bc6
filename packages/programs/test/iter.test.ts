import { readdirSync } from 'node:fs';
import { membersOf } from '@ts-ebpf/btf';
import { bpf } from '@ts-ebpf/dsl';
import { BpfArgumentError, BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, hostCode, leakedFds, openFds } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { attachIter, IterReadError, kernelBtf, Program } from '../src/index.js';

/** A task iterator writing each task's pid (4 bytes) with bpf_seq_write. */
function taskPids(pidOffset: number): Uint8Array {
  return hostCode(bpf`
    r2 = *(u64 *)(r1 + 0) // meta
    r3 = *(u64 *)(r1 + 8) // task
    if r3 == 0 goto out
    r4 = *(u32 *)(r3 + ${pidOffset}) // task->pid
    *(u32 *)(r10 - 8) = r4
    r1 = *(u64 *)(r2 + 0) // meta->seq
    r2 = r10
    r2 += -8
    r3 = 4
    call bpf_seq_write
  out:
    r0 = 0
    exit`);
}

function loadTaskIter(): Program {
  const btf = kernelBtf();
  const taskStruct = btf.findIds('task_struct', 'struct')[0]!;
  const pid = membersOf(btf, taskStruct).find((m) => m.name === 'pid')!;
  return Program.load({
    type: BpfProgType.TRACING,
    expectedAttachType: BpfAttachType.TRACE_ITER,
    attachTo: 'task',
    name: 'pids',
    instructions: taskPids(pid.byteOffset),
  });
}

/** A task iterator program of `code` (bpf`` text between the context in r1 and exit). */
function loadTaskIterOf(name: string, code: string): Program {
  return Program.load({
    type: BpfProgType.TRACING,
    expectedAttachType: BpfAttachType.TRACE_ITER,
    attachTo: 'task',
    name,
    instructions: hostCode(bpf([code] as unknown as TemplateStringsArray)),
  });
}

function pids(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => v.getUint32(i * 4, true));
}

describeKernel('iterators', () => {
  it('a task iterator (attachTo resolved through BTF) lists this process', () => {
    using p = loadTaskIter();
    expect(p.info().attachBtfId).toBe(kernelBtf().findIds('bpf_iter_task', 'func')[0]);
    using link = attachIter(p);
    expect(link.info()).toMatchObject({ type: 'iter', target: 'task', mapId: 0, progId: p.info().id });
    const all = pids(link.open().readAll());
    expect(all).toContain(process.pid);
    expect(all.length).toBeGreaterThan(readdirSync('/proc/self/task').length);
    // A second run walks again.
    using reader = link.open(64);
    expect(pids(reader.readAll()).length).toBeGreaterThan(1);
  });

  it('reads as an async iterator and as a Node Readable, in small chunks', async () => {
    using p = loadTaskIter();
    using link = attachIter(p);
    const chunks: Uint8Array[] = [];
    for await (const c of link.open(16)) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(1);
    expect(pids(Buffer.concat(chunks))).toContain(process.pid);

    const streamed: Buffer[] = [];
    for await (const c of link.open(16).toReadable()) streamed.push(c as Buffer);
    expect(pids(Buffer.concat(streamed))).toContain(process.pid);
  });

  it('a task iterator filtered to one process with iterInfo', () => {
    using p = loadTaskIter();
    using link = attachIter(p, { pid: process.pid });
    const only = pids(link.open().readAll());
    expect(only).toContain(process.pid);
    const threads = new Set(readdirSync('/proc/self/task').map(Number));
    for (const tid of only) expect(threads.has(tid)).toBe(true);
  });

  it('a chunk size that is not a positive byte count is refused (0 read as the end: empty output), leaving no fd', () => {
    using p = loadTaskIter();
    using link = attachIter(p);
    const before = openFds();
    for (const size of [0, -1, 1.5]) {
      expect(() => link.open(size)).toThrow(BpfArgumentError);
      expect(() => link.open(size)).toThrow(/iterator chunk size/);
    }
    expect(leakedFds(before)).toEqual([]);
  });

  it("E2BIG and EAGAIN of an iterator's read are explained as what they mean for iterators", () => {
    // 80 writes of 512 bytes for the first task: more than the kernel's 32 KiB buffer for a read.
    const write =
      'r1 = *(u64 *)(r6 + 0)\n r1 = *(u64 *)(r1 + 0)\n r2 = r10\n r2 += -512\n r3 = 512\n call bpf_seq_write\n';
    using big = loadTaskIterOf(
      'too_big',
      `r6 = r1\n r7 = *(u64 *)(r6 + 8)\n if r7 == 0 goto out\n ${'*(u64 *)(r10 - 8) = 0\n'} ${write.repeat(80)} out:\n r0 = 0\n exit`,
    );
    using bigLink = attachIter(big);
    using bigReader = bigLink.open();
    expect(() => bigReader.readChunk()).toThrow(IterReadError);
    expect(() => bigLink.open().readAll()).toThrow(/E2BIG: the iterator program wrote more for one object/);

    using retry = loadTaskIterOf('retry', 'r0 = 1\n exit');
    using retryLink = attachIter(retry);
    using reader = retryLink.open();
    let error: unknown;
    try {
      reader.readChunk();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IterReadError);
    expect((error as IterReadError).code).toBe('EAGAIN');
    expect((error as Error).message).toMatch(/returned 1 \(retry this object\)/);
    expect((error as Error).cause).toBeDefined();
  });

  it('iterator attach options: one at a time, and no 0 (which the kernel reads as not given)', () => {
    using p = loadTaskIter();
    const before = openFds();
    // Before: the pid was dropped and the fd read as a thread id; pid 0 walked every task.
    expect(() => attachIter(p, { mapFd: 3, pid: process.pid })).toThrow(/mapFd and pid given: give one/);
    expect(() => attachIter(p, { tid: process.pid, iterInfo: new Uint8Array(16) })).toThrow(BpfArgumentError);
    expect(() => attachIter(p, { pid: 0 })).toThrow(/iterator option pid: 0 is not a positive u32/);
    expect(leakedFds(before)).toEqual([]);
  });
});
