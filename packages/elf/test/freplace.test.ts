import { Program, type ProgramLoadOptions, tracingUnsupportedReason } from '@ts-ebpf/programs';
import { BpfAttachType, BpfProgType, PermissionError } from '@ts-ebpf/syscall';
import { describeKernel, itIfSupported, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { afterEach, beforeAll, expect, it, vi } from 'vitest';
import { returnZero } from '../../programs/src/return-zero.js';
import {
  type Collection,
  checkSectionAttach,
  loadCollection,
  loadCollectionSpec,
  ProgramTargetError,
  SectionAttachError,
  SpecEditError,
} from '../src/index.js';
import { compileFixture } from './compile.js';

// freplace-target.bpf.c: xdp_decide returns decide(2 * halve(len)): XDP_PASS (2) for 60 bytes
// and more, else XDP_DROP (1); decide is global, halve static. freplace.bpf.c: drop_all
// (freplace/decide) returns XDP_DROP, on_decide (fentry/decide) counts calls.
const targetObject = compileFixture('freplace-target.bpf.c');
const replacementObject = compileFixture('freplace.bpf.c');
const XDP_DROP = 1;
const XDP_PASS = 2;

let target: Collection;
/** The target XDP program, loaded once. */
const xdp = () => target.program('xdp_decide');
/** The BTF id of `name` among the target program's functions, as the kernel lists them. */
const funcId = (name: string) =>
  xdp()
    .funcInfo()
    .find((f) => f.name === name)!.typeId;

/** The spec of freplace.bpf.c with `program` loaded against `func` of the target program. */
function against(program: string, func: string) {
  const spec = loadCollectionSpec(replacementObject);
  spec.adjust.program(program).setAttachTarget(func, { program: xdp() });
  return spec;
}

/** The options loadCollection gives Program.load for each program it loads (the kernel is still asked). */
function spyLoads(): ProgramLoadOptions[] {
  const loads: ProgramLoadOptions[] = [];
  const original = Program.load.bind(Program);
  vi.spyOn(Program, 'load').mockImplementation((o) => {
    loads.push(o);
    return original(o);
  });
  return loads;
}

describeKernel('programs loaded against a function of another BPF program (freplace, fentry on BPF)', () => {
  beforeAll(() => {
    target = loadCollection(targetObject);
    return () => target.close();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('the target runs its global function, and lists it with its static one', () => {
    expect(xdp().testRun({ data: new Uint8Array(64) }).retval).toBe(XDP_PASS);
    expect(xdp().testRun({ data: new Uint8Array(20) }).retval).toBe(XDP_DROP);
    expect(
      xdp()
        .funcInfo()
        .map((f) => f.name),
    ).toEqual(['xdp_decide', 'halve', 'decide']);
  });

  it("an freplace program is loaded with the target's fd and the function's id in the target's BTF", () => {
    const reason = tracingUnsupportedReason('freplace'); // its trial loads first, unobserved
    const loads = spyLoads();
    const load = () => loadCollection(against('drop_all', 'decide'), { programs: ['drop_all'] });
    if (reason === undefined) {
      using c = load();
      const info = c.program('drop_all').info();
      expect(info.type).toBe(BpfProgType.EXT);
      expect(info.attachBtfId).toBe(funcId('decide'));
      expect(info.attachBtfObjId).toBe(xdp().info().btfId);
    } else {
      // This kernel refuses EXT programs as the probe's own trial load was refused.
      const e = thrownBy(load);
      expect(e).toBeInstanceOf(PermissionError);
      expect((e as Error).message).toContain('[drop_all]');
      expect(reason).toMatch(/EPERM/);
    }
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({
      type: BpfProgType.EXT,
      expectedAttachType: undefined,
      attachTo: undefined,
      attachProgFd: xdp().fd,
      attachBtfId: funcId('decide'),
    });
  });

  it('an fentry program traces a function of the target, a static one too', () => {
    const reason = tracingUnsupportedReason('fentry');
    const loads = spyLoads();
    for (const func of ['decide', 'halve']) {
      const load = () => loadCollection(against('on_decide', func), { programs: ['on_decide'] });
      if (reason === undefined) {
        using c = load();
        expect(c.program('on_decide').info().attachBtfId).toBe(funcId(func));
      } else expect(load).toThrow(PermissionError);
    }
    expect(
      loads.map((o) => [o.type, o.expectedAttachType, o.attachTo, o.attachProgFd, o.attachBtfId]),
    ).toEqual(
      ['decide', 'halve'].map((func) => [
        BpfProgType.TRACING,
        BpfAttachType.TRACE_FENTRY,
        undefined,
        xdp().fd,
        funcId(func),
      ]),
    );
  });

  it('refuses, before the kernel is asked, an freplace program without a target program', () => {
    const loads = spyLoads();
    const fds = openFds();
    const e = thrownBy(() => loadCollection(replacementObject, { programs: ['drop_all'] }));
    expect(e).toBeInstanceOf(ProgramTargetError);
    expect(e).toBeInstanceOf(SpecEditError);
    const { subject, setting, problem, target: func } = e as ProgramTargetError;
    expect([subject, setting, problem, func]).toEqual(['drop_all', 'attachTarget', 'no-program', 'decide']);
    expect((e as Error).message).toMatch(
      /^program 'drop_all': attachTarget names no program: an freplace program \(section freplace\/decide\)/,
    );
    // nothing was made: not even the object's maps
    expect(loads).toEqual([]);
    expect(leakedFds(fds)).toEqual([]);
    // setAttachTarget without a program says the same
    const spec = loadCollectionSpec(replacementObject);
    expect(() => spec.adjust.program('drop_all').setAttachTarget('decide')).toThrow(
      expect.objectContaining({ problem: 'no-program' }),
    );
  });

  it('refuses a target program without BTF, a function it lacks, and (freplace) a static function', () => {
    const loads = spyLoads();
    using bare = Program.load({ type: BpfProgType.XDP, instructions: returnZero(), name: 'bare' });
    const noBtf = loadCollectionSpec(replacementObject);
    noBtf.adjust.program('drop_all').setAttachTarget('decide', { program: bare });
    const cases: [ReturnType<typeof against>, string, RegExp][] = [
      [
        noBtf,
        'no-btf',
        /^program 'drop_all': attachTarget "decide": program 'bare' \(id \d+\) was loaded without BTF/,
      ],
      [
        against('drop_all', 'decid'),
        'no-function',
        /"decid": program 'xdp_decide' \(id \d+\) has no such function \(it has: xdp_decide, halve, decide\); did you mean 'decide'\?/,
      ],
      [
        against('drop_all', 'halve'),
        'static',
        /"halve": the function of program 'xdp_decide' \(id \d+\) is static/,
      ],
    ];
    loads.length = 0; // the bare program's own load
    for (const [spec, problem, message] of cases) {
      const e = thrownBy(() => loadCollection(spec, { programs: ['drop_all'] }));
      expect(e, problem).toBeInstanceOf(ProgramTargetError);
      expect((e as ProgramTargetError).problem).toBe(problem);
      expect((e as Error).message).toMatch(message);
    }
    expect(loads).toEqual([]);
  });

  it('refuses a program that cannot target a BPF program, when set and when its type changes later', () => {
    const spec = loadCollectionSpec(targetObject);
    const e = thrownBy(() => spec.adjust.program('xdp_decide').setAttachTarget('decide', { program: xdp() }));
    expect(e).toBeInstanceOf(ProgramTargetError);
    expect((e as Error).message).toBe(
      `program 'xdp_decide': attachTarget "decide" of another program: only freplace, fentry and fexit programs target a function of a BPF program (the kernel refuses the others)`,
    );
    // an fentry program given a target program, then made an fmod_ret program
    const changed = against('on_decide', 'decide');
    changed.adjust.program('on_decide').setExpectedAttachType(BpfAttachType.MODIFY_RETURN);
    expect(() => loadCollection(changed, { programs: ['on_decide'] })).toThrow(
      expect.objectContaining({ subject: 'on_decide', problem: 'program-type' }),
    );
    // a name without a program forgets the program given before: on_decide traces the kernel's decide()
    const forgotten = against('on_decide', 'decide');
    forgotten.adjust.program('on_decide').setAttachTarget('decide');
    expect(forgotten.programs.get('on_decide')!.attachProgram).toBeUndefined();
  });

  it('collection.attach of an freplace program needs the program it was loaded against', () => {
    const spec = loadCollectionSpec(replacementObject);
    const e = thrownBy(() => checkSectionAttach(spec, ['drop_all']));
    expect(e).toBeInstanceOf(SectionAttachError);
    expect((e as Error).message).toMatch(
      /drop_all.*freplace\/decide.*setAttachTarget\(func, \{ program \}\)/,
    );
    expect(() => checkSectionAttach(against('drop_all', 'decide'), ['drop_all'])).not.toThrow();
  });

  itIfSupported(
    "collection.attach replaces the target's function: the target then drops every packet",
    tracingUnsupportedReason('freplace'),
    () => {
      using c = loadCollection(against('drop_all', 'decide'), { programs: ['drop_all'] });
      const [link] = c.attach();
      expect(xdp().testRun({ data: new Uint8Array(64) }).retval).toBe(XDP_DROP);
      link!.close();
      expect(xdp().testRun({ data: new Uint8Array(64) }).retval).toBe(XDP_PASS);
    },
  );
});
