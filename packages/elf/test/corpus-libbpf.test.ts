/**
 * Differential test: every corpus object is loaded by libbpf (the system's libbpf 1.1,
 * through test/corpus/libbpf-load.c) and by loadCollection, and the kernel's view of both
 * is compared: per program its type, the expected attach type each loader asked for, its
 * kernel name, tag, xlated instructions, GPL compatibility, BTF, func_info and line_info
 * counts and attach BTF ids; per map its type, sizes, max_entries, flags, map_extra, whether
 * it has BTF (and key/value types) and its btf_vmlinux_value_type_id. What libbpf 1.1 cannot load, or neither loader can load here, is listed below
 * with the reason and left out of both loads; nothing else is skipped. Every .bpf.c file
 * under test/corpus and test/fixtures must appear here (a test checks it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapInfo } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollection, loadCollectionSpec, readKernelConfig } from '../src/index.js';
import { compileFixtureIn } from './compile.js';
import { CorpusBuild } from './corpus/build.js';
import {
  buildLibbpfLoad,
  debugInfoCounts,
  LibbpfLoadError,
  type LibbpfMap,
  libbpfLoad,
  libbpfLoadServer,
  normalizeXlated,
  xlatedOf,
} from './corpus/libbpf.js';

interface Case {
  /** A corpus source (test/corpus) or, as `fixtures/<name>`, a fixture (test/fixtures). */
  source: string;
  /** What the test names the case by when one source is compiled more than one way (default: `source`). */
  label?: string;
  defines?: Record<string, string>;
  /** More include directories, searched after the system's, as the source's own test compiles it. */
  includeAfter?: readonly string[];
  /** Compile against bpftool's vmlinux.h rather than dumpC's (as core.test.ts compiles core-kernel.bpf.c). */
  bpftoolVmlinux?: boolean;
  /** Kernel config values loadCollection is given instead of its own (with `differs` saying why). */
  kconfig?: Record<string, string>;
  /** Where loadCollection and libbpf 1.1 differ by design on this object, and why. */
  differs?: string;
  /** Programs libbpf 1.1 cannot load, with the reason: loaded by neither side. */
  libbpfCannot?: Record<string, string>;
  /** Programs neither loader can load on this machine: why, and what loadCollection's error says. */
  neitherCan?: Record<string, { reason: string; error: RegExp }>;
}

/** A TCP congestion control name of this run (TCP_CA_NAME_MAX is 16 with the NUL). */
const CC_NAME = `tsd${process.pid % 100000}`;

/** The fixtures' directory (for the headers they include). */
const FIXTURES = new URL('./fixtures', import.meta.url).pathname;

const CASES: Case[] = [
  { source: 'tracing.bpf.c' },
  { source: 'maps.bpf.c' },
  {
    source: 'net.bpf.c',
    libbpfCannot: {
      tc_count: 'SEC("tcx/ingress"): libbpf 1.1 has no tcx sections (load: "missing BPF prog type")',
      on_netfilter: 'SEC("netfilter"): libbpf 1.1 has no netfilter section',
    },
  },
  { source: 'uprobe.bpf.c', defines: { TARGET_BINARY: '"/bin/true"' } },
  { source: 'iter.bpf.c' },
  { source: 'callbacks.bpf.c' },
  { source: 'fixtures/sample.bpf.c' },
  { source: 'fixtures/maps.bpf.c' },
  { source: 'fixtures/kconfig.bpf.c' },
  { source: 'fixtures/ksym-typeless.bpf.c' },
  {
    source: 'fixtures/core-task.bpf.c',
    neitherCan: {
      read_missing: {
        reason:
          'by design: a CO-RE read of a field the kernel lacks is poisoned, and the verifier refuses it',
        error: /read_missing[\s\S]*no_such_member[\s\S]*poisoned/,
      },
    },
  },
  {
    source: 'unsupported.bpf.c',
    neitherCan: {
      on_fentry: { reason: 'fentry: EPERM, ftrace trampolines are blocked on this machine', error: /EPERM/ },
      on_lsm: { reason: 'lsm: EPERM, as fentry', error: /EPERM/ },
    },
  },
  {
    source: 'virtual-kconfig.bpf.c',
    kconfig: { LINUX_HAS_SYSCALL_WRAPPER: 'n' },
    differs:
      'LINUX_HAS_SYSCALL_WRAPPER: libbpf 1.1 probes it by creating a kprobe on __x64_sys_bpf, which fails on this ' +
      'kernel (no CONFIG_KPROBES), so it sets 0; loadCollection finds __x64_sys_bpf in /proc/kallsyms and sets 1, ' +
      "which is true here (virtual-kconfig.test.ts checks that). loadCollection is given libbpf's value to compare the rest",
  },
  {
    // struct_ops/ only: libbpf 1.1 has no struct_ops.s (see LIBBPF_REFUSES for the object as struct-ops.test.ts builds it)
    source: 'struct-ops.bpf.c',
    label: 'struct-ops.bpf.c (.struct_ops, no struct_ops.s)',
    defines: {
      CC_NAME: `"${CC_NAME}s"`,
      CC_SECTION: '".struct_ops"',
      UNDO_SECTION: '"struct_ops/cc_undo_cwnd"',
    },
  },
  {
    source: 'usdt.bpf.c',
    defines: { TARGET_BINARY: '"/bin/true"' },
    includeAfter: ['/usr/include/x86_64-linux-gnu'],
  },
  {
    // without its legacy `maps` definition, which libbpf 1.x refuses (see LIBBPF_REFUSES)
    source: 'fixtures/adjust.bpf.c',
    label: 'fixtures/adjust.bpf.c (no legacy map)',
    defines: { NO_LEGACY_MAP: '1' },
  },
  {
    source: 'fixtures/sections.bpf.c',
    libbpfCannot: Object.fromEntries(
      [
        ['tc_in', 'tc/ingress'],
        ['tc_out', 'tc/egress'],
        ['tcx_out', 'tcx/egress'],
        ['nk_primary', 'netkit/primary'],
        ['c_connect_unix', 'cgroup/connect_unix'],
        ['c_sendmsg_unix', 'cgroup/sendmsg_unix'],
        ['c_recvmsg_unix', 'cgroup/recvmsg_unix'],
        ['c_getpeername_unix', 'cgroup/getpeername_unix'],
        ['c_getsockname_unix', 'cgroup/getsockname_unix'],
        ['on_call_multi', 'uprobe.multi/corpus_*'],
        ['on_return_multi', 'uretprobe.multi/corpus_target'],
        ['on_session', 'uprobe.session/corpus_target'],
      ].map(([name, section]) => [
        name,
        `SEC("${section}"): libbpf 1.1 does not know the section ("missing BPF prog type")`,
      ]),
    ),
  },
  {
    source: 'fixtures/plugin-helpers.bpf.c',
    neitherCan: {
      refused: {
        reason:
          'the kernel refuses bpf_skb_load_bytes in an XDP program (plugin-check.test.ts checks it before the kernel)',
        error: /refused[\s\S]*bpf_skb_load_bytes/,
      },
    },
  },
  {
    source: 'fixtures/core.bpf.c',
    neitherCan: Object.fromEntries(
      [
        'off_pid',
        'off_flags',
        'off_anon_b',
        'off_pts_y',
        'load_small',
        'load_gone',
        'size_pts',
        'size_small',
        'signed_sbits',
        'signed_flags',
        'bf_mid',
        'bf_sbits',
        'flavor_pid',
        'flavor_gone',
        'evalue',
        'evalue_missing',
        'evalue64',
      ].map((name) => [
        name,
        {
          reason:
            "by design: a CO-RE relocation against the fixture's own types, which this kernel lacks, is poisoned " +
            '(core.test.ts relocates them against a synthetic target)',
          error: new RegExp(`${name}[\\s\\S]*poisoned`),
        },
      ]),
    ),
  },
  { source: 'fixtures/freplace-target.bpf.c' },
  {
    // Standalone, as the corpus loads every object: freplace.test.ts loads it against freplace-target's program.
    source: 'fixtures/freplace.bpf.c',
    neitherCan: {
      drop_all: {
        reason:
          'an freplace program needs a target program (libbpf: bpf_program__set_attach_target with its fd)',
        error: /program 'drop_all': attachTarget names no program/,
      },
      on_decide: {
        reason:
          "fentry/decide without a target program names a kernel function, and the kernel's BTF has no decide",
        error: /no func named 'decide' in the kernel's BTF/,
      },
    },
  },
  { source: 'fixtures/core-kernel.bpf.c', bpftoolVmlinux: true },
  { source: 'fixtures/strip-debug.bpf.c', bpftoolVmlinux: true },
  { source: 'fixtures/iter.bpf.c' },
  { source: 'fixtures/optional.bpf.c' },
  // (they include fixtures/link-list.h)
  { source: 'fixtures/link-list-a.bpf.c', includeAfter: [FIXTURES] },
  { source: 'fixtures/link-list-b.bpf.c', includeAfter: [FIXTURES] },
  {
    source: 'fixtures/bad-access.bpf.c',
    neitherCan: {
      read_past_end: {
        reason: 'by design: it reads past the end of a map value, and the verifier refuses it',
        error: /read_past_end[\s\S]*outside of the allowed memory range/,
      },
    },
  },
];

/**
 * Objects libbpf 1.1 refuses as a whole while loadCollection loads them, each as its own
 * test compiles it: why, and what libbpf's log says.
 */
const LIBBPF_REFUSES: { case: Case; reason: string; log: RegExp }[] = [
  {
    case: {
      source: 'struct-ops.bpf.c',
      label: 'struct-ops.bpf.c (.struct_ops.link)',
      defines: { CC_NAME: `"${CC_NAME}l"` },
    },
    reason:
      'libbpf 1.1 skips the .struct_ops.link section it does not know, and the kernel refuses its programs (ENOTSUPP)',
    log: /skipping unrecognized data section\(\d+\) \.struct_ops\.link[\s\S]*failed to load: -524/,
  },
  {
    case: {
      source: 'struct-ops.bpf.c',
      label: 'struct-ops.bpf.c (.struct_ops)',
      defines: { CC_NAME: `"${CC_NAME}m"`, CC_SECTION: '".struct_ops"' },
    },
    reason: 'libbpf 1.1 has no struct_ops.s section, so cc_undo_cwnd is no struct_ops program to it',
    log: /prog cc_undo_cwnd is not struct_ops BPF program/,
  },
  {
    case: { source: 'fixtures/adjust.bpf.c' },
    reason: "libbpf 1.x refuses legacy map definitions in a 'maps' section",
    log: /legacy map definitions in 'maps' section are not supported/,
  },
];

/** Objects neither loader can load here; both must refuse them. */
const BOTH_FAIL: Record<string, string> = {
  'ksym.bpf.c': 'a typed data __ksym needs CONFIG_KALLSYMS_ALL, which this kernel lacks',
};

const pinRoot = `/sys/fs/bpf/ts-ebpf-corpus-libbpf-${process.pid}`;
let build: CorpusBuild;
let harness: string;
/** Compiled objects by source. */
const objects = new Map<string, string>();

/** Compiles a case's source once, as its own test compiles it. */
function compiled(c: Case): string {
  const key = c.label ?? c.source;
  let path = objects.get(key);
  if (!path) {
    const fixture = /^fixtures\/(.+)$/.exec(c.source)?.[1];
    const options = { defines: c.defines ?? {}, includeAfter: c.includeAfter ?? [] };
    if (c.bpftoolVmlinux) path = compileWithBpftoolVmlinux(fixture ?? c.source);
    else if (fixture)
      path = build.compile(`fixture-${fixture}`, {
        ...options,
        source: readFileSync(new URL(`./fixtures/${fixture}`, import.meta.url), 'utf8'),
      });
    else path = build.compile(c.source, options);
    objects.set(key, path);
  }
  return path;
}

/** Compiles a fixture against a vmlinux.h that bpftool dumps from this kernel's BTF. */
function compileWithBpftoolVmlinux(fixture: string): string {
  const dir = join(build.dir, 'bpftool-vmlinux');
  mkdirSync(dir, { recursive: true });
  const header = join(dir, 'vmlinux.h');
  if (!existsSync(header))
    writeFileSync(
      header,
      execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], {
        maxBuffer: 1 << 30,
      }),
    );
  return compileFixtureIn(fixture, dir);
}

/** Runs libbpf on the object at `path` without the programs `skip`; returns its refusal (fails if it loads). */
function libbpfRefusal(path: string, skip: readonly string[] = []): LibbpfLoadError {
  try {
    libbpfLoad(harness, path, { skip, pinRoot: `${pinRoot}/libbpf` });
  } catch (e) {
    if (e instanceof LibbpfLoadError) return e;
    throw e;
  }
  throw new Error(`libbpf loaded ${path}, which it is listed as refusing`);
}

/** What is compared per map (the kernel name only for maps the object names). */
interface MapShape {
  kernelName?: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  mapExtra: bigint;
  /** Created with BTF, and with a BTF key and value type (the ids differ between the two objects' BTF). */
  btf: [boolean, boolean, boolean];
  btfVmlinuxValueTypeId: number;
}

/** How both sides name a map: its own name, or for a data section's map the section. */
const libbpfKey = (m: LibbpfMap) => (m.internal ? m.name.slice(m.name.indexOf('.')) : m.name);

describeKernel('corpus: libbpf and loadCollection load the same programs and maps', () => {
  beforeAll(() => {
    build = new CorpusBuild();
    harness = buildLibbpfLoad(build.dir);
    mkdirSync(pinRoot, { recursive: true });
  }, 60_000);

  afterAll(() => {
    build?.cleanup();
    rmSync(pinRoot, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.label ?? c.source}: programs (type, attach type, name, tag, xlated) and maps agree`, () => {
      const path = compiled(c);
      const bytes = readFileSync(path);
      const left = [...Object.keys(c.libbpfCannot ?? {}), ...Object.keys(c.neitherCan ?? {})];
      const programs = [...loadCollectionSpec(bytes).programs];
      const names = programs.map(([name]) => name);
      for (const name of left) expect(names, `${c.source} lists ${name}`).toContain(name);
      // SEC("?…") programs: neither loader loads them unless asked for
      const loaded = programs.filter(([name, p]) => p.autoload !== false && !left.includes(name));

      const libPins = `${pinRoot}/libbpf`;
      mkdirSync(libPins, { recursive: true });
      const lib = libbpfLoad(harness, path, { skip: left, pinRoot: libPins });
      using ours = loadCollection(bytes, {
        programs: loaded.map(([name]) => name),
        pinRoot: `${pinRoot}/ours`,
        ...(c.kconfig ? { kconfig: new Map([...readKernelConfig(), ...Object.entries(c.kconfig)]) } : {}),
      });

      // maps, by name (a data section's map by its section: libbpf prefixes the object name)
      const libKeys = new Map<number, string>();
      const libMaps: Record<string, MapShape> = {};
      for (const m of lib.maps!) {
        expect(m.created, `libbpf created ${m.name}`).toBe(true);
        libKeys.set(m.id!, libbpfKey(m));
        libMaps[libbpfKey(m)] = {
          ...(m.internal ? {} : { kernelName: m.kernel_name! }),
          type: m.type!,
          keySize: m.key_size!,
          valueSize: m.value_size!,
          maxEntries: m.max_entries!,
          flags: m.flags!,
          mapExtra: BigInt(m.map_extra!),
          btf: [m.btf!, m.btf_key!, m.btf_value!],
          btfVmlinuxValueTypeId: m.btf_vmlinux_value_type_id!,
        };
      }
      const ourKeys = new Map<number, string>();
      const ourMaps: Record<string, MapShape> = {};
      for (const [key, m, internal] of [
        ...[...ours.maps].map(([k, m]) => [k, m, false] as const),
        ...[...ours.dataMaps].map(([k, m]) => [k, m, true] as const),
        ...[...ours.structOps].map(([k, o]) => [k, o.map, false] as const),
      ]) {
        const i = mapInfo(m.fd);
        ourKeys.set(i.id, key);
        ourMaps[key] = {
          ...(internal ? {} : { kernelName: i.name }),
          type: i.type,
          keySize: i.keySize,
          valueSize: i.valueSize,
          maxEntries: i.maxEntries,
          flags: i.mapFlags,
          mapExtra: i.mapExtra,
          btf: [i.btfId !== 0, i.btfKeyTypeId !== 0, i.btfValueTypeId !== 0],
          btfVmlinuxValueTypeId: i.btfVmlinuxValueTypeId,
        };
      }
      expect.soft(ourMaps).toEqual(libMaps);

      // programs
      const named = (keys: Map<number, string>) => (id: number) => keys.get(id) ?? `map id ${id} of neither`;
      const libProgs = new Map(
        lib.programs!.map((p) => [
          p.name,
          {
            section: p.section,
            type: p.type,
            expectedAttachType: p.expected_attach_type,
            kernelName: p.kernel_name,
            tag: p.tag,
            maps: p.map_ids.map(named(libKeys)).sort(),
            gplCompatible: p.gpl_compatible,
            btf: p.btf,
            funcInfo: p.nr_func_info,
            lineInfo: p.nr_line_info,
            attachBtf: [p.attach_btf_obj_id, p.attach_btf_id],
            xlated: normalizeXlated(Buffer.from(p.xlated, 'hex'), named(libKeys)),
          },
        ]),
      );
      const ourProgs = new Map(
        [...ours.programs].map(([name, p]) => {
          const spec = ours.spec.programs.get(name)!;
          const info = p.info();
          const debug = debugInfoCounts(p.fd);
          return [
            name,
            {
              section: spec.section,
              type: info.type,
              // what loadCollection asked for: none is 0 in BPF_PROG_LOAD's attr, as libbpf reports it
              expectedAttachType: p.expectedAttachType ?? 0,
              kernelName: info.name,
              tag: info.tag,
              maps: info.mapIds.map(named(ourKeys)).sort(),
              gplCompatible: info.gplCompatible,
              btf: info.btfId !== 0,
              funcInfo: debug.nrFuncInfo,
              lineInfo: debug.nrLineInfo,
              attachBtf: [info.attachBtfObjId, info.attachBtfId],
              xlated: normalizeXlated(xlatedOf(p.fd), named(ourKeys)),
            },
          ];
        }),
      );
      expect([...ourProgs.keys()].sort()).toEqual([...libProgs.keys()].sort());
      for (const [name, p] of libProgs) expect.soft(ourProgs.get(name), `program ${name}`).toEqual(p);
    });

    for (const [name, reason] of Object.entries(c.libbpfCannot ?? {})) {
      it(`${c.label ?? c.source}: ${name} loads with loadCollection only (${reason})`, () => {
        const path = compiled(c);
        const bytes = readFileSync(path);
        const others = [...loadCollectionSpec(bytes).programs.keys()].filter((n) => n !== name);
        // libbpf refuses this very program, not something else of the object
        expect(libbpfRefusal(path, others).log).toContain(`prog '${name}'`);
        using ours = loadCollection(bytes, { programs: [name], pinRoot: `${pinRoot}/ours` });
        expect(ours.program(name).info().tag).toMatch(/^[0-9a-f]{16}$/);
      });
    }

    for (const [name, { reason, error }] of Object.entries(c.neitherCan ?? {})) {
      it(`${c.label ?? c.source}: ${name} loads with neither (${reason})`, () => {
        const path = compiled(c);
        const bytes = readFileSync(path);
        const others = [...loadCollectionSpec(bytes).programs.keys()].filter((n) => n !== name);
        expect(libbpfRefusal(path, others).log).toContain(`prog '${name}'`);
        expect(() => loadCollection(bytes, { programs: [name], pinRoot: `${pinRoot}/ours` })).toThrow(error);
      });
    }
  }

  it("the harness times repeated libbpf loads (the baseline for loadCollection's benchmark)", () => {
    const r = libbpfLoad(harness, compiled({ source: 'fixtures/sample.bpf.c' }), { repeat: 3, quiet: true });
    expect(r.programs).toBeUndefined();
    expect(r.timing!.repeat).toBe(3);
    expect(r.timing!.ns_per_load).toBeGreaterThan(0);
    expect(r.timing!.ns_total).toBeGreaterThanOrEqual(3 * r.timing!.ns_per_load);
    // Process CPU time: a load is mostly system calls, so some CPU time is always spent.
    expect(r.timing!.cpu_ns_per_load).toBeGreaterThan(0);
  });

  it('the harness serves timed loads from one process (the benchmark forks no process between rounds)', async () => {
    const server = await libbpfLoadServer(harness, compiled({ source: 'fixtures/sample.bpf.c' }));
    try {
      for (const n of [2, 3]) {
        const t = await server.time(n);
        expect(t.repeat).toBe(n);
        expect(t.ns_per_load).toBeGreaterThan(0);
        expect(t.ns_total).toBeGreaterThanOrEqual(n * t.ns_per_load);
        expect(t.cpu_ns_per_load).toBeGreaterThan(0);
      }
    } finally {
      await server.close();
    }
    await expect(server.time(1)).rejects.toThrow(/--serve ended/);
  });

  it('a served object libbpf cannot load is a LibbpfLoadError', async () => {
    const garbage = join(build.dir, 'not-an-object.o');
    writeFileSync(garbage, 'not an ELF object');
    await expect(libbpfLoadServer(harness, garbage)).rejects.toThrow(LibbpfLoadError);
  });

  it('covers every .bpf.c of the corpus and the fixtures', () => {
    const sources = (dir: string, prefix: string) =>
      readdirSync(new URL(`./${dir}/`, import.meta.url))
        .filter((f) => f.endsWith('.bpf.c'))
        .map((f) => `${prefix}${f}`);
    const all = [...sources('corpus', ''), ...sources('fixtures', 'fixtures/')].sort();
    const covered = new Set([
      ...CASES.map((c) => c.source),
      ...LIBBPF_REFUSES.map((r) => r.case.source),
      ...Object.keys(BOTH_FAIL),
    ]);
    expect(all.filter((f) => !covered.has(f))).toEqual([]);
    expect([...covered].filter((f) => !all.includes(f))).toEqual([]);
  });

  for (const c of CASES.filter((c) => c.kconfig)) {
    it(`${c.label ?? c.source}: without libbpf's kconfig values loadCollection differs (${c.differs})`, () => {
      const path = compiled(c);
      const lib = libbpfLoad(harness, path, { pinRoot: `${pinRoot}/libbpf` });
      using ours = loadCollection(readFileSync(path), { pinRoot: `${pinRoot}/ours` });
      const differing = lib.programs!.filter(
        (p) => Buffer.from(p.xlated, 'hex').byteLength !== xlatedOf(ours.program(p.name).fd).byteLength,
      );
      expect(differing.length).toBeGreaterThan(0);
    });
  }

  for (const { case: c, reason, log } of LIBBPF_REFUSES) {
    it(`${c.label ?? c.source} loads with loadCollection only (${reason})`, () => {
      const path = compiled(c);
      expect(libbpfRefusal(path).log).toMatch(log);
      const bytes = readFileSync(path);
      using ours = loadCollection(bytes, { pinRoot: `${pinRoot}/ours` });
      expect([...ours.programs.keys()].sort()).toEqual([...loadCollectionSpec(bytes).programs.keys()].sort());
      for (const [name, p] of ours.programs) expect(p.info().tag, name).toMatch(/^[0-9a-f]{16}$/);
    });
  }

  for (const [source, reason] of Object.entries(BOTH_FAIL)) {
    it(`${source} fails in libbpf as in loadCollection (${reason})`, () => {
      const path = compiled({ source });
      expect(libbpfRefusal(path).log).toMatch(/failed to find the address for kernel symbol/);
      expect(() => loadCollection(readFileSync(path), { pinRoot: `${pinRoot}/ours` })).toThrow(
        /failed to find the address for kernel symbol/,
      );
    });
  }
});
