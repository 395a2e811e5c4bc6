import { u32, u64 } from '@ts-ebpf/maps';
import { AttachError, InterfaceNotFoundError, Link, loadedLinks, type Program } from '@ts-ebpf/programs';
import { BpfSyscallError, ensureTracefs, getpid } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { beforeAll, expect, it, onTestFinished, vi } from 'vitest';
import { AttachOptionsError, AttachRollbackError, checkSectionAttach, loadCollection } from '../src/index.js';
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

/** The links the kernel holds for `program` (every link on the machine, looked through). */
function linksOf(program: Program): number {
  const id = program.info().id;
  let n = 0;
  for (const link of loadedLinks()) if (link.info().progId === id) n++;
  return n;
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

  it('checks every program before attaching any: a missing target leaves nothing attached', () => {
    using c = loadCollection(object, { programs: ['on_getpid', 'on_xdp'] });
    const fds = openFds();
    const e = thrownBy(() => c.attach({}, ['on_getpid', 'on_xdp']));
    expect(e).toBeInstanceOf(AttachOptionsError);
    expect((e as Error).message).toBe(
      "program on_xdp (section xdp): attach option 'interface': missing: the section attaches to an interface name or index",
    );
    expect(linksOf(c.program('on_getpid'))).toBe(0); // the tracepoint was not attached first
    expect(leakedFds(fds)).toEqual([]);
    // the same check, with no kernel object made, from the spec
    expect(() => checkSectionAttach(c.spec, ['on_getpid', 'on_xdp'])).toThrow(AttachOptionsError);
    expect(() => checkSectionAttach(c.spec, ['on_getpid'])).not.toThrow();
    // and nothing stays attached to get in the way of the next attach
    c.attach({}, ['on_getpid']);
    expect(linksOf(c.program('on_getpid'))).toBe(1);
  });

  it('an attach that fails midway closes the links the call made, then throws naming the program', () => {
    using c = loadCollection(object, { programs: ['on_getpid', 'on_xdp'] });
    const fds = openFds();
    // the interface is of the right kind, so the check passes: attachXdp finds it missing
    const e = thrownBy(() => c.attach({ interface: 'tsnoif0' }, ['on_getpid', 'on_xdp']));
    expect(e).toBeInstanceOf(InterfaceNotFoundError);
    expect((e as Error).message).toMatch(/^program on_xdp \(section xdp\): .*tsnoif0/);
    expect(linksOf(c.program('on_getpid'))).toBe(0); // the tracepoint link made first is closed
    expect(leakedFds(fds)).toEqual([]);
    // links of an earlier call stay: a failing second call closes only its own
    const [kept] = c.attach({}, ['on_getpid']);
    expect(() => c.attach({ interface: 'tsnoif0' }, ['on_xdp'])).toThrow(InterfaceNotFoundError);
    expect(kept!.closed).toBe(false);
    expect(linksOf(c.program('on_getpid'))).toBe(1);
  });

  it('a rollback whose close fails too is an AttachRollbackError carrying both errors', () => {
    using c = loadCollection(object, { programs: ['on_getpid', 'on_xdp'] });
    const original = Link.prototype.close;
    const close = vi.spyOn(Link.prototype, 'close').mockImplementationOnce(function (this: Link) {
      original.call(this); // closed for real, then reported as failed
      throw new Error('injected close failure');
    });
    onTestFinished(() => close.mockRestore());
    const e = thrownBy(() => c.attach({ interface: 'tsnoif0' }, ['on_getpid', 'on_xdp']));
    expect(e).toBeInstanceOf(AttachRollbackError);
    expect((e as Error).cause).toBeInstanceOf(InterfaceNotFoundError);
    expect(((e as AttachRollbackError).closeError as Error).message).toBe('injected close failure');
    expect((e as Error).message).toMatch(
      /^program on_xdp \(section xdp\): .*tsnoif0.*; closing the links this attach\(\) had made failed too: injected close failure$/,
    );
    expect(linksOf(c.program('on_getpid'))).toBe(0);
  });
});
