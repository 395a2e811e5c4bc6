import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadCollection } from '../src/index.js';
import { CorpusBuild } from './corpus/build.js';

/**
 * Objects libbpf (through bpftool) is asked to load too, with what our loader
 * should produce. bpftool 7.1 links libbpf 1.1, which lacks the tcx/* and
 * netfilter sections: net.bpf.c is built for it with `tc` and without netfilter,
 * and maps.bpf.c without pin-by-name (bpftool would pin under /sys/fs/bpf).
 * Excluded: unsupported.bpf.c (fentry/lsm: EPERM here, kprobe
 * loads but means nothing) and ksym.bpf.c (needs CONFIG_KALLSYMS_ALL) — both
 * loaders fail on them alike, checked below.
 */
const CROSS = ['tracing', 'maps', 'net', 'uprobe', 'iter'] as const;

/** Per-object compile flags for libbpf 1.1 (see above). */
const DEFINES: Record<string, Record<string, string>> = {
  uprobe: { TARGET_BINARY: '"/bin/true"' },
  net: { CORPUS_LIBBPF_1_1: '1' },
  maps: { CORPUS_NO_PIN: '1' },
};

const pinDir = `/sys/fs/bpf/ts-ebpf-corpus-bpftool-${process.pid}`;
let build: CorpusBuild;
const paths = new Map<string, string>();

const bpftool = (...args: string[]) =>
  execFileSync('bpftool', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();

describeKernel('corpus: the same objects load with bpftool (libbpf)', () => {
  beforeAll(() => {
    build = new CorpusBuild();
    for (const name of [...CROSS, 'unsupported', 'ksym']) {
      paths.set(name, build.compile(`${name}.bpf.c`, { defines: DEFINES[name] ?? {} }));
    }
  }, 60_000);

  afterAll(() => {
    build?.cleanup();
    rmSync(pinDir, { recursive: true, force: true });
  });

  for (const name of CROSS) {
    it(`${name}.bpf.c: bpftool prog loadall and loadCollection load the same programs`, () => {
      const dir = join(pinDir, name);
      mkdirSync(pinDir, { recursive: true });
      try {
        bpftool('prog', 'loadall', paths.get(name)!, dir);
        const libbpf = readdirSync(dir).sort();
        using c = loadCollection(readFileSync(paths.get(name)!));
        expect([...c.programs.keys()].sort()).toEqual(libbpf);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('fentry/lsm and a data ksym fail in bpftool as in loadCollection', () => {
    for (const name of ['unsupported', 'ksym']) {
      const dir = join(pinDir, name);
      expect(() => bpftool('prog', 'loadall', paths.get(name)!, dir)).toThrow();
      expect(() => loadCollection(readFileSync(paths.get(name)!))).toThrow();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
