import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  BpfArgumentError,
  BpfMapCreateFlag,
  BpfMapType,
  close,
  Epoll,
  EpollEvent,
  eventfd,
  fileRead,
  fileWrite,
  MapFlag,
  MappedMemory,
  mapCreate,
  mapLookupElem,
  ObjectClosedError,
  OutOfBoundsError,
  Prot,
  pageSize,
  pidfdOpen,
} from '../src/index.js';

describeKernel('mmap, epoll', () => {
  it('maps a BPF array and sees writes from both sides', () => {
    const fd = mapCreate({
      mapType: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 512,
      mapFlags: BpfMapCreateFlag.MMAPABLE,
    });
    try {
      using mem = MappedMemory.map({ length: 4096, prot: Prot.READ | Prot.WRITE, fd });
      new DataView(mem.bytes.buffer).setBigUint64(8 * 3, 0xabcdefn, true);
      const out = new Uint8Array(8);
      mapLookupElem(fd, new Uint8Array(new Uint32Array([3]).buffer), out);
      expect(new DataView(out.buffer).getBigUint64(0, true)).toBe(0xabcdefn);
      expect(mem.reader().getBigUint64(24)).toBe(0xabcdefn);
    } finally {
      close(fd);
    }
  });

  it('never hands out writable bytes of a read-only mapping, and reads nothing after close', () => {
    const fd = mapCreate({
      mapType: BpfMapType.ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 512,
      mapFlags: BpfMapCreateFlag.MMAPABLE,
    });
    const mem = MappedMemory.map({ length: 4096, prot: Prot.READ, fd });
    close(fd);
    expect(() => mem.bytes).toThrow(BpfArgumentError);
    const reader = mem.reader();
    expect(reader.getUint32(0)).toBe(0);
    expect(() => reader.getUint32(4096)).toThrow(OutOfBoundsError);
    mem.close();
    mem.close();
    expect(() => reader.getUint32(0)).toThrow(ObjectClosedError);
    expect(() => mem.reader()).toThrow(ObjectClosedError);
  });

  it('unsafeArrayBuffer reads the same memory as the checked reader, until close', () => {
    const mem = MappedMemory.map({
      length: pageSize(),
      prot: Prot.READ | Prot.WRITE,
      flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
    });
    mem.bytes[100] = 0x5a;
    const raw = new Uint8Array(mem.unsafeArrayBuffer());
    expect(raw.byteLength).toBe(pageSize());
    expect(raw[100]).toBe(mem.reader().getUint8(100));
    mem.close();
    expect(raw[100]).toBe(0);
    expect(() => mem.unsafeArrayBuffer()).toThrow(ObjectClosedError);
  });

  it('keeps an escaped view safe after unmap', () => {
    const mem = MappedMemory.map({
      length: pageSize(),
      prot: Prot.READ | Prot.WRITE,
      flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
    });
    const bytes = mem.bytes;
    bytes[0] = 9;
    mem.close();
    expect(bytes[0]).toBe(0);
    bytes[1] = 1; // a placeholder page, not freed memory
  });

  it('reads signed and floating-point values through the read-only view', () => {
    using mem = MappedMemory.map({
      length: pageSize(),
      prot: Prot.READ | Prot.WRITE,
      flags: MapFlag.PRIVATE | MapFlag.ANONYMOUS,
    });
    const v = new DataView(mem.bytes.buffer);
    v.setInt8(0, -5);
    v.setInt16(2, -300, true);
    v.setBigInt64(8, -7n, true);
    v.setFloat32(16, 1.5, true);
    v.setFloat64(24, -2.25, true);
    expect(mem.bytes).toBe(mem.bytes);
    const r = mem.reader();
    expect([r.getInt8(0), r.getInt16(2), r.getBigInt64(8), r.getFloat32(16), r.getFloat64(24)]).toEqual([
      -5,
      -300,
      -7n,
      1.5,
      -2.25,
    ]);
    expect(r.subarray(8, 16).getBigInt64(0)).toBe(-7n);
  });

  it('opens a pidfd for this process', () => {
    const fd = pidfdOpen(process.pid, 0);
    expect(fd).toBeGreaterThan(2);
    close(fd);
    expect(() => pidfdOpen(0x7ffffff0, 0)).toThrow(/pidfd_open failed: ESRCH/);
  });

  it('rejects an unaligned offset before mmap', () => {
    expect(() => MappedMemory.map({ length: 10, prot: Prot.READ, offset: 3, fd: 0 })).toThrow(/page size/);
  });

  it('epoll reports a readable eventfd with its data tag', () => {
    const efd = eventfd(0, 0o4000);
    using ep = new Epoll();
    ep.add(efd, 1234, EpollEvent.IN);
    expect(ep.wait(0)).toEqual([]);
    fileWrite(efd, new Uint8Array(new BigUint64Array([1n]).buffer));
    expect(ep.wait(100)).toEqual([{ events: EpollEvent.IN, data: 1234 }]);
    fileRead(efd, 8);
    ep.remove(efd);
    close(efd);
    ep.close();
    expect(() => ep.fd).toThrow(ObjectClosedError);
  });
});
