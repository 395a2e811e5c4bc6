import { R1, R2, R3, R4, R5, R6, R10, type Register, ReturnCodeError } from '@ts-ebpf/dsl';
import { XdpAction, xdp } from '@ts-ebpf/dsl-xdp';
import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  csumFold,
  csumReplace,
  ensure,
  ethernet,
  ipv4,
  ipv6,
  loadField,
  loadPacketPointers,
  net16,
  PacketDslError,
  packetCursor,
  storeField,
  tcp,
} from '../src/index.js';

const c = packetCursor({ data: R2, end: R3, pos: R4, scratch: R5, byteOrder: 'little' });

describe('dsl-packet error catalog', () => {
  catalog([
    {
      what: 'one register for two cursor roles',
      act: () => packetCursor({ data: R2, end: R3, pos: R2, scratch: R5, byteOrder: 'little' }),
      error: PacketDslError,
      names: ["'data'", "'pos'", 'r2'],
    },
    {
      what: 'the frame pointer as a cursor register',
      act: () => packetCursor({ data: R10, end: R3, pos: R4, scratch: R5, byteOrder: 'little' }),
      error: PacketDslError,
      names: ["'data'", 'r10'],
    },
    {
      what: 'a number where a cursor register goes',
      act: () =>
        packetCursor({ data: 2 as unknown as Register, end: R3, pos: R4, scratch: R5, byteOrder: 'little' }),
      error: PacketDslError,
      names: ["'data'"],
    },
    {
      what: 'a byte order that is not little or big',
      act: () => packetCursor({ data: R2, end: R3, pos: R4, scratch: R5, byteOrder: 'network' as 'little' }),
      error: PacketDslError,
      names: ["'byteOrder'", 'network'],
    },
    {
      what: 'a misaligned context offset for data_end',
      act: () => loadPacketPointers(c, R1, { data: 0, dataEnd: 6 }),
      error: PacketDslError,
      names: ["'dataEnd'", '6'],
    },
    {
      what: 'more VLAN tags than the parser unrolls',
      act: () => ethernet(c, c.start, { etherType: R1, vlanTags: 9, miss: 'drop' }),
      error: PacketDslError,
      names: ["'vlanTags'", '9'],
    },
    {
      what: 'more VLAN ID registers than tags',
      act: () => ethernet(c, c.start, { etherType: R1, vlanTags: 1, vlanIds: [R6, R6], miss: 'drop' }),
      error: PacketDslError,
      names: ["'vlanIds'"],
    },
    {
      what: "a parser output in one of the cursor's registers",
      act: () => ipv4(c, c.start, { protocol: R4, miss: 'drop' }),
      error: PacketDslError,
      names: ['ipv4', 'r4'],
    },
    {
      what: 'a laterFragments that is neither a label nor an action',
      act: () => ipv4(c, c.start, { protocol: R1, miss: 'drop', laterFragments: { action: 1.5 } }),
      error: PacketDslError,
      names: ['ipv4', 'laterFragments'],
    },
    {
      what: 'an empty laterFragments label for IPv6',
      act: () => ipv6(c, c.start, { nextHeader: R1, miss: 'drop', laterFragments: '' }),
      error: PacketDslError,
      names: ['ipv6', 'laterFragments'],
    },
    {
      what: 'more IPv6 extension headers than the bound allows',
      act: () => ipv6(c, c.start, { nextHeader: R1, extensions: 17, miss: 'drop' }),
      error: PacketDslError,
      names: ["'extensions'", '17'],
    },
    {
      what: 'an empty miss label',
      act: () => tcp(c, c.start, { sourcePort: R1, miss: '' }),
      error: PacketDslError,
      names: ['tcp', 'miss'],
    },
    {
      what: 'a bounds check whose miss action the section does not return (XDP_TX from a devmap program)',
      act: () =>
        xdp('xdp/devmap').build([
          ensure(c, c.start, 14, { action: XdpAction.TX }),
          xdp('xdp/devmap').ret('XDP_PASS'),
        ]),
      error: ReturnCodeError,
      names: ["section 'xdp/devmap'", 'XDP_TX (3) from bounds check miss', 'drops the frame'],
    },
    {
      what: "a parser's miss action the section does not return (XDP_TX from a cpumap program)",
      act: () =>
        xdp('xdp/cpumap').build([
          ipv4(c, c.start, { miss: { action: XdpAction.TX }, options: false }).code,
          xdp('xdp/cpumap').ret('XDP_PASS'),
        ]),
      error: ReturnCodeError,
      names: ["section 'xdp/cpumap'", 'XDP_TX (3) from ipv4 option miss'],
    },
    {
      what: 'a bounds check past the 16-bit offset',
      act: () => ensure(c, { base: R2, offset: 0x7ff0 }, 64, 'drop'),
      error: PacketDslError,
      names: ['reach', String(0x7ff0 + 64)],
    },
    {
      what: 'an EtherType order that is neither host nor network (it built a network-order compare)',
      act: () => ethernet(c, c.start, { etherType: R1, order: 'net' as 'network', miss: 'drop' }),
      error: PacketDslError,
      names: ["ethernet option 'order'", 'net'],
    },
    {
      what: 'a port order that is neither host nor network',
      act: () => tcp(c, c.start, { destinationPort: R1, order: 'Host' as 'host', miss: 'drop' }),
      error: PacketDslError,
      names: ["tcp option 'order'", 'Host'],
    },
    {
      what: 'a field order that is neither host nor network',
      act: () => loadField(R1, { at: c.start, field: 0, bytes: 2 }, 'le' as 'host'),
      error: PacketDslError,
      names: ["loadField 'order'", 'le'],
    },
    {
      what: 'a store order that is neither host nor network',
      act: () => storeField(c, { at: c.start, field: 0, bytes: 2 }, R1, 'be' as 'host'),
      error: PacketDslError,
      names: ["storeField 'order'", 'be'],
    },
    {
      what: 'a 3-byte packet field',
      act: () => loadField(R1, { at: c.start, field: 0, bytes: 3 as 4 }),
      error: PacketDslError,
      names: ['size 3'],
    },
    {
      what: 'a constant too wide for a 1-byte field',
      act: () => storeField(c, { at: c.start, field: 0, bytes: 1 }, 300),
      error: PacketDslError,
      names: ['300', '1-byte'],
    },
    {
      what: 'a network-order constant wider than 16 bits',
      act: () => net16(0x10000, 'little'),
      error: PacketDslError,
      names: [String(0x10000), '16 bits'],
    },
    {
      what: 'csumReplace with the header base in a register the call clobbers',
      act: () => csumReplace({ at: c.start, field: 10, from: -8, to: -4, bytes: 4 }),
      error: PacketDslError,
      names: ['r2', 'r6-r9'],
    },
    {
      what: 'csumReplace of a size bpf_csum_diff refuses',
      act: () => csumReplace({ at: { base: R6, offset: 14 }, field: 10, from: -8, to: -4, bytes: 2 }),
      error: PacketDslError,
      names: ["'bytes'", '2'],
    },
    {
      what: 'csumReplace with old bytes outside the stack',
      act: () => csumReplace({ at: { base: R6, offset: 14 }, field: 10, from: 8, to: -4, bytes: 4 }),
      error: PacketDslError,
      names: ["'from'", '8'],
    },
    {
      what: 'csumFold with one register for sum and tmp',
      act: () => csumFold(R1, R1),
      error: PacketDslError,
      names: ['csumFold'],
    },
  ]);
});
