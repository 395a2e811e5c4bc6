import { describeKernel } from '@ts-ebpf/test-utils';
import { afterEach, expect, it } from 'vitest';
import {
  BadFileDescriptorError,
  BpfArgumentError,
  BpfMapType,
  BpfMapUpdateFlag,
  close,
  MapElemChannel,
  mapCreate,
  mapLookupElem,
  mapUpdateElem,
  ObjectClosedError,
  possibleCpuCount,
} from '../src/index.js';

const open: number[] = [];
function create(type: number, keySize: number, valueSize: number, maxEntries = 8): number {
  const fd = mapCreate({ mapType: type, keySize, valueSize, maxEntries });
  open.push(fd);
  return fd;
}
afterEach(() => {
  for (const fd of open.splice(0)) close(fd);
});

describeKernel('MapElemChannel', () => {
  it('looks up, updates, deletes and takes through its own key and value, as the raw commands see them', () => {
    const fd = create(BpfMapType.HASH, 4, 8);
    const ch = new MapElemChannel(fd);
    expect(ch.key.byteLength).toBe(4);
    expect(ch.value.byteLength).toBe(8);
    ch.keyView.setUint32(0, 7, true);
    expect(ch.lookup()).toBe(false);
    ch.valueView.setBigUint64(0, 700n, true);
    ch.update();
    // what the raw layer reads back is what the channel wrote
    const out = new Uint8Array(8);
    expect(mapLookupElem(fd, new Uint8Array([7, 0, 0, 0]), out)).toBe(true);
    expect(new DataView(out.buffer).getBigUint64(0, true)).toBe(700n);
    // and what the raw layer writes, the channel reads
    mapUpdateElem(fd, new Uint8Array([8, 0, 0, 0]), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    ch.keyView.setUint32(0, 8, true);
    expect(ch.lookup()).toBe(true);
    expect([...ch.value]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(ch.delete()).toBe(true);
    expect(ch.delete()).toBe(false);
    ch.keyView.setUint32(0, 7, true);
    ch.value.fill(0);
    expect(ch.lookupAndDelete()).toBe(true);
    expect(ch.valueView.getBigUint64(0, true)).toBe(700n);
    expect(ch.lookupAndDelete()).toBe(false);
    expect(ch.lookup()).toBe(false);
  });

  it('passes update flags to the kernel (NOEXIST refused on a present key) and switches back', () => {
    const fd = create(BpfMapType.HASH, 4, 8);
    const ch = new MapElemChannel(fd);
    ch.keyView.setUint32(0, 1, true);
    ch.update(BpfMapUpdateFlag.NOEXIST);
    expect(() => ch.update(BpfMapUpdateFlag.NOEXIST)).toThrow(/BPF_MAP_UPDATE_ELEM.*EEXIST/);
    ch.update(BpfMapUpdateFlag.ANY);
    expect(() => ch.update(-1)).toThrow(BpfArgumentError);
  });

  it('pops a queue (no key) and sizes a per-CPU value for every possible CPU', () => {
    const queue = create(BpfMapType.QUEUE, 0, 4);
    const q = new MapElemChannel(queue);
    expect(q.key.byteLength).toBe(0);
    q.valueView.setUint32(0, 42, true);
    q.update();
    q.value.fill(0);
    expect(q.lookupAndDelete()).toBe(true);
    expect(q.valueView.getUint32(0, true)).toBe(42);
    expect(q.lookupAndDelete()).toBe(false);

    const perCpu = create(BpfMapType.PERCPU_ARRAY, 4, 4);
    const p = new MapElemChannel(perCpu);
    expect(p.value.byteLength).toBe(8 * possibleCpuCount());
    p.keyView.setUint32(0, 0, true);
    for (let cpu = 0; cpu < possibleCpuCount(); cpu++) p.valueView.setUint32(cpu * 8, cpu + 1, true);
    p.update();
    p.value.fill(0);
    expect(p.lookup()).toBe(true);
    expect(p.valueView.getUint32(8 * (possibleCpuCount() - 1), true)).toBe(possibleCpuCount());
  });

  it('refuses calls after close, and a reused fd number that now names another map', () => {
    const fd = create(BpfMapType.HASH, 4, 8);
    const ch = new MapElemChannel(fd);
    ch.close();
    ch.close();
    expect(ch.closed).toBe(true);
    expect(() => ch.lookup()).toThrow(ObjectClosedError);

    const first = mapCreate({ mapType: BpfMapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
    const stale = new MapElemChannel(first);
    close(first);
    // the lowest free number: the one just closed
    const second = create(BpfMapType.HASH, 4, 64);
    expect(second).toBe(first);
    expect(() => stale.lookup()).toThrow(/now refers to another map/);
    expect(() => stale.update()).toThrow(BpfArgumentError);
  });

  it('names the map in the error after close, and checks an fd closed behind its back before the call', () => {
    const fd = create(BpfMapType.HASH, 4, 8);
    const named = new MapElemChannel(fd, "hash map 'counts'");
    named.close();
    expect(() => named.lookup()).toThrow("hash map 'counts' is closed");
    const other = mapCreate({ mapType: BpfMapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const ch = new MapElemChannel(other);
    close(other);
    expect(() => ch.update()).toThrow(BadFileDescriptorError);
  });

  it('refuses an fd that is not a map', () => {
    expect(() => new MapElemChannel(-1)).toThrow(BpfArgumentError);
  });
});
