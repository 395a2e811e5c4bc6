import { readdirSync } from 'node:fs';
import { membersOf } from '@ts-ebpf/btf';
import { bpf } from '@ts-ebpf/dsl';
import { BpfAttachType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { attachIter, kernelBtf, Program } from '../src/index.js';

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
});
