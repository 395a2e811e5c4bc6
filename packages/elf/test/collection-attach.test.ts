import { u32, u64 } from '@ts-ebpf/maps';
import { AttachError } from '@ts-ebpf/programs';
import { BpfSyscallError, ensureTracefs, getpid } from '@ts-ebpf/syscall';
import { describeKernel, thrownBy } from '@ts-ebpf/test-utils';
import { beforeAll, expect, it } from 'vitest';
import { loadCollection } from '../src/index.js';
import { compileFixture } from './compile.js';

// sample.bpf.c: on_getpid (tracepoint/syscalls/sys_enter_getpid) counts into counts[1],
// on_xdp (xdp) needs an interface, on_connect (cgroup/connect4) a cgroup.
const object = compileFixture('sample.bpf.c');

/** getpid() calls on_getpid counted while `fn` ran. */
function countedGetpids(c: ReturnType<typeof loadCollection>, fn: () => void): bigint {
  const counts = c.map('counts', { key: u32, value: u64 });
  const before = counts.get(1)!;
  fn();
  return counts.get(1)! - before;
}

describeKernel('collection.attach', () => {
  beforeAll(() => {
    ensureTracefs();
  });

  it('a program attached to its tracepoint already: an AttachError naming the program, its section and why', () => {
    using c = loadCollection(object, { programs: ['on_getpid'] });
    const [first] = c.attach();
    const e = thrownBy(() => c.attach());
    expect(e).toBeInstanceOf(AttachError);
    expect((e as Error).message).toMatch(
      /^program on_getpid \(section tracepoint\/syscalls\/sys_enter_getpid\): cannot attach to tracepoint syscalls\/sys_enter_getpid: program 'on_getpid' is attached to it already \(EEXIST\): .*once per tracepoint; close the first link, or load the program a second time/,
    );
    expect(((e as Error).cause as Error).cause).toBeInstanceOf(BpfSyscallError);
    // the first attach still counts; closed, the program attaches again
    expect(countedGetpids(c, () => getpid())).toBeGreaterThanOrEqual(1n);
    first!.close();
    c.attach();
    expect(countedGetpids(c, () => getpid())).toBeGreaterThanOrEqual(1n);
  });
});
