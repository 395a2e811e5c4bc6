/**
 * Differential test: every corpus object is loaded by libbpf (the system's libbpf 1.1,
 * through test/corpus/libbpf-load.c) and by loadCollection, and the kernel's view of both
 * is compared: per program its type, the expected attach type each loader asked for, its
 * kernel name, tag and xlated instructions; per map its type, sizes, max_entries, flags and
 * map_extra. What libbpf 1.1 cannot load, or neither loader can load here, is listed below
 * with the reason and left out of both loads; nothing else is skipped.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { mapInfo } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollection, loadCollectionSpec } from '../src/index.js';
import { CorpusBuild } from './corpus/build.js';
import {
  buildLibbpfLoad,
  LibbpfLoadError,
  type LibbpfMap,
  libbpfLoad,
  normalizeXlated,
  xlatedOf,
} from './corpus/libbpf.js';

interface Case {
  /** A corpus source (test/corpus) or, as `fixtures/<name>`, a fixture (test/fixtures). */
  source: string;
  defines?: Record<string, string>;
  /** Programs libbpf 1.1 cannot load, with the reason: loaded by neither side. */
  libbpfCannot?: Record<string, string>;
  /** Programs neither loader can load on this machine: why, and what loadCollection's error says. */
  neitherCan?: Record<string, { reason: string; error: RegExp }>;
}

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

/** Compiles a case's source once. */
function compiled(source: string, defines: Record<string, string> = {}): string {
  let path = objects.get(source);
  if (!path) {
    const fixture = /^fixtures\/(.+)$/.exec(source)?.[1];
    path = fixture
      ? build.compile(`fixture-${fixture}`, {
          source: readFileSync(new URL(`./fixtures/${fixture}`, import.meta.url), 'utf8'),
        })
      : build.compile(source, { defines });
    objects.set(source, path);
  }
  return path;
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
    it(`${c.source}: programs (type, attach type, name, tag, xlated) and maps agree`, () => {
      const path = compiled(c.source, c.defines);
      const bytes = readFileSync(path);
      const left = [...Object.keys(c.libbpfCannot ?? {}), ...Object.keys(c.neitherCan ?? {})];
      const names = [...loadCollectionSpec(bytes).programs.keys()];
      for (const name of left) expect(names, `${c.source} lists ${name}`).toContain(name);

      const libPins = `${pinRoot}/libbpf`;
      mkdirSync(libPins, { recursive: true });
      const lib = libbpfLoad(harness, path, { skip: left, pinRoot: libPins });
      using ours = loadCollection(bytes, {
        programs: names.filter((n) => !left.includes(n)),
        pinRoot: `${pinRoot}/ours`,
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
        };
      }
      const ourKeys = new Map<number, string>();
      const ourMaps: Record<string, MapShape> = {};
      for (const [key, m, internal] of [
        ...[...ours.maps].map(([k, m]) => [k, m, false] as const),
        ...[...ours.dataMaps].map(([k, m]) => [k, m, true] as const),
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
        };
      }
      expect(ourMaps).toEqual(libMaps);

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
            xlated: normalizeXlated(Buffer.from(p.xlated, 'hex'), named(libKeys)),
          },
        ]),
      );
      const ourProgs = new Map(
        [...ours.programs].map(([name, p]) => {
          const spec = ours.spec.programs.get(name)!;
          const info = p.info();
          return [
            name,
            {
              section: spec.section,
              type: info.type,
              // what loadCollection asked for: none is 0 in BPF_PROG_LOAD's attr, as libbpf reports it
              expectedAttachType: spec.sectionDef.expectedAttachType ?? 0,
              kernelName: info.name,
              tag: info.tag,
              maps: info.mapIds.map(named(ourKeys)).sort(),
              xlated: normalizeXlated(xlatedOf(p.fd), named(ourKeys)),
            },
          ];
        }),
      );
      expect([...ourProgs.keys()].sort()).toEqual([...libProgs.keys()].sort());
      for (const [name, p] of libProgs) expect(ourProgs.get(name), `program ${name}`).toEqual(p);
    });

    for (const [name, reason] of Object.entries(c.libbpfCannot ?? {})) {
      it(`${c.source}: ${name} loads with loadCollection only (${reason})`, () => {
        const path = compiled(c.source, c.defines);
        const bytes = readFileSync(path);
        const others = [...loadCollectionSpec(bytes).programs.keys()].filter((n) => n !== name);
        expect(() => libbpfLoad(harness, path, { skip: others, pinRoot: `${pinRoot}/libbpf` })).toThrow(
          LibbpfLoadError,
        );
        using ours = loadCollection(bytes, { programs: [name], pinRoot: `${pinRoot}/ours` });
        expect(ours.program(name).info().tag).toMatch(/^[0-9a-f]{16}$/);
      });
    }

    for (const [name, { reason, error }] of Object.entries(c.neitherCan ?? {})) {
      it(`${c.source}: ${name} loads with neither (${reason})`, () => {
        const path = compiled(c.source, c.defines);
        const bytes = readFileSync(path);
        const others = [...loadCollectionSpec(bytes).programs.keys()].filter((n) => n !== name);
        expect(() => libbpfLoad(harness, path, { skip: others, pinRoot: `${pinRoot}/libbpf` })).toThrow(
          LibbpfLoadError,
        );
        expect(() => loadCollection(bytes, { programs: [name], pinRoot: `${pinRoot}/ours` })).toThrow(error);
      });
    }
  }

  it("the harness times repeated libbpf loads (the baseline for loadCollection's benchmark)", () => {
    const r = libbpfLoad(harness, compiled('fixtures/sample.bpf.c'), { repeat: 3, quiet: true });
    expect(r.programs).toBeUndefined();
    expect(r.timing!.repeat).toBe(3);
    expect(r.timing!.ns_per_load).toBeGreaterThan(0);
    expect(r.timing!.ns_total).toBeGreaterThanOrEqual(3 * r.timing!.ns_per_load);
  });

  for (const [source, reason] of Object.entries(BOTH_FAIL)) {
    it(`${source} fails in libbpf as in loadCollection (${reason})`, () => {
      const path = compiled(source);
      expect(() => libbpfLoad(harness, path, { pinRoot: `${pinRoot}/libbpf` })).toThrow(LibbpfLoadError);
      expect(() => loadCollection(readFileSync(path), { pinRoot: `${pinRoot}/ours` })).toThrow(
        /failed to find the address for kernel symbol/,
      );
    });
  }
});
