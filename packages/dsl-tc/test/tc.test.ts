import {
  add,
  ContextAccessError,
  exit,
  type Fragment,
  HelperNotAllowedError,
  jgt,
  ldx,
  mark,
  mov,
  type PluginProgram,
  PluginRegistry,
  R0,
  R2,
  R3,
  R7,
  R8,
  R9,
  R10,
  st,
} from '@ts-ebpf/dsl';
import { IpProto, net16 } from '@ts-ebpf/dsl-packet';
import * as socket from '@ts-ebpf/dsl-socket';
import { Program } from '@ts-ebpf/programs';
import { describeKernel } from '@ts-ebpf/test-utils';
import { BpfAttachType, BpfProgType, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import {
  BPF_SOCK,
  changeHead,
  changeTail,
  cloneRedirect,
  l3CsumReplace,
  l4CsumReplace,
  loadBytes,
  loadSock,
  redirect,
  redirectNeigh,
  redirectPeer,
  SocketFieldError,
  skFullsock,
  storeBytes,
  TC_CLASSIC_RETURN_CODES,
  TC_CTX,
  TC_RETURN_CODES,
  TC_SK_BUFF,
  TcAction,
  TcArgumentError,
  tc,
  tcActionCode,
  tcPlugin,
  type Value,
} from '../src/index.js';
import {
  countersMap,
  eth,
  ext,
  fragmentExt,
  frame,
  inetChecksum,
  ipv4,
  ipv6,
  readCounters,
  run,
  tcp,
  u32Bytes,
  udp,
} from './support.js';

const ORDER = HOST_BYTE_ORDER;
const EFAULT = 14;
const PAYLOAD = [1, 2, 3, 4, 5, 6, 7, 8];
const v4udp = (dport: number) => frame(eth(0x0800), ipv4(IpProto.UDP, 16), udp(1000, dport, 8), PAYLOAD);
const v4tcp = (dport: number) => frame(eth(0x0800), ipv4(IpProto.TCP, 20), tcp(1000, dport, 0x02));

const retOk = (): Fragment => [mov(R0, TcAction.OK), exit()];
const netPort = (port: number) => net16(port, ORDER);
const loadBuilt = (built: PluginProgram) => Program.load(built);
const tcLoad = (body: Fragment, section: 'tcx/ingress' | 'tcx/egress') =>
  Program.load(tc(section).build(body));

describe('tc plugin', () => {
  it('covers the tc and tcx sections', () => {
    expect(tc().def).toMatchObject({
      progType: BpfProgType.SCHED_CLS,
      expectedAttachType: BpfAttachType.TCX_INGRESS,
    });
    expect(tc('tcx/egress').def.expectedAttachType).toBe(BpfAttachType.TCX_EGRESS);
    expect(tc('classifier').def.expectedAttachType).toBeUndefined();
    expect(new PluginRegistry([tcPlugin]).forSection('tc')?.plugin).toBe(tcPlugin);
    expect(tcPlugin.returnCodes).toMatchObject({
      TC_ACT_OK: 0,
      TC_ACT_SHOT: 2,
      TC_ACT_REDIRECT: 7,
      TC_ACT_UNSPEC: -1,
    });
    expect(Object.keys(TC_RETURN_CODES)).toHaveLength(14);
    // tcx's names, with the values of enum tcx_action_base
    expect(tcPlugin.returnCodes).toMatchObject({ TCX_NEXT: -1, TCX_PASS: 0, TCX_DROP: 2, TCX_REDIRECT: 7 });
    expect(tc('tcx/egress').ret('TCX_DROP')).toEqual([mov(R0, TcAction.SHOT), exit()]);
    expect(tcActionCode('TCX_NEXT')).toBe(TcAction.UNSPEC);
  });

  it('gives the tcx sections the four codes tcx reads, by both names, and tc, classifier the six a direct-action cls_bpf filter reads', () => {
    for (const section of ['tcx/ingress', 'tcx/egress', 'tc/ingress', 'tc/egress'] as const) {
      expect(tc(section).returnCodes).toEqual({
        TC_ACT_UNSPEC: -1,
        TC_ACT_OK: 0,
        TC_ACT_SHOT: 2,
        TC_ACT_REDIRECT: 7,
        TCX_NEXT: -1,
        TCX_PASS: 0,
        TCX_DROP: 2,
        TCX_REDIRECT: 7,
      });
      expect(() => tc(section).ret('TC_ACT_STOLEN' as never)).toThrow(
        `plugin 'tc', section '${section}': "TC_ACT_STOLEN" is not a return code: tcx treats TC_ACT_STOLEN as TCX_NEXT once it has ended the chain of tcx programs (tcx_run, tcx_action_code): the tcx programs after it do not run, the classic tc filters do, and the packet passes when there are none; use TCX_DROP to drop it (TC_ACT_STOLEN consumes the packet on classic tc only: build for section 'tc' and attach with attachTcClassic) (it has TC_ACT_UNSPEC, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_REDIRECT, TCX_NEXT, TCX_PASS, TCX_DROP, TCX_REDIRECT)`,
      );
      for (const code of ['TC_ACT_QUEUED', 'TC_ACT_PIPE', 'TC_ACT_RECLASSIFY', 'TC_ACT_REPEAT'])
        expect(() => tc(section).ret(code as never)).toThrow(
          `"${code}" is not a return code: tcx treats ${code} as TCX_NEXT once it has ended the chain of tcx programs (tcx_run, tcx_action_code): the tcx programs after it do not run, the classic tc filters do, and the packet passes when there are none; a classic direct-action cls_bpf filter takes it as TC_ACT_UNSPEC too (cls_bpf_exec_opcode); use TCX_NEXT, TCX_PASS or TCX_DROP`,
        );
      expect(() => tc(section).ret('TC_ACT_TRAP' as never)).toThrow(
        /TC_ACT_TRAP consumes the packet on classic tc only/,
      );
    }
    for (const section of ['tc', 'classifier'] as const) {
      expect(tc(section).returnCodes).toEqual(TC_CLASSIC_RETURN_CODES);
      expect(tc(section).returnCodes).toEqual({
        TC_ACT_UNSPEC: -1,
        TC_ACT_OK: 0,
        TC_ACT_SHOT: 2,
        TC_ACT_STOLEN: 4,
        TC_ACT_REDIRECT: 7,
        TC_ACT_TRAP: 8,
        TCX_NEXT: -1,
        TCX_PASS: 0,
        TCX_DROP: 2,
        TCX_REDIRECT: 7,
      });
      expect(tc(section).ret('TC_ACT_STOLEN')).toEqual([mov(R0, TcAction.STOLEN), exit()]);
      expect(tc(section).ret('TC_ACT_TRAP')).toEqual([mov(R0, TcAction.TRAP), exit()]);
      for (const code of ['TC_ACT_QUEUED', 'TC_ACT_PIPE', 'TC_ACT_RECLASSIFY', 'TC_ACT_REPEAT'])
        expect(() => tc(section).ret(code as never)).toThrow(
          `plugin 'tc', section '${section}': "${code}" is not a return code: a direct-action cls_bpf filter takes ${code} as TC_ACT_UNSPEC (cls_bpf_exec_opcode): the next classic filter runs, and the packet passes when there is none (a tcx link takes it as TCX_NEXT); return TC_ACT_UNSPEC for that, TC_ACT_OK to pass the packet or TC_ACT_SHOT to drop it (it has TC_ACT_UNSPEC, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_STOLEN, TC_ACT_REDIRECT, TC_ACT_TRAP, TCX_NEXT, TCX_PASS, TCX_DROP, TCX_REDIRECT)`,
        );
    }
  });

  it("types skb->sk as the verifier does, a maybe-NULL sock_common, and reads it with dsl-socket's loadSock/skFullsock", () => {
    expect(TC_SK_BUFF.fields.sk).toMatchObject({
      kind: 'pointer',
      btfType: 'struct sock_common',
      nullable: true,
    });
    // the same functions and error class as @ts-ebpf/dsl-socket's, re-exported
    expect(loadSock).toBe(socket.loadSock);
    expect(skFullsock).toBe(socket.skFullsock);
    expect(SocketFieldError).toBe(socket.SocketFieldError);
    expect(() => loadSock('sock_common', 'mark', R3, R2)).toThrow(SocketFieldError);
    expect(loadSock('sock', 'protocol', R3, R0)).toEqual(ldx('w', R3, R0, BPF_SOCK.fields.protocol.offset));
    expect(
      tc().build([tc().load('sk', R2, TC_CTX), ...skFullsock(R2), ...tc().ret('TCX_NEXT')]).instructions,
    ).toHaveLength(6);
  });

  it('lets tc programs write only what tc_cls_act_is_valid_access allows', () => {
    for (const name of [
      'mark',
      'priority',
      'tc_classid',
      'tc_index',
      'queue_mapping',
      'cb[4]',
      'tstamp',
    ] as const)
      expect(() => tc().store(name, R2, TC_CTX)).not.toThrow();
    expect(() => tc().store('len', R2)).toThrow(/may not write struct __sk_buff.len/);
    expect(() => tc().load('family', R2)).toThrow(ContextAccessError);
    expect(() => tc().load('flow_keys', R2)).toThrow(/may not read struct __sk_buff.flow_keys/);
    expect(tc().load('data_end', R2, TC_CTX)).toEqual(ldx('w', R2, TC_CTX, 80));
    expect(tc().load('tstamp', R2, TC_CTX)).toEqual(ldx('dw', R2, TC_CTX, 152));
    expect(TC_SK_BUFF.fields.hwtstamp.offset).toBe(184);
    expect(TC_SK_BUFF.fields.sk).toMatchObject({ kind: 'pointer', nullable: true });
  });

  it('refuses a helper tc programs may not call', () => {
    expect(() => tc().build([mov(R2, 0), { code: 0x85, dst: 0, src: 0, off: 0, imm: 44 }, exit()])).toThrow(
      HelperNotAllowedError,
    );
  });
});

describeKernel('tc programs in BPF_PROG_TEST_RUN', () => {
  it('the kernel accepts the context rules: writes to mark, priority, tc_classid; reads of vlan and sk', () => {
    const built = tc('tcx/ingress').build([
      mov(R2, 7),
      tc().store('mark', R2, TC_CTX),
      tc().store('priority', R2, TC_CTX),
      tc().store('tc_classid', R2, TC_CTX),
      tc().load('vlan_tci', R3, TC_CTX),
      tc().load('sk', R3, TC_CTX),
      tc().load('mark', R0, TC_CTX),
      exit(),
    ]);
    expect(run(built, v4udp(1)).retval).toBe(7);
  });

  it('passAll and dropAll', () => {
    expect(run(tc().build(tcPlugin.templates.passAll()), v4udp(1)).retval).toBe(TcAction.OK);
    expect(run(tc().build(tcPlugin.templates.dropAll()), v4udp(1)).retval).toBe(TcAction.SHOT);
  });

  it('counters adds packets and skb->len to the direction it was built for', () => {
    using map = countersMap();
    const data = v4udp(53);
    for (const direction of ['ingress', 'egress'] as const) {
      using p = tcLoad(tcPlugin.templates.counters({ map, direction }), `tcx/${direction}`);
      for (let i = 0; i < (direction === 'ingress' ? 3 : 2); i++) expect(p.testRun({ data }).retval).toBe(0);
    }
    expect(readCounters(map)).toEqual({
      ingressPackets: 3,
      ingressBytes: 3 * data.length,
      egressPackets: 2,
      egressBytes: 2 * data.length,
    });
  });

  it('portFilter drops TCP and UDP to the ports over IPv4, IPv6, VLAN and extension headers, passes the rest', () => {
    const both = tc().build(tcPlugin.templates.portFilter({ ports: [53, 8080], byteOrder: ORDER }));
    const udpOnly = tc().build(
      tcPlugin.templates.portFilter({ ports: [53], protocols: ['udp'], byteOrder: ORDER }),
    );
    const v6 = frame(eth(0x86dd), ipv6(IpProto.UDP, 16), udp(7, 53, 8), PAYLOAD);
    const v6ext = frame(eth(0x86dd), ipv6(0, 24), ext(IpProto.TCP), tcp(7, 8080, 0x10));
    const vlan = frame(eth(0x0800, [[0x8100, 5]]), ipv4(IpProto.UDP, 16), udp(1, 53, 8), PAYLOAD);
    const { OK, SHOT } = TcAction;
    const cases: [Uint8Array, number, number][] = [
      [v4udp(53), TcAction.SHOT, TcAction.SHOT],
      [v4tcp(53), TcAction.SHOT, TcAction.OK],
      [v4tcp(8080), TcAction.SHOT, TcAction.OK],
      [v4udp(54), TcAction.OK, TcAction.OK],
      [v6, TcAction.SHOT, TcAction.SHOT],
      [v6ext, TcAction.SHOT, TcAction.OK],
      [vlan, TcAction.SHOT, TcAction.SHOT],
      [v4udp(53).subarray(0, 14 + 20 + 3), TcAction.OK, TcAction.OK], // truncated UDP header
      [frame(eth(0x0806), new Array(28).fill(0)), TcAction.OK, TcAction.OK], // ARP
      // A first fragment (MF set) has the UDP header; later ones have none: the bytes after the
      // IP header (here like a UDP header to 53) are payload, and the fragment passes.
      [frame(eth(0x0800), ipv4(IpProto.UDP, 16, 0, undefined, 0x2000), udp(1, 53, 8), PAYLOAD), SHOT, SHOT],
      [frame(eth(0x0800), ipv4(IpProto.UDP, 16, 0, undefined, 185), udp(1, 53, 8), PAYLOAD), OK, OK],
      [frame(eth(0x86dd), ipv6(44, 24), fragmentExt(IpProto.UDP, 1), udp(1, 53, 8), PAYLOAD), SHOT, SHOT],
      [frame(eth(0x86dd), ipv6(44, 24), fragmentExt(IpProto.UDP, 100 << 3), udp(1, 53, 8), PAYLOAD), OK, OK],
    ];
    using a = loadBuilt(both);
    using b = loadBuilt(udpOnly);
    for (const [i, [data, withBoth, withUdp]] of cases.entries()) {
      expect([i, a.testRun({ data }).retval]).toEqual([i, withBoth]);
      expect([i, b.testRun({ data }).retval]).toEqual([i, withUdp]);
    }
  });

  it('dscpMark sets the DSCP, keeps ECN, and leaves a valid IPv4 header checksum', () => {
    const built = tc('tcx/egress').build(tcPlugin.templates.dscpMark({ dscp: 46, byteOrder: ORDER }));
    const input = v4udp(9);
    input[15] = 0x03; // TOS: DSCP 0, ECN CE
    const ipHeader = input.subarray(14, 34);
    ipHeader[10] = 0;
    ipHeader[11] = 0;
    const check = inetChecksum(ipHeader);
    ipHeader[10] = check >> 8;
    ipHeader[11] = check & 0xff;
    expect(inetChecksum(ipHeader)).toBe(0);
    const out = run(built, input);
    expect(out.retval).toBe(TcAction.OK);
    expect(out.data[15]).toBe((46 << 2) | 3);
    expect(inetChecksum(out.data.subarray(14, 34))).toBe(0);
    expect(out.data.subarray(34)).toEqual(input.subarray(34));
    expect(input[15]).toBe(0x03); // the caller's bytes are untouched

    const v6 = frame(eth(0x86dd), ipv6(IpProto.UDP, 16), udp(7, 9, 8), PAYLOAD);
    v6[14] = 0x60; // version 6, traffic class 0x01 (DSCP 0, ECN 1)
    v6[15] = 0x10;
    const out6 = run(built, v6);
    const trafficClass = ((out6.data[14]! & 0x0f) << 4) | (out6.data[15]! >> 4);
    expect(trafficClass).toBe((46 << 2) | 1);
    expect(out6.data[14]! >> 4).toBe(6);
  });

  it('storeBytes, loadBytes, changeTail and changeHead change the packet as asked', () => {
    const data = v4udp(9);
    const stored = tc().build([
      st('w', R10, -8, 0x11223344),
      storeBytes({ offset: 0, stack: -8, length: 4, onFailure: 'TC_ACT_SHOT' }),
      loadBytes({ offset: 4, stack: -16, length: 4, onFailure: 'TC_ACT_SHOT' }),
      ldx('w', R0, R10, -16),
      exit(),
    ]);
    const out = run(stored, data);
    expect(Array.from(out.data.subarray(0, 4))).toEqual(Array.from(u32Bytes(0x11223344)));
    expect(out.retval >>> 0).toBe(new DataView(data.buffer).getUint32(4, ORDER === 'little'));

    const longer = run(
      tc().build([...changeTail(data.length + 10, { onFailure: 'TC_ACT_SHOT' }), ...retOk()]),
      data,
    );
    expect(longer.data.length).toBe(data.length + 10);
    expect(longer.data.subarray(0, data.length)).toEqual(data);
    const shorter = run(tc().build([...changeTail(40), exit()]), data);
    expect(shorter).toMatchObject({ retval: 0 });
    expect(shorter.data.length).toBe(40);
    const headed = run(tc().build([...changeHead(4, { onFailure: 'TC_ACT_SHOT' }), ...retOk()]), data);
    expect(headed.data.length).toBe(data.length + 4);
    expect(headed.data.subarray(4)).toEqual(data);
  });

  it('l4CsumReplace keeps the UDP checksum valid after a port rewrite', () => {
    const data = v4udp(9);
    // A real UDP checksum over the pseudo-header and the datagram.
    const dgram = Array.from(data.subarray(34));
    const pseudo = [...data.subarray(26, 34), 0, IpProto.UDP, 0, dgram.length];
    const sum = inetChecksum([...pseudo, ...dgram]);
    data[40] = sum >> 8;
    data[41] = sum & 0xff;
    const rewrite = tc().build([
      mov(R7, 0),
      ldx('w', R8, TC_CTX, TC_SK_BUFF.fields.data.offset),
      ldx('w', R9, TC_CTX, TC_SK_BUFF.fields.data_end.offset),
      mov(R2, R8),
      add(R2, 42),
      jgt(R2, R9, 'out'),
      ldx('h', R7, R8, 36), // old destination port, as the packet holds it
      st('h', R8, 36, netPort(9999)),
      l4CsumReplace({ offset: 40, from: R7, to: netPort(9999), size: 2, onFailure: 'TC_ACT_SHOT' }),
      mark('out'),
      ...retOk(),
    ]);
    const out = run(rewrite, data);
    expect(out.retval).toBe(0);
    expect((out.data[36]! << 8) | out.data[37]!).toBe(9999);
    const outDgram = Array.from(out.data.subarray(34));
    expect(inetChecksum([...pseudo, ...outDgram])).toBe(0);
  });

  it('skb byte copies fail a negative offset, checksum replacements an odd one or one past 65535, with EFAULT: constant ones are refused', () => {
    const data = v4udp(9);
    const fails = (fragment: (offset: Value) => Fragment, offset: number) => {
      expect([offset, run(tc().build([mov(R7, offset), ...fragment(R7), exit()]), data).retval | 0]).toEqual([
        offset,
        -EFAULT,
      ]);
      expect(() => fragment(offset)).toThrow(TcArgumentError);
    };
    fails((offset) => loadBytes({ offset, stack: -8, length: 4 }), -1);
    fails((offset) => storeBytes({ offset, stack: -8, length: 4 }), -4);
    for (const offset of [-2, 25, 0x10000]) {
      fails((o) => l3CsumReplace({ offset: o, from: 0, to: 0, size: 2 }), offset);
      fails((o) => l4CsumReplace({ offset: o, from: 0, to: 0, size: 2 }), offset);
    }
  });

  it('the redirect helpers return TC_ACT_REDIRECT; cloneRedirect returns 0', () => {
    const data = v4udp(9);
    expect(run(tc().build([...redirect(1), exit()]), data).retval).toBe(TcAction.REDIRECT);
    expect(run(tc().build([...redirect(1, { ingress: true }), exit()]), data).retval).toBe(TcAction.REDIRECT);
    expect(run(tc().build([...redirectNeigh(1), exit()]), data).retval).toBe(TcAction.REDIRECT);
    expect(run(tc('tcx/ingress').build([...redirectPeer(1), exit()]), data).retval).toBe(TcAction.REDIRECT);
    // lo (ifindex 1) ingress takes the copy and drops it (not addressed to this host).
    expect(run(tc().build([...cloneRedirect(1, { ingress: true }), exit()]), data).retval).toBe(0);
  });
});
