import { Btf } from '@ts-ebpf/btf';
import { BpfMapType } from '@ts-ebpf/syscall';
import { describe, expect, it } from 'vitest';
import { loadCollectionSpec, Pinning, parseBtfMaps } from '../src/index.js';
import { compileFixture } from './compile.js';

describe('BTF-defined maps', () => {
  const spec = loadCollectionSpec(compileFixture('maps.bpf.c'));
  const btf = Btf.parse(spec.btf!);
  const maps = parseBtfMaps(spec.elf, btf);

  it('reads type, sizes from key/value types or sizes, flags and pinning', () => {
    expect(maps.get('pairs')).toMatchObject({
      type: BpfMapType.HASH,
      keySize: 4,
      valueSize: 16,
      maxEntries: 128,
      flags: 1,
      pinning: Pinning.BY_NAME,
    });
    expect(btf.type(maps.get('pairs')!.valueTypeId)).toMatchObject({ kind: 'struct', name: 'pair' });
    expect(maps.get('sized')).toMatchObject({
      type: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 16,
      maxEntries: 8,
      keyTypeId: 0,
    });
  });

  it('reads map-in-map templates and initial values, and prog_array initial programs', () => {
    const outer = maps.get('outer')!;
    expect(outer).toMatchObject({ type: BpfMapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(outer.innerMap).toMatchObject({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect([...outer.initialValues]).toEqual([
      [1, 'inner1'],
      [3, 'inner2'],
    ]);
    const jumps = maps.get('jumps')!;
    expect(jumps).toMatchObject({ type: BpfMapType.PROG_ARRAY, keySize: 4, valueSize: 4 });
    expect([...jumps.initialValues]).toEqual([[0, 'tail']]);
  });
});
