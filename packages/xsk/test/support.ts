// Helpers of the live XskSocket tests: a veth pair whose peer sends UDP to the host side and
// listens for what the host side transmits, an XDP program that redirects into an xskmap, and
// socket opening that waits out the kernel's release of the previous socket on a queue.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { bpf } from '@ts-ebpf/dsl';
import { BpfProgType, NETLINK_GENERIC, Program, RtNetlink } from '@ts-ebpf/programs';
import { frame, mac, udpPayloads, VethPair } from '@ts-ebpf/test-utils';
import { genlFamilyId, genlRequest } from '../../programs/src/netlink/generic.js';
import { attrU32, nested } from '../../programs/src/netlink/message.js';
import { XskQueueBusyError, XskSocket, type XskSocketOptions } from '../src/index.js';

const XDP_PASS = 2;
/** The UDP port the tests send to and listen on. */
export const PORT = 7331;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A small UMEM and rings: 16 receive frames, 16 transmit frames. */
export const SMALL = { frameCount: 32, fillSize: 16, rxSize: 16, txSize: 16, completionSize: 16 } as const;

/** An XDP program that redirects each frame into the xskmap slot of its RX queue, else passes it. */
export function redirectToXsk(map: { fd: number }): Program {
  return Program.load({
    type: BpfProgType.XDP,
    instructions: bpf`
      r2 = *(u32 *)(r1 + 16) // ctx->rx_queue_index
      r1 = ${map}
      r3 = ${XDP_PASS}
      call bpf_redirect_map
      exit`,
  });
}

/**
 * Opens a socket, waiting while the kernel still finishes releasing the previous test's socket
 * on the same queue (it does that in a work item after close: EBUSY).
 */
export async function openXsk(o: XskSocketOptions): Promise<XskSocket> {
  for (let i = 0; ; i++) {
    try {
      return XskSocket.open(o);
    } catch (e) {
      if (!(e instanceof XskQueueBusyError) || i >= 100) throw e;
      await sleep(20);
    }
  }
}

/** The UDP payloads to PORT among `frames`, as text. */
export function payloadTexts(frames: readonly Uint8Array[]): string[] {
  return udpPayloads(frames, PORT).map((p) => new TextDecoder().decode(p));
}

/** Receives until `count` UDP payloads to PORT arrived or ~3 s passed. */
export async function receivePayloads(xsk: XskSocket, count: number): Promise<string[]> {
  const got: string[] = [];
  for (let i = 0; i < 150 && got.length < count; i++) {
    got.push(...payloadTexts(xsk.receive()));
    if (got.length < count) await sleep(20);
  }
  return got;
}

/**
 * A UDP listener on the peer, which exits at the first datagram to PORT; disposing it ends it
 * (when no datagram came) and waits until its pipes are closed.
 */
export interface PeerListener extends AsyncDisposable {
  /** Everything the listener printed so far (`got <payload>` once a datagram came). */
  output(): string;
  /** Its exit code: 0 after a datagram, 3 when none came in time. */
  readonly exited: Promise<number | null>;
}

/**
 * A veth pair for AF_XDP tests: the host side (this namespace) is where sockets bind, the peer
 * sends UDP to it and receives what it transmits. The peer resolves the host statically, since
 * the tests' programs redirect every frame, ARP replies included; IPv6 is off on the peer.
 */
export class XskVeth extends VethPair {
  hostMac: Uint8Array = new Uint8Array(6);
  peerMac: Uint8Array = new Uint8Array(6);

  override create(queues = 1): this {
    super.create(queues);
    // No IPv6 on the peer: its neighbour discovery and MLD frames would be redirected too.
    this.inNs(`sysctl -qw net.ipv6.conf.${this.peer}.disable_ipv6=1`);
    this.peerMac = mac(this.inNs(`cat /sys/class/net/${this.peer}/address`));
    this.hostMac = mac(readFileSync(`/sys/class/net/${this.host}/address`, 'utf8'));
    const hostMacText = [...this.hostMac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    this.inNs(`ip neigh replace ${this.hostIp} lladdr ${hostMacText} dev ${this.peer} nud permanent`);
    return this;
  }

  /** Sends `n` UDP datagrams `${tag}0` … from the peer to PORT on the host, in order. */
  sendUdp(tag: string, n: number): void {
    this.inNs(
      `${process.execPath} -e "const s=require('dgram').createSocket('udp4');let i=0;const f=()=>i<${n}?s.send('${tag}'+(i++),${PORT},'${this.hostIp}',f):s.close();f();"`,
    );
  }

  /** Starts a UDP listener on the peer that prints `got <payload>` and exits at the first datagram. */
  async listen(timeoutMs = 5000): Promise<PeerListener> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns,
        process.execPath,
        '-e',
        `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{console.log('got '+m);process.exit(0)});s.bind(${PORT},()=>console.log('ready'));setTimeout(()=>process.exit(3),${timeoutMs});`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    const closed = once(child, 'close');
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    for (let i = 0; i < 100 && !out.includes('ready'); i++) await sleep(20);
    if (!out.includes('ready')) throw new Error(`the peer's UDP listener did not start: ${out}`);
    return {
      output: () => out,
      exited,
      [Symbol.asyncDispose]: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await closed;
      },
    };
  }

  /** An Ethernet frame from the host side to the peer's PORT carrying `text`. */
  udpFrame(text: string): Uint8Array {
    return frame({
      dstMac: this.peerMac,
      srcMac: this.hostMac,
      ip: { v4: { src: this.hostIp, dst: this.peerIp } },
      l4: { udp: { sport: 4242, dport: PORT }, payload: new TextEncoder().encode(text) },
    });
  }
}

/**
 * Sets how many RX and TX queues a veth uses (`ethtool -L <if> rx <rx> tx <tx>`, which the
 * machine may not have), through the ethtool generic netlink family: ETHTOOL_MSG_CHANNELS_SET
 * (18) with the header's ETHTOOL_A_HEADER_DEV_INDEX and ETHTOOL_A_CHANNELS_RX_COUNT (6) /
 * TX_COUNT (7), linux/ethtool_netlink.h. Built with programs' own generic netlink pieces
 * (internal to that package, so imported from its source).
 */
export function setChannels(ifindex: number, rx: number, tx: number): void {
  using nl = new RtNetlink(NETLINK_GENERIC);
  const family = genlFamilyId(nl, 'ethtool');
  if (family === undefined) throw new Error('no ethtool generic netlink family');
  genlRequest(nl, 'ETHTOOL_MSG_CHANNELS_SET', family, 18, 0, [
    nested(1, attrU32(1, ifindex)), // ETHTOOL_A_CHANNELS_HEADER { ETHTOOL_A_HEADER_DEV_INDEX }
    attrU32(6, rx),
    attrU32(7, tx),
  ]);
}
