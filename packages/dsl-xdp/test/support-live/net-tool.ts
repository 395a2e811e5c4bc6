/**
 * Network probes for live XDP tests, run as a separate process inside a test network namespace
 * (`ip netns exec`), so that they need neither ping nor tcpdump on the machine:
 *
 *   net-tool.ts ping <IPv4> <count> <timeoutMs>   ICMP echo over a raw socket; prints `replies <n>`
 *   net-tool.ts capture <iface> <ms>              AF_PACKET capture; prints one hex line per frame
 *
 * Run it with `VethPair.runScript` / `startScript` of @ts-ebpf/test-utils.
 */
import { readFileSync } from 'node:fs';
import { bind, close, recvfrom, sendto, sockaddrIn, socket } from '@ts-ebpf/syscall';
import { inetChecksum } from '@ts-ebpf/test-utils';
import { AddressFamily, HOST_LITTLE_ENDIAN, IpProto, MsgFlag, SocketType } from '@ts-ebpf/uapi';

const ETH_P_ALL = 0x0003;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Non-blocking receive: the bytes, or null when nothing is queued (EAGAIN). */
function tryReceive(fd: number, buf: Uint8Array): Uint8Array | null {
  try {
    return buf.slice(0, recvfrom(fd, buf, MsgFlag.DONTWAIT));
  } catch (e) {
    if ((e as { code?: string }).code === 'EAGAIN') return null;
    throw e;
  }
}

async function ping(dst: string, count: number, timeoutMs: number): Promise<void> {
  const fd = socket(AddressFamily.INET, SocketType.RAW, IpProto.ICMP);
  const id = process.pid & 0xffff;
  const buf = new Uint8Array(2048);
  const seen = new Set<number>();
  try {
    for (let seq = 1; seq <= count; seq++) {
      const echo = Uint8Array.of(8, 0, 0, 0, id >> 8, id & 0xff, seq >> 8, seq & 0xff, 0x74, 0x73);
      const sum = inetChecksum(echo);
      echo[2] = sum >> 8;
      echo[3] = sum & 0xff;
      sendto(fd, echo, 0, sockaddrIn(0, dst));
      await sleep(20);
    }
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && seen.size < count) {
      const got = tryReceive(fd, buf);
      if (!got) {
        await sleep(10);
        continue;
      }
      // raw ICMP sockets receive the IPv4 header too
      const icmp = got.subarray((got[0]! & 0x0f) * 4);
      if (icmp[0] === 0 && ((icmp[4]! << 8) | icmp[5]!) === id) seen.add((icmp[6]! << 8) | icmp[7]!);
    }
  } finally {
    close(fd);
  }
  console.log(`replies ${seen.size}`);
}

async function capture(iface: string, ms: number): Promise<void> {
  const fd = socket(AddressFamily.PACKET, SocketType.RAW, ((ETH_P_ALL & 0xff) << 8) | (ETH_P_ALL >> 8));
  const ifindex = Number(readFileSync(`/sys/class/net/${iface}/ifindex`, 'utf8'));
  // struct sockaddr_ll { u16 family; be16 protocol; i32 ifindex; u16 hatype; u8 pkttype, halen; u8 addr[8] }
  const sll = new Uint8Array(20);
  const v = new DataView(sll.buffer);
  v.setUint16(0, AddressFamily.PACKET, HOST_LITTLE_ENDIAN);
  v.setUint16(2, ETH_P_ALL, false);
  v.setInt32(4, ifindex, HOST_LITTLE_ENDIAN);
  const buf = new Uint8Array(4096);
  try {
    bind(fd, sll);
    console.log('ready');
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const got = tryReceive(fd, buf);
      if (got) console.log(Buffer.from(got).toString('hex'));
      else await sleep(5);
    }
  } finally {
    close(fd);
  }
}

const [command, a, b, c] = process.argv.slice(2);
if (command === 'ping') await ping(a!, Number(b), Number(c));
else if (command === 'capture') await capture(a!, Number(b));
else throw new Error(`net-tool: unknown command ${command}`);
