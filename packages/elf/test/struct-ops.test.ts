import { readFileSync } from 'node:fs';
import { StructOpsDataError, StructOpsMembersError } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { BpfMap, StructOpsMap, StructOpsTypeError, structOpsValueType } from '@ts-ebpf/maps';
import { StructOps, StructOpsLink, structOpsValue } from '@ts-ebpf/programs';
import { BpfProgType, Errno } from '@ts-ebpf/syscall';
import { bpffsTestDir, catalog, describeKernel, LoopbackNetns } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type Collection,
  ElfError,
  loadCollection,
  loadCollectionSpec,
  NameNotFoundError,
} from '../src/index.js';
import { CorpusBuild } from './corpus/build.js';
import { sendWithCongestionControl } from './tcp-in-netns.js';

/** Indexes of the `calls` map (struct-ops.bpf.c). */
const CALL = { init: 0, ssthresh: 1, congAvoid: 2, undoCwnd: 3, state: 4, cwndEvent: 5 } as const;
const TRANSFER = 4 << 20;

const tag = process.pid % 10000;
const LINK_CC = `tsebpf_l${tag}`;
const LEGACY_CC = `tsebpf_m${tag}`;
const MODULE_CC = `tsebpf_p${tag}`;

const available = () =>
  readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
const calls = (c: Collection, which: number) => {
  const v = c.map('calls').get(new Uint8Array(new Uint32Array([which]).buffer));
  return new DataView(v!.buffer, v!.byteOffset, 8).getBigUint64(0, true);
};

const BROKEN = {
  // A struct_ops type the kernel does not have.
  'missing-type.bpf.c': `#include "common.h"
struct tsebpf_no_such_ops { void (*go)(void); int x; };
SEC("struct_ops/go_impl") void BPF_PROG(go_impl) {}
SEC(".struct_ops.link") struct tsebpf_no_such_ops missing_ops = { .go = (void *)go_impl, .x = 1 };
`,
  // A data member tcp_congestion_ops lacks, set in the object.
  'extra-member.bpf.c': `#include "common.h"
struct tcp_congestion_ops___extra { u32 (*ssthresh)(struct sock *sk); u32 (*undo_cwnd)(struct sock *sk);
  void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked); char name[16]; u32 tsebpf_no_such_field; };
SEC("struct_ops/a") u32 BPF_PROG(a, struct sock *sk) { return 2; }
SEC("struct_ops/b") u32 BPF_PROG(b, struct sock *sk) { return 2; }
SEC("struct_ops/c") void BPF_PROG(c, struct sock *sk, u32 ack, u32 acked) {}
SEC(".struct_ops.link") struct tcp_congestion_ops___extra extra_ops = {
  .ssthresh = (void *)a, .undo_cwnd = (void *)b, .cong_avoid = (void *)c, .name = "tsebpf_x", .tsebpf_no_such_field = 7 };
`,
  // A program bound to a function pointer tcp_congestion_ops lacks.
  'missing-member.bpf.c': `#include "common.h"
struct tcp_congestion_ops___cb { u32 (*ssthresh)(struct sock *sk); void (*tsebpf_no_such_cb)(struct sock *sk); char name[16]; };
SEC("struct_ops/a") u32 BPF_PROG(a, struct sock *sk) { return 2; }
SEC("struct_ops/orphan_cb") void BPF_PROG(orphan_cb, struct sock *sk) {}
SEC(".struct_ops.link") struct tcp_congestion_ops___cb cb_ops = { .ssthresh = (void *)a, .tsebpf_no_such_cb = (void *)orphan_cb, .name = "tsebpf_y" };
`,
  // A tcp_congestion_ops without undo_cwnd, which the kernel requires.
  'no-undo-cwnd.bpf.c': `#include "common.h"
struct tcp_congestion_ops___nu { u32 (*ssthresh)(struct sock *sk); void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked); char name[16]; };
SEC("struct_ops/a") u32 BPF_PROG(a, struct sock *sk) { return 2; }
SEC("struct_ops/c") void BPF_PROG(c, struct sock *sk, u32 ack, u32 acked) {}
SEC(".struct_ops.link") struct tcp_congestion_ops___nu nu_ops = { .ssthresh = (void *)a, .cong_avoid = (void *)c, .name = "tsebpf_nu" };
`,
  // A tcp_congestion_ops implementing get_info, which the kernel does not take from BPF.
  'get-info.bpf.c': `#include "common.h"
struct tcp_congestion_ops___gi { u32 (*ssthresh)(struct sock *sk); u32 (*undo_cwnd)(struct sock *sk);
  void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked); u64 (*get_info)(struct sock *sk, u32 ext, int *attr, void *info); char name[16]; };
SEC("struct_ops/a") u32 BPF_PROG(a, struct sock *sk) { return 2; }
SEC("struct_ops/b") u32 BPF_PROG(b, struct sock *sk) { return 2; }
SEC("struct_ops/c") void BPF_PROG(c, struct sock *sk, u32 ack, u32 acked) {}
SEC("struct_ops/gi") u64 BPF_PROG(gi, struct sock *sk, u32 ext, int *attr, void *info) { return 0; }
SEC(".struct_ops.link") struct tcp_congestion_ops___gi gi_ops = {
  .ssthresh = (void *)a, .undo_cwnd = (void *)b, .cong_avoid = (void *)c, .get_info = (void *)gi, .name = "tsebpf_gi" };
`,
  // A struct_ops program no map uses.
  'unused-program.bpf.c': `#include "common.h"
SEC("struct_ops/lonely") u32 BPF_PROG(lonely, struct sock *sk) { return 2; }
`,
};

/** 16 characters: `char name[16]` holds them without their NUL (clang cuts a longer name there too). */
const CUT_NAME = `tsebpf_cut_${String(tag).padStart(5, '0')}`;

/**
 * struct-ops.bpf.c with one data member the kernel refuses (checked before the kernel is asked),
 * the value it holds, and the rule it breaks.
 */
const BAD_DATA = [
  {
    what: 'a name of 16 characters (cut to its array: no NUL)',
    defines: { CC_NAME: `"${CUT_NAME}"` },
    member: 'name',
    value: CUT_NAME,
    rule: 'name',
  },
  {
    what: "a name with a '-'",
    defines: { CC_NAME: `"tsebpf-b${tag}"` },
    member: 'name',
    value: `tsebpf-b${tag}`,
    rule: 'name',
  },
  {
    what: 'flags outside TCP_CONG_*',
    defines: { CC_FLAGS: '0x100' },
    member: 'flags',
    value: 0x100,
    rule: 'flags',
  },
  {
    what: 'a non-zero key (the kernel takes name and flags only)',
    defines: { CC_KEY: '7' },
    member: 'key',
    value: 7,
    rule: 'zero',
  },
] as const;

let build: CorpusBuild;
let linkObject: Buffer;
let legacyObject: Buffer;
const broken = new Map<string, Buffer>();
const badData = new Map<string, Buffer>();

beforeAll(() => {
  build = new CorpusBuild();
  linkObject = build.object('struct-ops.bpf.c', { defines: { CC_NAME: `"${LINK_CC}"` } });
  legacyObject = build.object('struct-ops.bpf.c', {
    defines: { CC_NAME: `"${LEGACY_CC}"`, CC_SECTION: '".struct_ops"' },
  });
  for (const [name, source] of Object.entries(BROKEN)) broken.set(name, build.object(name, { source }));
  for (const bad of BAD_DATA)
    badData.set(
      bad.what,
      build.object('struct-ops.bpf.c', { defines: { CC_NAME: `"${LINK_CC}"`, ...bad.defines } }),
    );
}, 120_000);
afterAll(() => build?.cleanup());

describeKernel('elf: struct_ops objects (a TCP congestion control in C)', () => {
  it('reads the struct_ops map, its section and which programs its members name', () => {
    const spec = loadCollectionSpec(linkObject);
    const m = spec.structOps.get('tsebpf_cc')!;
    expect(m).toMatchObject({ name: 'tsebpf_cc', section: '.struct_ops.link', link: true });
    expect(new Set(m.programs.values())).toEqual(
      new Set(['cc_init', 'cc_ssthresh', 'cc_cong_avoid', 'cc_set_state', 'cc_cwnd_event', 'cc_undo_cwnd']),
    );
    expect(spec.programs.get('cc_undo_cwnd')!.sectionDef.sleepable).toBe(true);
    expect(loadCollectionSpec(legacyObject).structOps.get('tsebpf_cc')).toMatchObject({
      section: '.struct_ops',
      link: false,
    });
  });

  for (const [mode, object, cc] of [
    ['.struct_ops.link (bpf_link)', () => linkObject, LINK_CC],
    ['.struct_ops (map update)', () => legacyObject, LEGACY_CC],
  ] as const) {
    it(`${mode}: registered by attach(), selected with setsockopt in a test netns, callbacks counted, unregistered on close`, async () => {
      using ns = new LoopbackNetns('so');
      {
        using c = loadCollection(object());
        const ops = c.structOps.get('tsebpf_cc')!;
        expect(ops.type).toBe('tcp_congestion_ops');
        expect(ops.registered).toBe(false);
        expect(available()).not.toContain(cc);
        // Each program is loaded against the member that names it (its index in kernel BTF).
        const members = structOpsValueType('tcp_congestion_ops').members;
        for (const [offset, name] of c.spec.structOps.get('tsebpf_cc')!.programs) {
          const p = c.program(name);
          expect(p.type).toBe(BpfProgType.STRUCT_OPS);
          const member = members[p.expectedAttachType!]!;
          expect(`${name}:${member.name}`).toBe(`${name}:${name.replace(/^cc_/, '')}`);
          expect(offset).toBeGreaterThanOrEqual(0);
        }
        const links = c.attach();
        expect(links).toHaveLength(1);
        expect(links[0]).toBeInstanceOf(StructOpsLink);
        expect(links[0]!.isBpfLink).toBe(mode.includes('link'));
        if (links[0]!.isBpfLink)
          expect(links[0]!.info()).toMatchObject({ type: 'struct_ops', mapId: ops.map.info().id });
        expect(available()).toContain(cc);
        expect(await sendWithCongestionControl(ns.path, cc, TRANSFER)).toBe(cc);
        expect(calls(c, CALL.init)).toBeGreaterThanOrEqual(1n);
        expect(calls(c, CALL.congAvoid)).toBeGreaterThan(0n);
        expect(calls(c, CALL.cwndEvent) + calls(c, CALL.state)).toBeGreaterThan(0n);
      }
      expect(available()).not.toContain(cc);
    });
  }

  it('registers through StructOps with the programs of the object, replaces through the link, unregisters on close', async () => {
    using ns = new LoopbackNetns('sp');
    using c = loadCollection(linkObject);
    const p = (n: string) => c.program(n);
    const full = {
      init: p('cc_init'),
      ssthresh: p('cc_ssthresh'),
      cong_avoid: p('cc_cong_avoid'),
      cwnd_event: p('cc_cwnd_event'),
      undo_cwnd: p('cc_undo_cwnd'),
    };
    using first = StructOps.create({
      type: 'tcp_congestion_ops',
      programs: full,
      fields: { name: MODULE_CC },
    });
    {
      using link = first.register();
      expect(first.registered).toBe(true);
      expect(available()).toContain(MODULE_CC);
      await sendWithCongestionControl(ns.path, MODULE_CC, TRANSFER);
      const events = calls(c, CALL.cwndEvent);
      expect(events).toBeGreaterThan(0n);
      expect(calls(c, CALL.congAvoid)).toBeGreaterThan(0n);

      // The same CC without cwnd_event: after the swap, traffic counts no more events.
      const { cwnd_event: _, ...without } = full;
      using second = StructOps.create({
        type: 'tcp_congestion_ops',
        programs: without,
        fields: { name: MODULE_CC },
      });
      link.replace(second, first);
      expect(link.info()).toMatchObject({ mapId: second.map.info().id });
      second.close(); // the link holds the map now
      const avoided = calls(c, CALL.congAvoid);
      await sendWithCongestionControl(ns.path, MODULE_CC, TRANSFER);
      expect(calls(c, CALL.cwndEvent)).toBe(events);
      expect(calls(c, CALL.congAvoid)).toBeGreaterThan(avoided);
      expect(available()).toContain(MODULE_CC);
    }
    expect(available()).not.toContain(MODULE_CC);
  });

  it('the kernel itself refuses each data value the loader refuses first (the same rules)', () => {
    // StructOps.create applies the same rules, so the bad bytes go to the map by hand: the value
    // of good ops with one member overwritten.
    using c = loadCollection(linkObject);
    const programs = {
      ssthresh: c.program('cc_ssthresh'),
      cong_avoid: c.program('cc_cong_avoid'),
      undo_cwnd: c.program('cc_undo_cwnd'),
    };
    const btf = kernelBtf();
    const layout = structOpsValueType('tcp_congestion_ops', btf);
    const good = structOpsValue({ type: 'tcp_congestion_ops', programs, fields: { name: LINK_CC } });
    const update = (value: Uint8Array) => {
      using map = StructOpsMap.create({ type: 'tcp_congestion_ops', btf, link: true, name: 'tsebpf_rules' });
      map.set(0, value);
    };
    /** The errno of the kernel's refusal, from the error or its causes. */
    const errnoOf = (e: unknown): number | undefined => {
      for (let x = e as { errno?: unknown; cause?: unknown } | undefined; x; x = x.cause as typeof x)
        if (typeof x.errno === 'number') return x.errno;
      return undefined;
    };
    update(good); // the value itself is one the kernel takes
    for (const bad of BAD_DATA) {
      const m = layout.members.find((k) => k.name === bad.member)!;
      const value = good.slice();
      const at = layout.dataOffset + m.offset;
      value.fill(0, at, at + m.size);
      if (typeof bad.value === 'string')
        value.set(new TextEncoder().encode(bad.value).subarray(0, m.size), at);
      else {
        expect(m.size, bad.member).toBe(4);
        new DataView(value.buffer).setUint32(at, bad.value, HOST_LITTLE_ENDIAN);
      }
      let thrown: unknown;
      try {
        update(value);
      } catch (e) {
        thrown = e;
      }
      expect(errnoOf(thrown), bad.what).toBe(Errno.EINVAL);
    }
  });

  it('pinMaps pins the struct_ops map with the others (as libbpf pin_maps), unregistered', () => {
    const dir = bpffsTestDir('ts-ebpf-struct-ops-pins');
    using c = loadCollection(linkObject);
    expect(c.pinMaps(dir)).toContain(`${dir}/tsebpf_cc`);
    using pinned = BpfMap.fromPin(`${dir}/tsebpf_cc`);
    expect(pinned.info().id).toBe(c.structOps.get('tsebpf_cc')!.map.info().id);
    expect(c.structOps.get('tsebpf_cc')!.registered).toBe(false);
    c.unpinMaps(dir);
  });

  it('with options.programs leaving out every program of a struct_ops map, still needs them: a typed error', () => {
    expect(() => loadCollection(linkObject, { programs: ['cc_init'] })).toThrow(NameNotFoundError);
  });
});

describeKernel('elf: struct_ops mistakes', () => {
  it.each(BAD_DATA)('$what: StructOpsDataError naming the map, the member and the rule', (bad) => {
    let thrown: unknown;
    try {
      loadCollection(badData.get(bad.what)!).close();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(StructOpsDataError);
    expect(thrown).toMatchObject({
      map: 'tsebpf_cc',
      type: 'tcp_congestion_ops',
      member: bad.member,
      rule: bad.rule,
    });
  });

  catalog([
    ...BAD_DATA.map((bad) => ({
      what: `a struct_ops map with ${bad.what}, refused before the kernel is asked`,
      act: () => loadCollection(badData.get(bad.what)!).close(),
      error: StructOpsDataError,
      names: ['struct_ops map tsebpf_cc', `tcp_congestion_ops.${bad.member}`],
    })),
    {
      what: 'a struct_ops map without a member the kernel requires, refused before any program loads',
      act: () => loadCollection(broken.get('no-undo-cwnd.bpf.c')!).close(),
      error: StructOpsMembersError,
      names: ['struct_ops map nu_ops', 'tcp_congestion_ops.undo_cwnd', 'required'],
    },
    {
      what: 'a struct_ops map implementing a member the kernel does not take from BPF',
      act: () => loadCollection(broken.get('get-info.bpf.c')!).close(),
      error: StructOpsMembersError,
      names: ['struct_ops map gi_ops', 'tcp_congestion_ops.get_info', 'leave it out'],
    },
    {
      what: 'a struct_ops map of a type the kernel lacks',
      act: () => loadCollection(broken.get('missing-type.bpf.c')!).close(),
      error: StructOpsTypeError,
      names: ['tsebpf_no_such_ops'],
    },
    {
      what: 'a struct_ops map setting a data member the kernel struct lacks',
      act: () => loadCollection(broken.get('extra-member.bpf.c')!).close(),
      error: StructOpsTypeError,
      names: ['tcp_congestion_ops', 'extra_ops', 'tsebpf_no_such_field'],
    },
    {
      what: 'a struct_ops program bound to a member the kernel struct lacks',
      act: () => loadCollection(broken.get('missing-member.bpf.c')!).close(),
      error: StructOpsTypeError,
      names: ['tcp_congestion_ops', 'tsebpf_no_such_cb', 'orphan_cb'],
    },
    {
      what: 'a struct_ops program that no struct_ops map uses',
      act: () => loadCollection(broken.get('unused-program.bpf.c')!).close(),
      error: ElfError,
      names: ["'lonely'", 'no .struct_ops map'],
    },
    {
      what: 'a struct_ops map whose programs were left out by options.programs',
      act: () => loadCollection(linkObject, { programs: ['cc_init'] }).close(),
      error: NameNotFoundError,
      names: ['tsebpf_cc', 'options.programs'],
    },
  ]);
});
