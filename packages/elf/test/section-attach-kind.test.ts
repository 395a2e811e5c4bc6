import { BpfProgType } from '@ts-ebpf/programs';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import { checkSectionAttach, loadCollection, loadCollectionSpec, SectionAttachError } from '../src/index.js';
import { compileFixture } from './compile.js';

// sample.bpf.c: on_xdp (section xdp), on_getpid (tracepoint/syscalls/sys_enter_getpid).
const object = compileFixture('sample.bpf.c');

describeKernel('checkSectionAttach: a program its section cannot attach after setType', () => {
  it('refuses, before anything is loaded, an xdp section whose program was made sched_cls', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.program('on_xdp').setType(BpfProgType.SCHED_CLS);
    const fds = openFds();
    const e = thrownBy(() => checkSectionAttach(spec, ['on_xdp'], { interface: 'lo' }));
    expect(e).toBeInstanceOf(SectionAttachError);
    expect((e as Error).message).toBe(
      "program on_xdp (section xdp): the section attaches with attachXdp, which cannot attach it as loaded: program 'on_xdp' has type SCHED_CLS; this attach point takes XDP programs",
    );
    expect(leakedFds(fds)).toEqual([]);
    // A section's own type passes.
    expect(() =>
      checkSectionAttach(loadCollectionSpec(object), ['on_xdp'], { interface: 'lo' }),
    ).not.toThrow();
    // Collection.attach runs the same check for every program before it attaches one.
    using c = loadCollection(spec, { programs: ['on_getpid', 'on_xdp'] });
    expect(c.program('on_xdp').type).toBe(BpfProgType.SCHED_CLS);
    expect(() => c.attach({ interface: 'lo' }, ['on_getpid', 'on_xdp'])).toThrow(SectionAttachError);
  });
});
