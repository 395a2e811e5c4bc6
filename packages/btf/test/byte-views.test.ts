import { readFileSync } from 'node:fs';
import { Btf, BtfBuilder, dumpC, fieldPath, parseBtfExt } from '@ts-ebpf/btf';
import { sameForEveryView } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { loadBtf } from '../src/load.js';
import { compileBpf, VMLINUX_PATH } from './helpers.js';
import { sampleBuilder } from './sample.js';

/** What a parsed BTF says: its counts, order, a spread of decoded types and a few queries. */
function summary(btf: Btf, every: number) {
  const types = [];
  for (let id = btf.firstId; id < btf.typeCount; id += every) types.push(btf.type(id));
  return { count: btf.typeCount, strings: btf.stringsLength, order: btf.byteOrder, types };
}

describe('BTF inputs: a Buffer, an odd-offset subarray and a plain Uint8Array give one result', () => {
  // as users read it: a Buffer from readFileSync
  const vmlinux = readFileSync(VMLINUX_PATH);
  const base = Btf.parse(vmlinux);

  it('Btf.parse of this kernel vmlinux BTF, with queries', () => {
    const got = sameForEveryView(vmlinux, (b) => {
      const btf = Btf.parse(b);
      const task = btf.get('task_struct', 'struct');
      return {
        ...summary(btf, 37),
        task: task.id,
        pid: fieldPath(btf, task.id, '.pid'),
        c: dumpC(btf, [btf.get('iphdr', 'struct').id]),
      };
    });
    expect(got.count).toBe(base.typeCount);
    expect(got.c).toContain('struct iphdr {');
  });

  it('Btf.parse of split BTF over vmlinux', () => {
    const b = new BtfBuilder(base);
    const task = base.get('task_struct', 'struct').id;
    const ptr = b.ptr(task);
    b.struct('holder', [
      { name: 'task', type: ptr },
      { name: 'n', type: base.get('int', 'int').id },
    ]);
    const split = b.toBytes();
    const got = sameForEveryView(split, (v) => {
      const btf = Btf.parse(v, { base });
      return { ...summary(btf, 1), found: btf.findIds('holder') };
    });
    expect(got.found).toEqual([base.typeCount + 1]);
  });

  it('loadBtf hands the kernel the viewed bytes, not the whole buffer', () => {
    const bytes = sampleBuilder().toBytes();
    sameForEveryView(bytes, (v) => {
      using loaded = loadBtf(v, { logSize: 0 });
      return loaded.fd > 0;
    });
  });

  it.each(['bpfel', 'bpfeb'])('Btf.parse and parseBtfExt of clang -target %s output', (target) => {
    const { btf: raw, ext } = compileBpf(
      'struct s { int a; struct s *n; };\nint g(struct s *p) { return p->n->a; }\n',
      target,
    );
    const types = sameForEveryView(raw, (v) => summary(Btf.parse(v), 1));
    expect(types.order).toBe(target === 'bpfeb' ? 'big' : 'little');
    const btf = Btf.parse(raw);
    const info = sameForEveryView(ext, (v) => parseBtfExt(v, btf));
    expect(info.funcInfo.length).toBeGreaterThan(0);
    expect(info.lineInfo[0]!.records.length).toBeGreaterThan(0);
  });
});
