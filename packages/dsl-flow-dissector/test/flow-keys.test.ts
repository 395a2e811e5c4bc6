import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { add, jgt, ldx, mark, mov, R1, R2, R3, R4, R5, st, stx } from '@ts-ebpf/dsl';
import { net32 } from '@ts-ebpf/dsl-packet';
import { Program } from '@ts-ebpf/programs';
import { describeKernel, frame, sameForEveryView } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER, IpProto } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  decodeFlowKeys,
  FlowDissectorFlag,
  FlowDissectorOptionError,
  FlowKeys,
  FlowKeysBytesError,
  flowDissector,
  flowDissectorPlugin,
  flowKeysTestCtx,
} from '../src/index.js';

const OTHER_ORDER = HOST_BYTE_ORDER === 'little' ? 'big' : 'little';

/** The bytes of a `struct bpf_flow_keys` a C program fills with `assignments` (k is the struct). */
function cKeys(assignments: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'flow-keys-'));
  try {
    const source = `#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
int main(void) {
  struct bpf_flow_keys k;
  memset(&k, 0, sizeof k);
  ${assignments}
  const unsigned char *b = (const unsigned char *)&k;
  for (size_t i = 0; i < sizeof k; i++) printf("%02x", b[i]);
  return 0;
}`;
    execFileSync('gcc', ['-x', 'c', '-o', join(dir, 'keys'), '-'], { input: source });
    return Uint8Array.from(Buffer.from(execFileSync(join(dir, 'keys'), { encoding: 'utf8' }), 'hex'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('decodeFlowKeys against struct bpf_flow_keys as gcc and linux/bpf.h lay it out', () => {
  const v4 = cKeys(`k.nhoff = 18; k.thoff = 38; k.addr_proto = 0x0800; k.is_frag = 1; k.is_first_frag = 1;
    k.is_encap = 1; k.ip_proto = 17; k.n_proto = htons(0x0800); k.sport = htons(40000); k.dport = htons(53);
    inet_pton(AF_INET, "10.0.0.1", &k.ipv4_src); inet_pton(AF_INET, "192.168.200.7", &k.ipv4_dst);
    k.flags = 0x80000005; k.flow_label = htonl(0xabcde);`);
  const v6 =
    cKeys(`k.nhoff = 14; k.thoff = 62; k.addr_proto = 0x86dd; k.ip_proto = 6; k.n_proto = htons(0x86dd);
    k.sport = htons(1); k.dport = htons(65535);
    inet_pton(AF_INET6, "2001:db8::1:0:0:1", k.ipv6_src); inet_pton(AF_INET6, "fe80::abcd:ef01", k.ipv6_dst);
    k.flow_label = htonl(0xfffff);`);

  it('decodes every field, from a Buffer, a subarray at an odd offset and a plain Uint8Array, writing none', () => {
    expect(v4.length).toBe(FlowKeys.SIZE);
    expect(sameForEveryView(v4, (b) => decodeFlowKeys(b, HOST_BYTE_ORDER))).toStrictEqual({
      nhoff: 18,
      thoff: 38,
      addrProto: 0x0800,
      isFrag: 1,
      isFirstFrag: 1,
      isEncap: 1,
      ipProto: 17,
      nProto: 0x0800,
      sport: 40000,
      dport: 53,
      src: '10.0.0.1',
      dst: '192.168.200.7',
      flags: 0x80000005,
      flowLabel: 0xabcde,
    });
    expect(sameForEveryView(v6, (b) => decodeFlowKeys(b, HOST_BYTE_ORDER))).toMatchObject({
      nhoff: 14,
      thoff: 62,
      addrProto: 0x86dd,
      ipProto: 6,
      nProto: 0x86dd,
      sport: 1,
      dport: 65535,
      src: '2001:db8::1:0:0:1',
      dst: 'fe80::abcd:ef01',
      flags: 0,
      flowLabel: 0xfffff,
    });
  });

  it('orders only the host-order fields by byteOrder; no addresses without an IP addr_proto', () => {
    const swapped = decodeFlowKeys(v4, OTHER_ORDER);
    expect(swapped).toMatchObject({ nhoff: 18 << 8, thoff: 38 << 8, addrProto: 0x0008, flags: 0x05000080 });
    expect(swapped).toMatchObject({ nProto: 0x0800, sport: 40000, dport: 53, flowLabel: 0xabcde });
    expect(swapped.src).toBeUndefined();
    expect(decodeFlowKeys(cKeys('k.addr_proto = 0x0806;'), HOST_BYTE_ORDER)).toMatchObject({
      src: undefined,
      dst: undefined,
    });
  });

  it('reads the struct at the start of longer bytes; refuses shorter ones naming the struct and the sizes', () => {
    const longer = new Uint8Array(100).fill(0xee);
    longer.set(v4, 3);
    expect(decodeFlowKeys(longer.subarray(3), HOST_BYTE_ORDER)).toStrictEqual(
      decodeFlowKeys(v4, HOST_BYTE_ORDER),
    );
    const short = () => decodeFlowKeys(v4.subarray(0, 55), HOST_BYTE_ORDER);
    expect(short).toThrow(FlowKeysBytesError);
    expect(short).toThrow('struct bpf_flow_keys: needs 56 bytes, got 55');
    expect(() => decodeFlowKeys([1, 2] as unknown as Uint8Array, HOST_BYTE_ORDER)).toThrow(
      FlowKeysBytesError,
    );
    expect(() => decodeFlowKeys(v4, 'network' as 'big')).toThrow(FlowDissectorOptionError);
  });

  it('flowKeysTestCtx sets flags where C does and nothing else', () => {
    const flags = FlowDissectorFlag.PARSE_1ST_FRAG | FlowDissectorFlag.STOP_AT_ENCAP;
    expect(Array.from(flowKeysTestCtx(flags, HOST_BYTE_ORDER))).toEqual(
      Array.from(cKeys(`k.flags = ${flags};`)),
    );
    expect(() => flowKeysTestCtx(-1, HOST_BYTE_ORDER)).toThrow(/flowKeysTestCtx flags: -1 is not a u32/);
    expect(() => flowKeysTestCtx(2 ** 32, HOST_BYTE_ORDER)).toThrow(FlowDissectorOptionError);
  });
});

const ETH = 14;
const tcp = (sport: number, dport: number) => ({ tcp: { sport, dport } });
const udp = (sport: number, dport: number) => ({ udp: { sport, dport }, payload: new Uint8Array(8).fill(7) });

describeKernel('decodeFlowKeys of flow dissectors run by BPF_PROG_TEST_RUN', () => {
  const run = (p: Program, data: Uint8Array, flags = 0) => {
    const r = p.testRun({ data, ctx: flowKeysTestCtx(flags, HOST_BYTE_ORDER) });
    return { retval: r.retval, keys: decodeFlowKeys(r.data, HOST_BYTE_ORDER) };
  };

  it('the dissect template: IPv4 TCP and UDP, IPv6, fragments, flags', () => {
    using p = Program.load(
      flowDissector().build(flowDissectorPlugin.templates.dissect({ byteOrder: HOST_BYTE_ORDER })),
    );
    const v4 = { src: '10.0.0.1', dst: '172.16.254.3' };
    expect(run(p, frame({ ip: { v4 }, l4: tcp(40000, 443) }))).toStrictEqual({
      retval: 0,
      keys: {
        nhoff: ETH,
        thoff: ETH + 20,
        addrProto: 0x0800,
        isFrag: 0,
        isFirstFrag: 0,
        isEncap: 0,
        ipProto: IpProto.TCP,
        nProto: 0x0800,
        sport: 40000,
        dport: 443,
        src: '10.0.0.1',
        dst: '172.16.254.3',
        flags: 0,
        flowLabel: 0,
      },
    });
    // IPv4 options: thoff follows the IHL.
    const udp4 = run(p, frame({ ip: { v4: { ...v4, optionWords: 3 } }, l4: udp(5353, 53) }));
    expect(udp4.keys).toMatchObject({
      thoff: ETH + 32,
      ipProto: IpProto.UDP,
      sport: 5353,
      dport: 53,
      src: v4.src,
    });

    const tcp6 = frame({ ip: { v6: { extensions: [0] } }, l4: tcp(22, 50000) });
    tcp6.set([0x0a, 0x12, 0x34], ETH + 1); // flow label 0xa1234
    expect(run(p, tcp6).keys).toMatchObject({
      nhoff: ETH,
      thoff: ETH + 40 + 8,
      addrProto: 0x86dd,
      nProto: 0x86dd,
      ipProto: IpProto.TCP,
      sport: 22,
      dport: 50000,
      src: '2001:db8::1',
      dst: '2001:db8::2',
      flowLabel: 0xa1234,
    });
    // With STOP_AT_FLOW_LABEL and a label, the dissector stops before the ports.
    expect(run(p, tcp6, FlowDissectorFlag.STOP_AT_FLOW_LABEL).keys).toMatchObject({
      flags: FlowDissectorFlag.STOP_AT_FLOW_LABEL,
      flowLabel: 0xa1234,
      sport: 0,
      dport: 0,
    });

    // IPv4 fragments: a first one (MF) gives ports only with PARSE_1ST_FRAG; a later one never.
    const first4 = frame({ ip: { v4: { ...v4, fragOff: 0x2000 } }, l4: udp(7, 9) });
    expect(run(p, first4).keys).toMatchObject({ isFrag: 1, isFirstFrag: 1, ipProto: IpProto.UDP, dport: 0 });
    expect(run(p, first4, FlowDissectorFlag.PARSE_1ST_FRAG).keys).toMatchObject({
      isFrag: 1,
      isFirstFrag: 1,
      sport: 7,
      dport: 9,
      flags: FlowDissectorFlag.PARSE_1ST_FRAG,
    });
    const later4 = frame({ ip: { v4: { ...v4, fragOff: 0x0003 } }, l4: udp(7, 9) });
    expect(run(p, later4, FlowDissectorFlag.PARSE_1ST_FRAG).keys).toMatchObject({
      isFrag: 1,
      isFirstFrag: 0,
      thoff: ETH + 20,
      sport: 0,
      dport: 0,
      src: v4.src,
      dst: v4.dst,
    });

    // IPv6 fragment header right after the fixed header (offset word: offset << 3 | M).
    const first6 = frame({ ip: { v6: { fragOff: 0x0001 } }, l4: udp(1000, 2000) });
    expect(run(p, first6, FlowDissectorFlag.PARSE_1ST_FRAG).keys).toMatchObject({
      isFrag: 1,
      isFirstFrag: 1,
      thoff: ETH + 48,
      ipProto: IpProto.UDP,
      sport: 1000,
      dport: 2000,
      src: '2001:db8::1',
    });
    const later6 = frame({ ip: { v6: { fragOff: (2 << 3) | 1 } }, l4: udp(1000, 2000) });
    expect(run(p, later6, FlowDissectorFlag.PARSE_1ST_FRAG).keys).toMatchObject({
      isFrag: 1,
      isFirstFrag: 0,
      sport: 0,
      dport: 0,
    });
  });

  it('a program of our own built with the plugin: the keys it copies from an IPv4 packet, is_encap and a flow label', () => {
    const fd = flowDissector();
    const [K, DATA, END] = [R5, R2, R3];
    const ip = ETH; // no VLAN tags, no IPv4 options: the ports at ip + 20
    using p = Program.load(
      fd.build([
        fd.load('flow_keys', K),
        fd.load('data', DATA),
        fd.load('data_end', END),
        mov(R4, DATA),
        add(R4, ip + 24),
        jgt(R4, END, 'drop'),
        ldx('w', R1, DATA, ip + 12),
        stx('w', K, R1, FlowKeys.IPV4_SRC),
        ldx('w', R1, DATA, ip + 16),
        stx('w', K, R1, FlowKeys.IPV4_DST),
        ldx('b', R1, DATA, ip + 9),
        stx('b', K, R1, FlowKeys.IP_PROTO),
        ldx('h', R1, DATA, ip + 20),
        stx('h', K, R1, FlowKeys.SPORT),
        ldx('h', R1, DATA, ip + 22),
        stx('h', K, R1, FlowKeys.DPORT),
        st('h', K, FlowKeys.ADDR_PROTO, 0x0800),
        st('h', K, FlowKeys.THOFF, ip + 20),
        st('b', K, FlowKeys.IS_ENCAP, 1),
        st('w', K, FlowKeys.FLOW_LABEL, net32(0xbeef5, HOST_BYTE_ORDER)),
        fd.ret('BPF_OK'),
        mark('drop'),
        fd.ret('BPF_DROP'),
      ]),
    );
    const packet = frame({ ip: { v4: { src: '198.51.100.20', dst: '203.0.113.9' } }, l4: udp(123, 4567) });
    expect(run(p, packet, FlowDissectorFlag.STOP_AT_ENCAP)).toStrictEqual({
      retval: 0,
      keys: {
        nhoff: ETH, // the kernel's, from the test run
        thoff: ETH + 20,
        addrProto: 0x0800,
        isFrag: 0,
        isFirstFrag: 0,
        isEncap: 1,
        ipProto: IpProto.UDP,
        nProto: 0x0800, // the kernel's, from the Ethernet header
        sport: 123,
        dport: 4567,
        src: '198.51.100.20',
        dst: '203.0.113.9',
        flags: FlowDissectorFlag.STOP_AT_ENCAP,
        flowLabel: 0xbeef5,
      },
    });
  });

  it('the kernel takes flowKeysTestCtx and refuses a context with any other field set', () => {
    using p = Program.load(flowDissector().build(flowDissector().ret('BPF_OK')));
    const data = frame({ ip: { v4: { src: '10.0.0.1', dst: '10.0.0.2' } }, l4: udp(1, 2) });
    expect(p.testRun({ data, ctx: flowKeysTestCtx(0xffffffff, HOST_BYTE_ORDER) }).retval).toBe(0);
    const nhoff = flowKeysTestCtx(0, HOST_BYTE_ORDER);
    nhoff[FlowKeys.NHOFF] = 1;
    expect(() => p.testRun({ data, ctx: nhoff })).toThrow(/EINVAL/);
  });
});
