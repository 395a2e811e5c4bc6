// The error catalog: every typed error of @ts-ebpf/macros, from a plausible mistake.
import { bpf } from '@ts-ebpf/dsl';
import { xdpPlugin } from '@ts-ebpf/dsl-xdp';
import { bytes, MapSpecError, MapType, perCpu, u32, u64 } from '@ts-ebpf/maps';
import {
  BpfAttachType,
  BpfProgType,
  InterfaceNotFoundError,
  kprobeUnsupportedReason,
  ProbeUnsupportedError,
  VerifierError,
} from '@ts-ebpf/programs';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import { DefinitionError, defineMap, defineProgram, ScriptError, script } from '../src/index.js';

const code = () => bpf`r0 = 2; exit`;
const counts = defineMap({ type: MapType.ARRAY, key: u32, value: u64, maxEntries: 1 });
const xdpProgram = defineProgram({ type: BpfProgType.XDP, build: code });

describe('macros: definition mistakes (no kernel needed)', () => {
  catalog([
    {
      what: 'a hash map without a key',
      act: () => defineMap({ name: 'flows', value: u64 }),
      error: DefinitionError,
      names: ["map 'flows'", 'key'],
    },
    {
      what: 'a key codec and a keySize that disagree',
      act: () => defineMap({ name: 'flows', key: u32, keySize: 8, value: u64 }),
      error: DefinitionError,
      names: ["map 'flows'", 'keySize', 'u32'],
    },
    {
      what: 'a map type that is no MapType',
      act: () => defineMap({ type: 9999, key: u32, value: u64 }),
      error: DefinitionError,
      names: ['type', '9999'],
    },
    {
      what: 'a kernel name the kernel refuses',
      act: () => defineMap({ name: 'my-map', key: u32, value: u64 }),
      error: DefinitionError,
      names: ['name', 'my-map'],
    },
    {
      what: 'a key for a keyless map type',
      act: () => defineMap({ type: MapType.QUEUE, key: u32, value: u64 }),
      error: DefinitionError,
      names: ['key', 'queue'],
    },
    {
      what: 'a plain value codec for a per-CPU map',
      act: () => defineMap({ type: MapType.PERCPU_ARRAY, key: u32, value: u64 }),
      error: DefinitionError,
      names: ['value', 'perCpu'],
    },
    {
      what: 'a perCpu codec for a map that is not per-CPU',
      act: () => defineMap({ type: MapType.ARRAY, key: u32, value: perCpu(u64) }),
      error: DefinitionError,
      names: ['value', 'not per-CPU'],
    },
    {
      what: 'a ring buffer size that is no power-of-2 number of pages',
      act: () => defineMap({ name: 'events', type: MapType.RINGBUF, maxEntries: 5000 }),
      error: MapSpecError,
      names: ['events', 'maxEntries', '5000'],
    },
    {
      what: 'a plugin without its section',
      act: () => defineProgram({ name: 'pass', plugin: xdpPlugin, build: code }),
      error: DefinitionError,
      names: ["program 'pass'", 'section'],
    },
    {
      what: 'a section the plugin does not have',
      act: () => defineProgram({ name: 'pass', plugin: xdpPlugin, section: 'tc/ingress', build: code }),
      error: DefinitionError,
      names: ["program 'pass'", 'tc/ingress', 'xdp'],
    },
    {
      what: 'a plugin and a type',
      act: () =>
        defineProgram({
          name: 'pass',
          plugin: xdpPlugin,
          section: 'xdp',
          type: BpfProgType.XDP,
          build: code,
        }),
      error: DefinitionError,
      names: ["program 'pass'", 'type', 'xdp'],
    },
    {
      what: 'a map that is not made with defineMap',
      act: () =>
        defineProgram({
          name: 'count',
          maps: { counts: { type: 2 } as never },
          type: BpfProgType.XDP,
          build: code,
        }),
      error: DefinitionError,
      names: ["program 'count'", 'maps.counts', 'defineMap'],
    },
    {
      what: 'an attach kind that does not exist (untyped caller)',
      act: () =>
        defineProgram({
          name: 'pass',
          type: BpfProgType.XDP,
          build: code,
          attach: { kind: 'xdpp', interface: 'eth0' } as never,
        }),
      error: DefinitionError,
      names: ["program 'pass'", 'attach.kind', 'xdpp'],
    },
    {
      what: 'an xdp attach without an interface (untyped caller)',
      act: () =>
        defineProgram({
          name: 'pass',
          type: BpfProgType.XDP,
          build: code,
          attach: { kind: 'xdp' } as never,
        }),
      error: DefinitionError,
      names: ["program 'pass'", 'attach.interface is missing', "attach kind 'xdp' needs it"],
    },
    {
      what: 'a uprobe without a symbol or an offset',
      act: () =>
        defineProgram({
          name: 'probe',
          type: BpfProgType.KPROBE,
          build: code,
          attach: { kind: 'uprobe', binary: '/bin/true' },
        }),
      error: DefinitionError,
      names: ["program 'probe'", 'attach.symbol'],
    },
    {
      what: 'a sockmap attach naming a map the program does not declare (untyped caller)',
      act: () =>
        defineProgram({
          name: 'verdict',
          maps: { counts },
          type: BpfProgType.SK_MSG,
          build: code,
          attach: { kind: 'sockmap', map: 'socks' } as never,
        }),
      error: DefinitionError,
      names: ["program 'verdict'", 'attach.map', 'socks', 'counts'],
    },
    {
      what: 'two programs declaring different maps under one name',
      act: () =>
        script({
          programs: {
            a: defineProgram({ maps: { counts }, type: BpfProgType.XDP, build: code }),
            b: defineProgram({
              maps: { counts: defineMap({ type: MapType.ARRAY, key: u32, value: u32, maxEntries: 1 }) },
              type: BpfProgType.XDP,
              build: code,
            }),
          },
        }),
      error: DefinitionError,
      names: ['maps.counts', "program 'a'", "program 'b'"],
    },
    {
      what: 'a script name that is no kernel object name',
      act: () => script({ maps: { 'per-flow': defineMap({ key: bytes(4), value: u64 }) } }),
      error: DefinitionError,
      names: ["map 'per-flow'", 'name'],
    },
    {
      what: 'an attach override for a program the script lacks (untyped caller)',
      act: () => script({ programs: { pass: xdpProgram }, attach: { passs: false } as never }),
      error: DefinitionError,
      names: ['attach.passs', 'pass'],
    },
    {
      what: 'a struct_ops member naming a program the script lacks (untyped caller)',
      act: () =>
        script({
          programs: { pass: xdpProgram },
          structOps: { cc: { type: 'tcp_congestion_ops', members: { ssthresh: 'nope' as 'pass' } } },
        }),
      error: DefinitionError,
      names: ["struct_ops 'cc'", 'members.ssthresh', 'nope'],
    },
    {
      what: 'an XDP mode that is none of the modes (untyped caller)',
      act: () =>
        defineProgram({
          name: 'pass',
          type: BpfProgType.XDP,
          build: code,
          attach: { kind: 'xdp', interface: 'lo', mode: 'generic' } as never,
        }),
      error: DefinitionError,
      names: ["program 'pass'", 'attach.mode', '"generic"', "'skb'"],
    },
    {
      what: 'a tc direction that is none of the directions, in a script override (untyped caller)',
      act: () =>
        script({
          programs: { pass: xdpProgram },
          attach: { pass: { kind: 'tc', interface: 'lo', direction: 'sideways' } as never },
        }),
      error: DefinitionError,
      names: ["program 'pass'", 'attach.direction', '"sideways"', "'ingress'"],
    },
    {
      what: 'a tp_btf attach of a program that names nothing to be loaded against',
      act: () =>
        defineProgram({
          name: 'sched',
          type: BpfProgType.TRACING,
          expectedAttachType: BpfAttachType.TRACE_RAW_TP,
          build: code,
          attach: { kind: 'tp_btf' },
        }),
      error: DefinitionError,
      names: ["program 'sched'", 'attachTo', 'tp_btf'],
    },
    {
      what: 'a map that is not an object from defineMap (untyped caller)',
      act: () => script({ maps: { m: { type: 1 } as never } }),
      error: DefinitionError,
      names: ['maps.m', 'defineMap'],
    },
    {
      what: 'a struct_ops registration without its ops struct (untyped caller)',
      act: () => script({ programs: { pass: xdpProgram }, structOps: { cc: { members: {} } as never } }),
      error: DefinitionError,
      names: ["struct_ops 'cc'", 'type', 'tcp_congestion_ops'],
    },
    {
      what: 'a value that is not an object from defineProgram',
      act: () => script({ programs: { pass: { build: code } as never } }),
      error: DefinitionError,
      names: ['programs.pass', 'defineProgram'],
    },
  ]);
});

describeKernel('macros: mistakes found in the kernel, wrapped in ScriptError', () => {
  catalog([
    {
      what: 'a program the verifier rejects',
      act: () =>
        script({ programs: { bad: defineProgram({ type: BpfProgType.XDP, build: () => bpf`exit` }) } }),
      error: ScriptError,
      names: ["load program 'bad'", 'R0'],
      cause: VerifierError,
    },
    {
      what: 'a build that returns nothing of a program (untyped caller)',
      act: () =>
        script({ programs: { bad: defineProgram({ type: BpfProgType.XDP, build: () => null as never }) } }),
      error: ScriptError,
      names: ["load program 'bad'", 'build', 'null'],
      cause: DefinitionError,
    },
    {
      what: 'an xdp attach to an interface that does not exist',
      act: () =>
        script({
          programs: { pass: xdpProgram },
          attach: { pass: { kind: 'xdp', interface: 'nosuchif0' } },
        }),
      error: ScriptError,
      names: ["attach program 'pass' (xdp)", 'nosuchif0'],
      cause: InterfaceNotFoundError,
    },
    {
      what: 'a plugin program whose build returns bytes',
      act: () =>
        script({
          programs: {
            pass: defineProgram({ plugin: xdpPlugin, section: 'xdp', build: () => new Uint8Array(16) }),
          },
        }),
      error: ScriptError,
      names: ["load program 'pass'", 'build'],
      cause: DefinitionError,
    },
    {
      what: 'instructions without a program type',
      act: () => script({ programs: { pass: defineProgram({ build: code }) } }),
      error: ScriptError,
      names: ["load program 'pass'", 'type'],
      cause: DefinitionError,
    },
    {
      what: 'a kprobe on a kernel without kprobes',
      act: () =>
        script({
          programs: {
            probe: defineProgram({
              type: BpfProgType.KPROBE,
              build: () => bpf`r0 = 0; exit`,
              attach: { kind: 'kprobe', symbol: '__x64_sys_getpid' },
            }),
          },
        }),
      error: ScriptError,
      names: ["attach program 'probe' (kprobe)", 'kprobe'],
      cause: ProbeUnsupportedError,
      skip: () => (kprobeUnsupportedReason() === undefined ? 'kprobes work on this kernel' : undefined),
    },
  ]);
});
