import { readFileSync } from 'node:fs';
import { bpf, program } from '@ts-ebpf/dsl';
import {
  BpfProgType,
  BpfSyscallError,
  close,
  closeTogether,
  mapInfo,
  ObjectClosedError,
  progLoad,
  progTestRun,
} from '@ts-ebpf/syscall';
import { describeKernel, hostCode } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  ArrayMap,
  HashMap,
  IndexOutOfRangeError,
  MapFrozenError,
  MapTypeError,
  struct,
  u32,
  u64,
} from '../src/index.js';

/** How many mappings of BPF maps this process has (/proc/self/maps names them anon_inode:bpf-map). */
const mappedMaps = () =>
  readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.includes('bpf-map')).length;

/**
 * A socket filter that stores 0x12345678 into element 1 of the array at `fd`, adds 1 atomically to
 * element 3, and returns the low 32 bits of element 2.
 */
function writerReader(fd: number): number {
  const insns = hostCode(
    program(bpf`
      *(u32 *)(r10 - 4) = 1
      r2 = r10
      r2 += -4
      r1 = map[fd:${fd}]
      call bpf_map_lookup_elem
      if r0 == 0 goto fail
      r1 = 0x12345678
      *(u64 *)(r0 + 0) = r1
      *(u32 *)(r10 - 4) = 3
      r2 = r10
      r2 += -4
      r1 = map[fd:${fd}]
      call bpf_map_lookup_elem
      if r0 == 0 goto fail
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      *(u32 *)(r10 - 4) = 2
      r2 = r10
      r2 += -4
      r1 = map[fd:${fd}]
      call bpf_map_lookup_elem
      if r0 == 0 goto fail
      r0 = *(u32 *)(r0 + 0)
      exit
      fail: r0 = 0
      exit`),
  );
  return progLoad({ progType: BpfProgType.SOCKET_FILTER, insns });
}

const packet = new Uint8Array(64);

describeKernel('MmapArray: BPF_F_MMAPABLE arrays through a memory mapping', () => {
  it('reads what the syscall path and a BPF program wrote, and the program reads what JS wrote', () => {
    using map = ArrayMap.create({ value: u64, maxEntries: 16, mmapable: true });
    using values = map.mmap();
    expect(values.length).toBe(16);
    expect(values.stride).toBe(8);
    // JS through the mapping ⇄ the bpf() commands
    values.set(5, 42n);
    expect(map.get(5)).toBe(42n);
    map.set(6, 7n);
    expect(values.get(6)).toBe(7n);
    // JS ⇄ a BPF program
    values.set(2, 99n);
    const prog = writerReader(map.fd);
    try {
      const r = progTestRun({ progFd: prog, dataIn: packet, repeat: 1000 });
      expect(r.retval).toBe(99);
      expect(values.get(1)).toBe(0x12345678n);
      // the program's atomic adds, read atomically, then added to from JS
      expect(values.atomicLoadU64(3)).toBe(1000n);
      expect(values.atomicAddU64(3, 5n)).toBe(1000n);
      expect(map.get(3)).toBe(1005n);
      expect(values.atomicLoadU32(3)).toBe(1005);
      expect(values.atomicAddU32(3, 1)).toBe(1005);
      expect(values.get(3)).toBe(1006n);
    } finally {
      close(prog);
    }
  });

  it('lays elements out at the value size rounded up to 8, decoded with the value codec', () => {
    const point = struct({ x: u32, y: u32, z: u32 });
    using map = ArrayMap.create({ value: point, maxEntries: 3, mmapable: true });
    using values = map.mmap();
    expect(values.stride).toBe(16);
    values.set(2, { x: 1, y: 2, z: 3 });
    expect(map.get(2)).toEqual({ x: 1, y: 2, z: 3 });
    map.set(1, { x: 4, y: 5, z: 6 });
    expect(values.get(1)).toEqual({ x: 4, y: 5, z: 6 });
    expect(values.atomicLoadU32(1, 8)).toBe(6);
  });

  it('refuses indexes and atomic offsets outside the array before touching memory', () => {
    using map = ArrayMap.create({ value: u64, maxEntries: 4, mmapable: true });
    using values = map.mmap();
    for (const index of [-1, 4, 1.5, Number.NaN, 2 ** 32])
      expect(() => values.get(index)).toThrow(IndexOutOfRangeError);
    expect(() => values.set(4, 1n)).toThrow(/index 4 is outside the mapped array \(0\.\.3\)/);
    expect(() => values.atomicLoadU64(0, 4)).toThrow(IndexOutOfRangeError);
    expect(() => values.atomicLoadU32(0, 8)).toThrow(/not an aligned word of the 8-byte element/);
    expect(() => values.atomicLoadU32(0, 2)).toThrow(IndexOutOfRangeError);
  });

  it('maps read-only, as frozen maps must be, and refuses writes through such a mapping', () => {
    using map = ArrayMap.create({ value: u64, maxEntries: 4, mmapable: true });
    map.set(0, 11n);
    map.freeze();
    expect(() => map.mmap()).toThrow(MapFrozenError);
    using values = map.mmap({ writable: false });
    expect(values.writable).toBe(false);
    expect(values.get(0)).toBe(11n);
    expect(() => values.set(0, 1n)).toThrow(MapTypeError);
    expect(() => values.atomicAddU64(0, 1n)).toThrow(/mapped read-only/);
    expect(values.atomicLoadU64(0)).toBe(11n);
  });

  it('refuses to map arrays without BPF_F_MMAPABLE and other map types', () => {
    using plain = ArrayMap.create({ value: u64, maxEntries: 4 });
    expect(() => plain.mmap()).toThrow(/not created with BPF_F_MMAPABLE/);
    using hash = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
    expect(() => hash.mmap()).toThrow(MapTypeError);
  });

  it('unmaps on close (idempotent), on using, and when the map closes; no mapping is left', () => {
    const before = mappedMaps();
    const map = ArrayMap.create({ value: u64, maxEntries: 1024, mmapable: true });
    const a = map.mmap();
    a.set(0, 1n);
    {
      using b = map.mmap();
      expect(b.get(0)).toBe(1n);
      expect(mappedMaps()).toBe(before + 2);
    }
    expect(mappedMaps()).toBe(before + 1);
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(() => a.get(0)).toThrow(ObjectClosedError);
    expect(() => a.get(0)).toThrow(/memory mapping of/);
    const c = map.mmap();
    expect(mappedMaps()).toBe(before + 1);
    map.close();
    expect(c.closed).toBe(true);
    expect(() => c.get(0)).toThrow(ObjectClosedError);
    expect(mappedMaps()).toBe(before);
  });

  it('a mapping that fails to unmap does not keep the map open or its other mappings mapped', () => {
    const before = mappedMaps();
    for (const how of ['close', 'closeTogether'] as const) {
      const map = ArrayMap.create({ value: u64, maxEntries: 16, mmapable: true });
      const fd = map.fd;
      const [first, second] = [map.mmap(), map.mmap()];
      const unmap = first.close.bind(first);
      first.close = () => {
        unmap();
        throw new Error('unmap failed');
      };
      expect(() => (how === 'close' ? map.close() : closeTogether([map]))).toThrow('unmap failed');
      expect(map.closed && second.closed).toBe(true);
      expect(mappedMaps()).toBe(before);
      expect(() => mapInfo(fd)).toThrow(BpfSyscallError);
    }
  });
});
