import type { ByteOrder } from '@ts-ebpf/uapi';
import { HOST_BYTE_ORDER, isLittleEndian } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { Attr } from '../src/attr.js';
import { encodePerfEventAttr, PerfSwConfig, PerfType } from '../src/index.js';
import {
  decodeBtfInfo,
  decodeLinkInfo,
  decodeMapInfo,
  decodeProgInfo,
  MAP_INFO_SIZE,
  PROG_INFO_SIZE,
} from '../src/info.js';

const ORDERS: ByteOrder[] = ['little', 'big'];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

describe('kernel structs in either byte order', () => {
  it('the host order is what the kernel reads and writes', () => {
    expect(HOST_BYTE_ORDER).toBe(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big');
  });

  it.each(ORDERS)('an attr places fields in %s-endian order', (order) => {
    const a = new Attr(32, order);
    a.reset().u32(0, 0x01020304).u64(8, 0x0102030405060708n).u64small(16, 0x0a0b0c0d).s32(24, -2);
    const le = isLittleEndian(order);
    expect(hex(a.bytes.subarray(0, 4))).toBe(le ? '04030201' : '01020304');
    expect(hex(a.bytes.subarray(8, 16))).toBe(le ? '0807060504030201' : '0102030405060708');
    expect(hex(a.bytes.subarray(16, 24))).toBe(le ? '0d0c0b0a00000000' : '000000000a0b0c0d');
    expect(hex(a.bytes.subarray(24, 28))).toBe(le ? 'feffffff' : 'fffffffe');
    expect(a.getU32(0)).toBe(0x01020304);
    expect(a.getU64(8)).toBe(0x0102030405060708n);
    // a pointer field holds the address in the struct's order, high half first when big-endian
    const target = new Uint8Array(8);
    a.ptr(24, target);
    const address = view(a.bytes).getBigUint64(24, le);
    expect(address).toBeGreaterThan(0n);
  });

  it.each(ORDERS)('perf_event_attr decodes to what was encoded (%s-endian)', (order) => {
    const bytes = encodePerfEventAttr(
      {
        type: PerfType.SOFTWARE,
        config: PerfSwConfig.BPF_OUTPUT,
        samplePeriod: 7,
        sampleType: 1 << 10,
        disabled: true,
        watermark: true,
        wakeupEvents: 33,
        config2: 0x1234,
      },
      undefined,
      order,
    );
    const v = view(bytes);
    const le = isLittleEndian(order);
    expect(v.getUint32(0, le)).toBe(PerfType.SOFTWARE);
    expect(v.getUint32(4, le)).toBe(128);
    expect(v.getBigUint64(8, le)).toBe(BigInt(PerfSwConfig.BPF_OUTPUT));
    expect(v.getBigUint64(16, le)).toBe(7n);
    expect(v.getBigUint64(24, le)).toBe(1024n);
    expect(v.getBigUint64(40, le)).toBe((1n << 0n) | (1n << 14n));
    expect(v.getUint32(48, le)).toBe(33);
    expect(v.getBigUint64(64, le)).toBe(0x1234n);
  });

  it('perf_event_attr in big-endian: known bytes', () => {
    const bytes = encodePerfEventAttr(
      { type: PerfType.TRACEPOINT, config: 0x0102, disabled: true },
      undefined,
      'big',
    );
    expect(hex(bytes.subarray(0, 16))).toBe('00000002' + '00000080' + '0000000000000102');
    expect(hex(bytes.subarray(40, 48))).toBe('0000000000000001');
    // the host-order encoding is what perfEventOpen passes, and a copy
    const host = encodePerfEventAttr({ type: PerfType.TRACEPOINT, config: 0x0102, disabled: true });
    const other = encodePerfEventAttr({ type: PerfType.SOFTWARE });
    expect(view(host).getUint32(0, isLittleEndian(HOST_BYTE_ORDER))).toBe(PerfType.TRACEPOINT);
    expect(other).not.toBe(host);
  });

  it.each(ORDERS)('bpf_map_info decodes in %s-endian order', (order) => {
    const le = isLittleEndian(order);
    const b = new Uint8Array(MAP_INFO_SIZE);
    const v = view(b);
    [1, 77, 4, 8, 1024, 0x10].forEach((x, i) => {
      v.setUint32(i * 4, x, le);
    });
    b.set(new TextEncoder().encode('counts'), 24);
    v.setUint32(64, 5, le);
    v.setUint32(72, 9, le);
    v.setBigUint64(80, 0x0102030405060708n, le);
    expect(decodeMapInfo(b, order)).toMatchObject({
      type: 1,
      id: 77,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1024,
      mapFlags: 0x10,
      name: 'counts',
      btfId: 5,
      btfValueTypeId: 9,
      mapExtra: 0x0102030405060708n,
    });
    if (!le) expect(hex(b.subarray(0, 8))).toBe('000000010000004d');
  });

  it.each(ORDERS)('bpf_prog_info, bpf_link_info and bpf_btf_info decode in %s-endian order', (order) => {
    const le = isLittleEndian(order);
    const p = new Uint8Array(PROG_INFO_SIZE);
    const pv = view(p);
    pv.setUint32(0, 6, le);
    pv.setUint32(4, 300, le);
    p.set([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3], 8);
    pv.setBigUint64(40, 123456789n, le);
    pv.setUint32(84, 1, le);
    pv.setBigUint64(200, 42n, le);
    pv.setUint32(216, 11, le);
    const prog = decodeProgInfo(p, [3, 4], order);
    expect(prog).toMatchObject({
      type: 6,
      id: 300,
      tag: 'deadbeef00010203',
      loadTime: 123456789n,
      gplCompatible: true,
    });
    expect(prog).toMatchObject({ runCnt: 42n, verifiedInsns: 11, mapIds: [3, 4] });
    const l = new Uint8Array(64);
    [2, 9, 300].forEach((x, i) => {
      view(l).setUint32(i * 4, x, le);
    });
    expect(decodeLinkInfo(l, order)).toMatchObject({ type: 2, id: 9, progId: 300 });
    const t = new Uint8Array(32);
    view(t).setUint32(8, 4096, le);
    view(t).setUint32(12, 7, le);
    view(t).setUint32(28, 1, le);
    const name = new TextEncoder().encode('vmlinux\0');
    expect(decodeBtfInfo(t, name, order)).toEqual({ btfSize: 4096, id: 7, name: 'vmlinux', kernelBtf: true });
  });
});
