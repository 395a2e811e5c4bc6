import { BpfArgumentError, BpfSyscallError, linkCreate } from '@ts-ebpf/syscall';
import { describeKernel, LoopbackNetns, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  ATTACH_KINDS,
  AttachError,
  attachKindAccepts,
  attachTcx,
  attachXdp,
  BpfAttachType,
  BpfProgType,
  ifindex,
  inNetns,
  Program,
  requireAttachKind,
} from '../src/index.js';
import { returns } from './helpers.js';

describe('ATTACH_KINDS', () => {
  it('names for every kind its attach function, a target and the program types it takes', () => {
    expect(Object.isFrozen(ATTACH_KINDS)).toBe(true);
    for (const [kind, r] of Object.entries(ATTACH_KINDS)) {
      expect(r.attachFunction, kind).toMatch(/^attach[A-Z]/);
      expect(r.programTypes.length, kind).toBeGreaterThan(0);
      for (const t of Object.keys(r.expectedAttachTypes)) expect(r.programTypes, kind).toContain(Number(t));
    }
    expect(attachKindAccepts('tcx', BpfProgType.SCHED_CLS)).toBe(true);
    expect(attachKindAccepts('tcx', BpfProgType.XDP)).toBe(false);
    expect(attachKindAccepts('xdp', BpfProgType.XDP, 0)).toBe(true);
    expect(attachKindAccepts('xdp', BpfProgType.XDP, BpfAttachType.XDP_DEVMAP)).toBe(false);
    expect(attachKindAccepts('cgroup', BpfProgType.CGROUP_SOCK_ADDR, BpfAttachType.CGROUP_INET4_BIND)).toBe(
      true,
    );
    expect(attachKindAccepts('cgroup', BpfProgType.CGROUP_SOCK_ADDR, BpfAttachType.SK_LOOKUP)).toBe(false);
    expect(() => attachKindAccepts('nope' as never, BpfProgType.XDP)).toThrow(/'nope' is not an attach kind/);
    expect(() => attachKindAccepts('nope' as never, BpfProgType.XDP)).toThrow(BpfArgumentError);
  });

  it('refuses a program described by its load options, before one is loaded, naming program, kind and types', () => {
    const error = thrownBy(() => requireAttachKind('tcx', { name: 'pass', type: BpfProgType.XDP }));
    expect(error).toBeInstanceOf(AttachError);
    expect((error as AttachError).target).toBe('a tcx hook');
    expect((error as Error).message).toBe(
      "cannot attach to a tcx hook: program 'pass' has type XDP; this attach point takes SCHED_CLS programs",
    );
    expect(() =>
      requireAttachKind('iter', {
        type: BpfProgType.TRACING,
        expectedAttachType: BpfAttachType.TRACE_FENTRY,
      }),
    ).toThrow(
      /loaded with expected attach type TRACE_FENTRY; this attach point takes TRACING programs loaded with expectedAttachType TRACE_ITER or none/,
    );
  });
});

describeKernel('ATTACH_KINDS against the kernel', () => {
  const load = (type: number, expectedAttachType?: number) =>
    Program.load({
      type,
      instructions: returns(type === BpfProgType.XDP ? 2 : 0),
      ...(expectedAttachType !== undefined && { expectedAttachType }),
    });

  it('an attach the table takes works; one it refuses is refused by our check, and by the kernel too', () => {
    using ns = new LoopbackNetns('akd');
    using xdp = load(BpfProgType.XDP);
    using cls = load(BpfProgType.SCHED_CLS);
    using devmap = load(BpfProgType.XDP, BpfAttachType.XDP_DEVMAP);
    const before = openFds().size;
    inNetns(ns.path, () => {
      const lo = ifindex('lo');
      // Taken by the table: the attach works.
      expect(attachKindAccepts('xdp', xdp.type, xdp.expectedAttachType)).toBe(true);
      attachXdp(xdp, 'lo', { via: 'link' }).close();
      expect(attachKindAccepts('tcx', cls.type, cls.expectedAttachType)).toBe(true);
      attachTcx(cls, 'lo', 'ingress').close();

      // Refused by the table: our check refuses it (no kernel error as its cause) …
      const cases = [
        {
          what: 'XDP on tcx',
          kind: 'tcx',
          p: xdp,
          attach: () => attachTcx(xdp, 'lo', 'ingress'),
          type: BpfAttachType.TCX_INGRESS,
        },
        {
          what: 'SCHED_CLS on xdp',
          kind: 'xdp',
          p: cls,
          attach: () => attachXdp(cls, 'lo'),
          type: BpfAttachType.XDP,
        },
        {
          what: 'XDP_DEVMAP on xdp',
          kind: 'xdp',
          p: devmap,
          attach: () => attachXdp(devmap, 'lo'),
          type: BpfAttachType.XDP,
        },
      ] as const;
      for (const c of cases) {
        expect(attachKindAccepts(c.kind, c.p.type, c.p.expectedAttachType), c.what).toBe(false);
        const ours = thrownBy(c.attach);
        expect(ours, c.what).toBeInstanceOf(AttachError);
        expect((ours as Error).cause, c.what).toBeUndefined();
        // … and the kernel, asked directly, refuses it as well: the table matches the kernel.
        const kernel = thrownBy(() => linkCreate({ progFd: c.p.fd, targetFd: lo, attachType: c.type }));
        expect(kernel, c.what).toBeInstanceOf(BpfSyscallError);
        expect((kernel as BpfSyscallError).code, c.what).toBe('EINVAL');
      }
    });
    expect(openFds().size).toBe(before);
  });
});
