import { execFileSync, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:net';
import {
  atomic,
  exit,
  ja,
  jeq,
  jne,
  ldMapValue,
  mark,
  mov,
  R0,
  R2,
  R3,
  R7,
  ReturnCodeError,
  stx,
} from '@ts-ebpf/dsl';
import { attachTcClassic, attachTcx, ifindex, inNetns, netnsPath, Program } from '@ts-ebpf/programs';
import { setsockopt } from '@ts-ebpf/syscall';
import { describeKernel, socketFd, VethPair } from '@ts-ebpf/test-utils';
import { HOST_BYTE_ORDER, IpProto, SocketLevel, SocketOption } from '@ts-ebpf/uapi';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadSock, redirect, skFullsock, TC_CTX, TC_RETURN_CODES, tc, tcPlugin } from '../src/index.js';
import {
  countersMap,
  readCounters,
  readSockReadings,
  SOCK_READINGS,
  sockReadings,
  u32Bytes,
} from './support.js';

// asm-generic/socket.h

const T = tcPlugin.templates;
const veth = new VethPair('tcl', 197);

/** Binds a UDP socket on `address:port` and counts the datagrams it receives. */
async function listen(address: string, port: number): Promise<{ socket: Socket; received: () => number }> {
  const socket = createSocket('udp4');
  let n = 0;
  socket.on('message', () => {
    n++;
  });
  await new Promise<void>((resolve) => socket.bind(port, address, resolve));
  return { socket, received: () => n };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describeKernel('dsl-tc programs on a veth pair', () => {
  beforeAll(() => {
    veth.create();
    // A permanent neighbour entry: no ARP traffic to count or to redirect.
    const mac = veth.inNs(`cat /sys/class/net/${veth.peer}/address`).trim();
    execFileSync('ip', [
      'neigh',
      'replace',
      veth.peerIp,
      'lladdr',
      mac,
      'dev',
      veth.host,
      'nud',
      'permanent',
    ]);
  });
  afterAll(() => veth.destroy());

  it('counters on tcx ingress and egress count the datagrams each way', () => {
    using map = countersMap();
    using inProg = Program.load(tc('tcx/ingress').build(T.counters({ map, direction: 'ingress' })));
    using outProg = Program.load(tc('tcx/egress').build(T.counters({ map, direction: 'egress' })));
    using inLink = attachTcx(inProg, veth.host, 'ingress');
    using outLink = attachTcx(outProg, veth.host, 'egress');
    veth.sendToHost(5);
    veth.sendToPeer(7);
    const c = readCounters(map);
    // UDP "x\n" over IPv4 and Ethernet: 14 + 20 + 8 + 2 bytes each.
    expect(c.ingressPackets).toBeGreaterThanOrEqual(5);
    expect(c.egressPackets).toBeGreaterThanOrEqual(7);
    expect(c.ingressBytes).toBeGreaterThanOrEqual(5 * 44);
    expect(c.egressBytes).toBeGreaterThanOrEqual(7 * 44);
    inLink.close();
    outLink.close();
    const after = readCounters(map);
    veth.sendToHost(3);
    expect(readCounters(map)).toEqual(after);
  });

  it('tcx passes the packet on TC_ACT_STOLEN, TRAP, QUEUED, PIPE, RECLASSIFY and REPEAT (so tcx sections refuse them); classic tc consumes it on STOLEN and TRAP and takes the other four as TC_ACT_UNSPEC, running the next filter (so tc and classifier refuse those four)', async () => {
    const sink = await listen(veth.hostIp, 19996);
    const unread = ['TC_ACT_QUEUED', 'TC_ACT_PIPE', 'TC_ACT_RECLASSIFY', 'TC_ACT_REPEAT'] as const;
    const codes = [
      'TC_ACT_STOLEN',
      'TC_ACT_TRAP',
      ...unread,
      'TC_ACT_UNSPEC',
      'TC_ACT_OK',
      'TC_ACT_SHOT',
    ] as const;
    /** The datagrams of 3 that reach the host side with a program returning each code attached by `attach`. */
    const delivered = async (attach: (p: Program) => Disposable): Promise<Record<string, number>> => {
      const out: Record<string, number> = {};
      for (const code of codes) {
        using p = Program.load(tc('tc').build([mov(R0, TC_RETURN_CODES[code]), exit()]));
        using _link = attach(p);
        const before = sink.received();
        veth.inNs(`for i in 1 2 3; do echo x > /dev/udp/${veth.hostIp}/19996; done`);
        await settle();
        out[code] = sink.received() - before;
      }
      return out;
    };
    const each = (n: (code: (typeof codes)[number]) => number) =>
      Object.fromEntries(codes.map((code) => [code, n(code)]));
    try {
      // tcx: only SHOT drops.
      expect(await delivered((p) => attachTcx(p, veth.host, 'ingress'))).toEqual(
        each((code) => (code === 'TC_ACT_SHOT' ? 0 : 3)),
      );
      // classic, one filter: STOLEN, TRAP and SHOT consume the packet, the rest pass.
      const consumes = (code: string) => ['TC_ACT_STOLEN', 'TC_ACT_TRAP', 'TC_ACT_SHOT'].includes(code);
      expect(await delivered((p) => attachTcClassic(p, veth.host, 'ingress'))).toEqual(
        each((code) => (consumes(code) ? 0 : 3)),
      );
      // classic, then a filter that drops: the four unread codes run it, as TC_ACT_UNSPEC does.
      using dropper = Program.load(tc('tc').build(tc('tc').ret('TC_ACT_SHOT')));
      expect(
        await delivered((p) => {
          const first = attachTcClassic(p, veth.host, 'ingress', { priority: 1 });
          const next = attachTcClassic(dropper, veth.host, 'ingress', { priority: 2, handle: 2 });
          return {
            [Symbol.dispose]() {
              next[Symbol.dispose]();
              first[Symbol.dispose]();
            },
          };
        }),
      ).toEqual(each((code) => (code === 'TC_ACT_OK' ? 3 : 0)));
    } finally {
      sink.socket.close();
    }
    for (const code of ['TC_ACT_STOLEN', 'TC_ACT_TRAP', ...unread] as const) {
      expect(() => tc('tcx/ingress').ret(code as never)).toThrow(/tcx treats .* as TCX_NEXT/);
    }
    for (const code of unread) {
      expect(() => tc('tc').ret(code as never)).toThrow(
        new RegExp(
          `filter takes ${code} as TC_ACT_UNSPEC \\(cls_bpf_exec_opcode\\): the next classic filter runs`,
        ),
      );
      expect(() => tc('classifier').ret(code as never)).toThrow(ReturnCodeError);
    }
    for (const code of ['TC_ACT_STOLEN', 'TC_ACT_TRAP'] as const)
      expect(tc('tc').ret(code)).toEqual([mov(R0, TC_RETURN_CODES[code]), exit()]);
  });

  it('skFullsock gives a tcx egress program the full socket of a real TCP connection: its mark and protocol; the SYN-ACK has only a request socket', async () => {
    const PORT = 19995;
    const MARK = 0x5eed;
    using map = sockReadings();
    const s = tc('tcx/egress');
    using p = Program.load(
      s.build([
        s.load('sk', R2, TC_CTX),
        jeq(R2, 0, 'out'),
        loadSock('sock_common', 'src_port', R3, R2), // host order
        jne(R3, PORT, 'out'),
        ldMapValue(R7, map, 0),
        ...skFullsock(R2),
        jeq(R0, 0, 'not_full'),
        loadSock('sock', 'mark', R3, R0),
        stx('w', R7, R3, SOCK_READINGS.mark),
        loadSock('sock', 'protocol', R3, R0),
        stx('w', R7, R3, SOCK_READINGS.protocol),
        mov(R3, 1),
        atomic('add', 'dw', R7, R3, SOCK_READINGS.full),
        ja('out'),
        mark('not_full'),
        mov(R3, 1),
        atomic('add', 'dw', R7, R3, SOCK_READINGS.notFull),
        mark('out'),
        ...s.ret('TCX_NEXT'),
      ]),
    );
    using _link = attachTcx(p, veth.host, 'egress');
    // The server side, here: it marks the accepted socket, then sends and closes.
    const server = createServer((socket) => {
      setsockopt(socketFd(socket), SocketLevel.SOCKET, SocketOption.MARK, u32Bytes(MARK));
      socket.end('hello\n');
    });
    await new Promise<void>((r) => server.listen(PORT, veth.hostIp, r));
    try {
      const client = spawn('ip', [
        'netns',
        'exec',
        veth.ns,
        'bash',
        '-c',
        `exec 3<>/dev/tcp/${veth.hostIp}/${PORT}; cat <&3`,
      ]);
      let got = '';
      client.stdout.on('data', (d: Buffer) => {
        got += d.toString();
      });
      await new Promise<void>((r) => client.on('exit', () => r()));
      expect(got).toBe('hello\n');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    expect(readSockReadings(map)).toMatchObject({ mark: MARK, protocol: IpProto.TCP });
    const { full, notFull } = readSockReadings(map);
    expect(full).toBeGreaterThanOrEqual(1); // the data and the FIN
    expect(notFull).toBeGreaterThanOrEqual(1); // the SYN-ACK, sent for a request socket
  });

  it('portFilter through clsact drops the filtered port and lets the next one through', async () => {
    const blocked = await listen(veth.hostIp, 19997);
    const open = await listen(veth.hostIp, 19998);
    try {
      using p = Program.load(
        tc('classifier').build(T.portFilter({ ports: [19997], byteOrder: HOST_BYTE_ORDER })),
      );
      {
        using link = attachTcClassic(p, veth.host, 'ingress');
        expect(link).toBeDefined();
        veth.inNs(
          `for i in 1 2 3 4; do echo x > /dev/udp/${veth.hostIp}/19997; echo x > /dev/udp/${veth.hostIp}/19998; done`,
        );
        await settle();
        expect(blocked.received()).toBe(0);
        expect(open.received()).toBe(4);
      }
      // Detached: the port is reachable again.
      veth.inNs(`echo x > /dev/udp/${veth.hostIp}/19997`);
      await settle();
      expect(blocked.received()).toBe(1);
    } finally {
      blocked.socket.close();
      open.socket.close();
    }
  });

  it('redirect(ifindex, { ingress }) on tcx egress turns packets back into the host side', () => {
    using map = countersMap();
    using peerMap = countersMap();
    using hostIn = Program.load(tc('tcx/ingress').build(T.counters({ map, direction: 'ingress' })));
    using peerIn = Program.load(tc('tcx/ingress').build(T.counters({ map: peerMap, direction: 'ingress' })));
    using back = Program.load(
      tc('tcx/egress').build([...redirect(ifindex(veth.host), { ingress: true }), exit()]),
    );
    using hostLink = attachTcx(hostIn, veth.host, 'ingress');
    using peerLink = inNetns(netnsPath(veth.ns), () => attachTcx(peerIn, veth.peer, 'ingress'));
    {
      using loop = attachTcx(back, veth.host, 'egress');
      expect(loop).toBeDefined();
      // What the host side sent before the redirect may have reached the peer (the IPv6
      // neighbour discovery and MLD reports of a new link: one did, in a CI run): count from here.
      const before = readCounters(peerMap).ingressPackets;
      veth.sendToPeer(6);
      expect(readCounters(peerMap).ingressPackets).toBe(before);
    }
    expect(readCounters(map).ingressPackets).toBeGreaterThanOrEqual(6);
    // Without the redirect the datagrams reach the peer.
    veth.sendToPeer(2);
    expect(readCounters(peerMap).ingressPackets).toBeGreaterThanOrEqual(2);
    expect(hostLink).toBeDefined();
    expect(peerLink).toBeDefined();
  });
});
