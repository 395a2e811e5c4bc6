import { ContextAccessError, exit, mov, PluginRegistry, R0, R2 } from '@ts-ebpf/dsl';
import { IpProto } from '@ts-ebpf/dsl-packet';
import { Program } from '@ts-ebpf/programs';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfAttachType, BpfProgType, HOST_BYTE_ORDER, HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import { eth, ext, fragmentExt, ipv4, ipv6, tcp, udp } from '../../dsl-packet/test/support/frames.js';
import {
  FLOW_DISSECTOR_CTX,
  FlowDissectorFlag,
  FlowKeys,
  flowDissector,
  flowDissectorPlugin,
} from '../src/index.js';
import { BPF_DROP, BPF_OK, referenceKeys } from './reference.js';

const PAYLOAD = [1, 2, 3, 4, 5, 6, 7, 8];
const f = (...parts: (readonly number[])[]) => Uint8Array.from(parts.flat());

function withFragOff(frame: Uint8Array, ipAt: number, value: number): Uint8Array {
  const out = Uint8Array.from(frame);
  out[ipAt + 6] = value >> 8;
  out[ipAt + 7] = value & 0xff;
  return out;
}

const later6 = [IpProto.UDP, 0, 0x00, 0x09, 0, 0, 0, 1]; // offset 1, M set
const FRAMES: Record<string, Uint8Array> = {
  'ipv4 udp': f(eth(0x0800), ipv4(IpProto.UDP, 16), udp(1000, 53, 8), PAYLOAD),
  'ipv4 tcp with options': f(eth(0x0800), ipv4(IpProto.TCP, 20, 2), tcp(40000, 443, 0x02)),
  'ipv4 first fragment': withFragOff(
    f(eth(0x0800), ipv4(IpProto.UDP, 16), udp(7, 9, 8), PAYLOAD),
    14,
    0x2000,
  ),
  'ipv4 later fragment': withFragOff(
    f(eth(0x0800), ipv4(IpProto.UDP, 16), udp(7, 9, 8), PAYLOAD),
    14,
    0x0003,
  ),
  'ipv4 bad ihl': f(eth(0x0800), ipv4(IpProto.UDP, 16, 0, 4), udp(7, 9, 8), PAYLOAD),
  'vlan ipv4 tcp': f(eth(0x0800, [[0x8100, 10]]), ipv4(IpProto.TCP, 20), tcp(1, 2, 0x10)),
  'qinq ipv6 udp': f(
    eth(0x86dd, [
      [0x88a8, 1],
      [0x8100, 2],
    ]),
    ipv6(IpProto.UDP, 16),
    udp(5353, 5353, 8),
    PAYLOAD,
  ),
  'ipv6 hop-by-hop tcp': f(eth(0x86dd), ipv6(0, 36), ext(IpProto.TCP, 1), tcp(22, 50000, 0x18)),
  'ipv6 first fragment': f(eth(0x86dd), ipv6(44, 24), fragmentExt(IpProto.UDP), udp(1, 2, 8), PAYLOAD),
  'ipv6 later fragment': f(eth(0x86dd), ipv6(44, 24), later6, PAYLOAD, PAYLOAD),
  'ipv6 icmpv6': f(eth(0x86dd), ipv6(IpProto.ICMPV6, 8), PAYLOAD),
  arp: f(eth(0x0806), new Array(28).fill(7)),
};
const labelled = f(eth(0x86dd), ipv6(IpProto.UDP, 16), udp(9, 10, 8), PAYLOAD);
labelled[15] = 0x0a; // flow label 0xa1234
labelled[16] = 0x12;
labelled[17] = 0x34;
FRAMES['ipv6 flow label'] = labelled;

function flagsCtx(flags: number): Uint8Array {
  const ctx = new Uint8Array(FlowKeys.SIZE);
  new DataView(ctx.buffer).setUint32(FlowKeys.FLAGS, flags, HOST_LITTLE_ENDIAN);
  return ctx;
}

describe('flow dissector plugin', () => {
  it('has the flow_dissector section, the return codes and the context rules', () => {
    expect(flowDissector().def).toMatchObject({
      progType: BpfProgType.FLOW_DISSECTOR,
      expectedAttachType: BpfAttachType.FLOW_DISSECTOR,
    });
    expect(new PluginRegistry([flowDissectorPlugin]).forSection('flow_dissector')?.plugin).toBe(
      flowDissectorPlugin,
    );
    expect(flowDissectorPlugin.returnCodes).toEqual({
      BPF_OK: 0,
      BPF_DROP: 2,
      BPF_FLOW_DISSECTOR_CONTINUE: 129,
    });
    expect(() => flowDissector().store('data', R2, FLOW_DISSECTOR_CTX)).toThrow(ContextAccessError);
    expect(() => flowDissector().load('mark' as 'data', R2)).toThrow(/has no field 'mark'/);
    expect(flowDissector().load('flow_keys', R2, FLOW_DISSECTOR_CTX)).toMatchObject({ off: 144 });
  });
});

describeKernel('the dissect template in BPF_PROG_TEST_RUN', () => {
  it('gives the flow keys of the TypeScript reference for every frame, cut at every length, with every flag', () => {
    using p = Program.load(
      flowDissector().build(flowDissectorPlugin.templates.dissect({ byteOrder: HOST_BYTE_ORDER })),
    );
    let ok = 0;
    let dropped = 0;
    for (const [name, frame] of Object.entries(FRAMES)) {
      for (let cut = 14; cut <= frame.length; cut++) {
        for (const flags of [0, FlowDissectorFlag.PARSE_1ST_FRAG, FlowDissectorFlag.STOP_AT_FLOW_LABEL]) {
          const data = frame.subarray(0, cut);
          const want = referenceKeys(data, flags);
          const got = p.testRun({ data, ctx: flagsCtx(flags), dataSizeOut: FlowKeys.SIZE });
          const what = `${name}, ${cut} bytes, flags ${flags}`;
          expect(got.retval, what).toBe(want.retval);
          if (want.keys) {
            expect(Array.from(got.data), what).toEqual(Array.from(want.keys));
            ok++;
          } else dropped++;
        }
      }
    }
    expect(ok).toBeGreaterThan(50);
    expect(dropped).toBeGreaterThan(50);
  });

  it('spot checks: ports, addresses, fragments, VLAN offsets', () => {
    using p = Program.load(
      flowDissector().build(flowDissectorPlugin.templates.dissect({ byteOrder: HOST_BYTE_ORDER })),
    );
    const run = (frame: Uint8Array, flags = 0) => {
      const r = p.testRun({ data: frame, ctx: flagsCtx(flags), dataSizeOut: FlowKeys.SIZE });
      const v = new DataView(r.data.buffer, r.data.byteOffset);
      return {
        retval: r.retval,
        nhoff: v.getUint16(0, HOST_LITTLE_ENDIAN),
        thoff: v.getUint16(2, HOST_LITTLE_ENDIAN),
        addrProto: v.getUint16(4, HOST_LITTLE_ENDIAN),
        isFrag: r.data[6],
        isFirstFrag: r.data[7],
        ipProto: r.data[9],
        sport: v.getUint16(12),
        dport: v.getUint16(14),
        src4: Array.from(r.data.subarray(16, 20)),
      };
    };
    expect(run(FRAMES['ipv4 udp']!)).toMatchObject({
      retval: BPF_OK,
      nhoff: 14,
      thoff: 34,
      addrProto: 0x0800,
      ipProto: IpProto.UDP,
      sport: 1000,
      dport: 53,
      src4: [192, 0, 2, 1],
    });
    expect(run(FRAMES['vlan ipv4 tcp']!)).toMatchObject({ nhoff: 18, thoff: 38, sport: 1, dport: 2 });
    expect(run(FRAMES['ipv4 first fragment']!)).toMatchObject({ isFrag: 1, isFirstFrag: 1, dport: 0 });
    expect(run(FRAMES['ipv4 first fragment']!, FlowDissectorFlag.PARSE_1ST_FRAG)).toMatchObject({ dport: 9 });
    expect(run(FRAMES['ipv6 hop-by-hop tcp']!)).toMatchObject({ thoff: 14 + 40 + 16, dport: 50000 });
    expect(run(FRAMES.arp!).retval).toBe(BPF_DROP);
    using cont = Program.load(
      flowDissector().build(
        flowDissectorPlugin.templates.dissect({
          byteOrder: HOST_BYTE_ORDER,
          otherProtocols: 'BPF_FLOW_DISSECTOR_CONTINUE',
        }),
      ),
    );
    expect(cont.testRun({ data: FRAMES.arp!, dataSizeOut: FlowKeys.SIZE }).retval).toBe(129);
  });

  it('a plain program built with the plugin runs', () => {
    using p = Program.load(flowDissector().build([mov(R0, 0), exit()]));
    expect(p.testRun({ data: FRAMES['ipv4 udp']!, dataSizeOut: FlowKeys.SIZE }).retval).toBe(0);
  });
});
