/**
 * What the firewall benchmark and its test share: the maps (with a blocklist and blocked
 * ports filled in), loading with the verifier's statistics, and the packet classes.
 */
import { BpfMapType, BpfProgType, close, mapCreate, mapUpdateElem, progLoad } from '@ts-ebpf/syscall';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import { eth, icmp, ipv4, ipv6, tcp, udp } from '../test/support/frames.js';
import { Counter, type FirewallMaps } from './firewall.js';

const BPF_F_NO_PREALLOC = 1;
const little = HOST_BYTE_ORDER === 'little';

/** Blocked: 192.0.2.0/24 (the test frames' IPv4 source) … */
export const BLOCKED_NET4 = [192, 0, 2, 0] as const;
/** … 2001:db8::/32 (the IPv6 source) is not blocked; 2001:db8:0:0:dead::/80 is. */
export const BLOCKED_NET6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0xde, 0xad] as const;
/** A blocked destination port. */
export const BLOCKED_PORT = 53;

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, little);
  return b;
}

/** Creates the four maps, fills the blocklists; close them with {@link closeFirewallMaps}. */
export function createFirewallMaps(): FirewallMaps {
  const opened: number[] = [];
  const make = (mapType: number, keySize: number, valueSize: number, maxEntries: number, mapFlags = 0) => {
    const fd = mapCreate({ mapType, keySize, valueSize, maxEntries, mapFlags });
    opened.push(fd);
    return fd;
  };
  try {
    const maps = {
      block4: make(BpfMapType.LPM_TRIE, 8, 4, 1024, BPF_F_NO_PREALLOC),
      block6: make(BpfMapType.LPM_TRIE, 20, 4, 1024, BPF_F_NO_PREALLOC),
      ports: make(BpfMapType.ARRAY, 4, 4, 65536),
      counters: make(BpfMapType.PERCPU_ARRAY, 4, 8, Counter.COUNT),
    };
    mapUpdateElem(maps.block4, Uint8Array.from([...u32(24), ...BLOCKED_NET4]), u32(1));
    const key6 = new Uint8Array(20);
    key6.set(u32(80));
    key6.set(BLOCKED_NET6, 4);
    mapUpdateElem(maps.block6, key6, u32(1));
    mapUpdateElem(maps.ports, u32(BLOCKED_PORT), u32(1));
    return maps;
  } catch (e) {
    for (const fd of opened) close(fd);
    throw e;
  }
}

/** Closes the maps. */
export function closeFirewallMaps(maps: FirewallMaps): void {
  for (const fd of Object.values(maps)) close(fd);
}

/** Loads an XDP program; returns its fd and the verifier's "processed N insns". */
export function loadXdp(insns: Uint8Array, name: string): { fd: number; processed: number } {
  const logBuf = new Uint8Array(1 << 16);
  const fd = progLoad({
    progType: BpfProgType.XDP,
    insns,
    license: 'GPL',
    logLevel: 4,
    logBuf,
    progName: name,
  });
  const log = new TextDecoder().decode(logBuf.subarray(0, logBuf.indexOf(0)));
  const m = /processed (\d+) insns/.exec(log);
  if (!m) {
    close(fd);
    throw new Error(`no "processed N insns" in the verifier log of ${name}:\n${log}`);
  }
  return { fd, processed: Number(m[1]) };
}

const PAYLOAD = new Array(18).fill(0x5a);

/** The `frag_off` of a last fragment at offset 185 (× 8 bytes): no MF, a non-zero offset. */
const LAST_FRAGMENT = 185;

/** The packet classes the firewall is run on: a name, the frame, the expected XDP verdict. */
export const PACKETS: readonly { name: string; frame: Uint8Array; verdict: number }[] = [
  {
    name: 'IPv4 TCP allowed (other source)',
    frame: frame(eth(0x0800), ipv4src(6, 20 + 18, [198, 18, 0, 1]), tcp(1000, 443, 0x10), PAYLOAD),
    verdict: 2,
  },
  {
    name: 'IPv4 UDP, blocked source',
    frame: frame(eth(0x0800), ipv4(17, 8 + 18), udp(1000, 443, 18), PAYLOAD),
    verdict: 1,
  },
  {
    name: 'IPv4 UDP, blocked port',
    frame: frame(eth(0x0800), ipv4src(17, 8 + 18, [198, 18, 0, 1]), udp(1000, BLOCKED_PORT, 18), PAYLOAD),
    verdict: 1,
  },
  {
    name: 'IPv6 TCP allowed',
    frame: frame(eth(0x86dd), ipv6(6, 20 + 18), tcp(1000, 22, 0x02), PAYLOAD),
    verdict: 2,
  },
  { name: 'IPv6 ICMPv6', frame: frame(eth(0x86dd), ipv6(58, 8 + 18), icmp(128, 0), PAYLOAD), verdict: 2 },
  { name: 'ARP', frame: frame(eth(0x0806), new Array(46).fill(0)), verdict: 2 },
  {
    // at offset 185 × 8 bytes, payload bytes that look like a UDP header to the blocked port:
    // not read as one
    name: 'IPv4 later fragment, allowed',
    frame: frame(
      eth(0x0800),
      ipv4src(17, 8 + 18, [198, 18, 0, 1], LAST_FRAGMENT),
      udp(1000, BLOCKED_PORT, 18),
      PAYLOAD,
    ),
    verdict: 2,
  },
  {
    // from a blocked source: the source check holds for fragments too
    name: 'IPv4 later fragment, blocked',
    frame: frame(eth(0x0800), ipv4(17, 8 + 18, 0, undefined, LAST_FRAGMENT), udp(1000, 443, 18), PAYLOAD),
    verdict: 1,
  },
];

function frame(...parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

/** An IPv4 header with another source address (and `fragOff`, default DF). */
function ipv4src(proto: number, payload: number, source: readonly number[], fragOff?: number): number[] {
  const h = ipv4(proto, payload, 0, undefined, fragOff);
  h.splice(12, 4, ...source);
  return h;
}
