import { readFileSync } from 'node:fs';
import { Btf, membersOf } from '@ts-ebpf/btf';
import { describeKernel } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN, XdpTxMetadataFlag } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BpfArgumentError,
  writeXskTxMetadata,
  XSK_TX_METADATA_LAYOUT,
  xskTxMetadataFlags,
  xskTxTimestamp,
} from '../src/index.js';

describeKernel("struct xsk_tx_metadata against this kernel's BTF", () => {
  it('has the offset of every member path and the size', () => {
    const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
    const [id] = btf.findIds('xsk_tx_metadata', 'struct');
    expect(id).toBeDefined();
    // Member paths as the layout names them: anonymous unions flattened, named ones prefixed.
    const paths = new Map<string, number>();
    const walk = (typeId: number, base: number, prefix: string): void => {
      for (const m of membersOf(btf, typeId)) {
        const path = m.name === '' ? prefix : `${prefix}${m.name}`;
        if (m.name === '' || m.name === 'request' || m.name === 'completion')
          walk(m.type, base + m.byteOffset, m.name === '' ? prefix : `${path}.`);
        else paths.set(path, base + m.byteOffset);
      }
    };
    walk(id!, 0, '');
    const { SIZE, ...fields } = XSK_TX_METADATA_LAYOUT;
    expect(Object.fromEntries(paths)).toEqual(fields);
    expect(btf.type(id!)).toMatchObject({ size: SIZE });
  });
});

describe('TX metadata requests', () => {
  it('are written in host byte order over a zeroed area, and their flags returned', () => {
    const area = new Uint8Array(32).fill(0xee);
    const flags = writeXskTxMetadata(
      area,
      { checksum: { start: 34, offset: 6 }, timestamp: true, launchTime: 5n },
      60,
    );
    expect(flags).toBe(
      XdpTxMetadataFlag.CHECKSUM | XdpTxMetadataFlag.TIMESTAMP | XdpTxMetadataFlag.LAUNCH_TIME,
    );
    const v = new DataView(area.buffer);
    const L = XSK_TX_METADATA_LAYOUT;
    expect(v.getBigUint64(L.flags, HOST_LITTLE_ENDIAN)).toBe(7n);
    expect(v.getUint16(L['request.csum_start'], HOST_LITTLE_ENDIAN)).toBe(34);
    expect(v.getUint16(L['request.csum_offset'], HOST_LITTLE_ENDIAN)).toBe(6);
    expect(v.getBigUint64(L['request.launch_time'], HOST_LITTLE_ENDIAN)).toBe(5n);
    expect([...area.subarray(24)]).toEqual(new Array(8).fill(0));
    v.setBigUint64(L['completion.tx_timestamp'], 123456789n, HOST_LITTLE_ENDIAN);
    expect(xskTxTimestamp(area)).toBe(123456789n);
    // a timestamp alone leaves the request's bytes zero
    writeXskTxMetadata(area, { timestamp: true }, 60);
    expect([...area.subarray(8)]).toEqual(new Array(24).fill(0));
  });

  it('are checked as the kernel checks them, naming the member', () => {
    const refused = (request: object, frameLength = 60, area = 24) => {
      try {
        xskTxMetadataFlags(request, frameLength, area);
      } catch (e) {
        expect(e).toBeInstanceOf(BpfArgumentError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    // the checksum's two bytes end at most at the frame's end (csum_start + csum_offset + 2 ≤ len)
    expect(refused({ checksum: { start: 52, offset: 6 } })).toBe('accepted');
    expect(refused({ checksum: { start: 53, offset: 6 } })).toMatch(
      /^invalid metadata\.checksum: .*ends at byte 61, past the 60-byte frame/,
    );
    expect(refused({ checksum: { start: -1, offset: 6 } })).toMatch(/metadata\.checksum\.start/);
    expect(refused({ checksum: { start: 0, offset: 0x10000 } })).toMatch(/metadata\.checksum\.offset.*65536/);
    expect(refused({ launchTime: 1n }, 60, 16)).toMatch(/metadata\.launchTime.*has 16 bytes/);
    expect(refused({ launchTime: 1n << 64n })).toMatch(/metadata\.launchTime.*u64/);
    expect(refused({ launchTime: 1 })).toMatch(/metadata\.launchTime.*bigint/);
    expect(refused({ timestamp: 'yes' })).toMatch(/metadata\.timestamp/);
    expect(refused({ flags: 8 })).toMatch(/metadata\.flags: no such TX metadata request/);
    expect(refused({ launchtime: 1n })).toMatch(/did you mean launchTime/);
    expect(refused({ timestamp: false })).toMatch(/asks for nothing/);
    expect(refused({ timestamp: true }, 60, 20)).toMatch(/TX metadata area.*20/);
  });
});
