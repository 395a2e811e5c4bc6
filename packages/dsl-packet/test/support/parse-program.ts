/**
 * The test program: every parser of dsl-packet in one XDP or tc program that writes what it
 * found into slot 0 of an array map (the record of reference.ts), or only loads them in some
 * combination of options for the verifier.
 */
import {
  add,
  call,
  exit,
  type Fragment,
  type Instruction,
  ja,
  jeq,
  ldMapFd,
  mark,
  mov,
  program,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  R7,
  R8,
  R9,
  R10,
  type Register,
  st,
  stx,
  sub,
} from '@ts-ebpf/dsl';
import { XDP_MD } from '@ts-ebpf/dsl-xdp';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import {
  ethernet,
  icmp,
  icmpv6,
  ipv4,
  ipv6,
  loadPacketPointers,
  type Miss,
  type PacketCursor,
  type PacketPointerFields,
  type PacketPosition,
  packetCursor,
  tcp,
  udp,
} from '../../src/index.js';
import { FIELDS, Stage } from './reference.js';

/**
 * `data`/`data_end` offsets in `struct xdp_md` (from the XDP plugin's layout) and in
 * `struct __sk_buff` (linux/bpf.h; no tc plugin has its layout yet).
 */
export const CONTEXTS = {
  xdp: { data: XDP_MD.fields.data.offset, dataEnd: XDP_MD.fields.data_end.offset },
  tc: { data: 76, dataEnd: 80 },
} as const satisfies Record<string, PacketPointerFields>;

/** Options varied by the verifier test. */
export interface Variant {
  readonly vlanTags?: number;
  readonly extensions?: number;
  readonly ipOptions?: boolean;
  readonly tcpPayload?: boolean;
  /** Misses return this action instead of recording a stage. */
  readonly missAction?: number;
}

const slot = (name: (typeof FIELDS)[number]) => FIELDS.indexOf(name) * 4;

function store(name: (typeof FIELDS)[number], r: Register): Instruction {
  return stx('w', R9, r, slot(name));
}

/** `dst = position - data`: the offset the record holds. */
function offsetOf(c: PacketCursor, at: PacketPosition, dst: Register): Fragment {
  return [mov(dst, at.base), add(dst, at.offset), sub(dst, c.data)];
}

function miss(v: Variant, stage: number): Miss {
  return v.missAction === undefined ? `miss${stage}` : { action: v.missAction };
}

/** Parsers for one L3 protocol's L4 headers, then `ja done`. */
function l4(c: PacketCursor, at: PacketPosition, v: Variant, family: 4 | 6): Fragment {
  const t = tcp(c, at, {
    sourcePort: R1,
    destinationPort: R2,
    flags: R3,
    miss: miss(v, Stage.TCP),
    payload: v.tcpPayload ?? false,
  });
  const u = udp(c, at, { sourcePort: R1, destinationPort: R2, miss: miss(v, Stage.UDP) });
  const i =
    family === 4
      ? icmp(c, at, { type: R1, code: R2, miss: miss(v, Stage.ICMP) })
      : icmpv6(c, at, { type: R1, code: R2, miss: miss(v, Stage.ICMPV6) });
  const [lt, lu, li] = [`tcp${family}`, `udp${family}`, `icmp${family}`];
  return [
    jeq(R0, 6, lt),
    jeq(R0, 17, lu),
    jeq(R0, family === 4 ? 1 : 58, li),
    ja('done'),
    mark(lt),
    t.code,
    store('a', R1),
    store('b', R2),
    store('flags', R3),
    ja('done'),
    mark(lu),
    u.code,
    store('a', R1),
    store('b', R2),
    ja('done'),
    mark(li),
    i.code,
    store('a', R1),
    store('b', R2),
    ja('done'),
  ];
}

/**
 * The parse program for `context`, recording into the map `mapFd` (key 0). Cursor: data r7,
 * end r8, pos r4, scratch r5; the map value pointer is in r9.
 */
export function parseProgram(context: PacketPointerFields, mapFd: number, v: Variant = {}): Instruction[] {
  const c = packetCursor({ data: R7, end: R8, pos: R4, scratch: R5, byteOrder: HOST_BYTE_ORDER });
  const eth = ethernet(c, c.start, {
    etherType: R0,
    vlanTags: v.vlanTags ?? 2,
    vlanIds: (v.vlanTags ?? 2) >= 2 ? [R1, R2] : (v.vlanTags ?? 2) === 1 ? [R1] : [],
    miss: miss(v, Stage.ETH),
  });
  const ip4 = ipv4(c, eth.next, {
    protocol: R0,
    source: R1,
    destination: R2,
    options: v.ipOptions ?? true,
    miss: miss(v, Stage.IPV4),
    invalid: miss(v, Stage.IHL),
    laterFragments: miss(v, Stage.LATER_FRAGMENT),
  });
  const ip6 = ipv6(c, eth.next, {
    nextHeader: R0,
    extensions: v.extensions ?? 4,
    miss: miss(v, Stage.IPV6),
    laterFragments: miss(v, Stage.LATER_FRAGMENT),
  });
  const body = program(
    mov(R6, R1),
    st('w', R10, -4, 0),
    mov(R2, R10),
    add(R2, -4),
    ldMapFd(R1, { fd: mapFd }),
    call('map_lookup_elem'),
    jeq(R0, 0, 'out'),
    mov(R9, R0),
    loadPacketPointers(c, R6, context),
    mov(R1, 0),
    mov(R2, 0),
    eth.code,
    store('etherType', R0),
    store('vlan0', R1),
    store('vlan1', R2),
    offsetOf(c, eth.next, R1),
    store('l3', R1),
    jeq(R0, 0x0800, 'v4'),
    jeq(R0, 0x86dd, 'v6'),
    ja('done'),
    mark('v4'),
    ip4.code,
    store('protocol', R0),
    store('saddr', R1),
    store('daddr', R2),
    offsetOf(c, ip4.next, R1),
    store('l4', R1),
    l4(c, ip4.next, v, 4),
    mark('v6'),
    ip6.code,
    store('protocol', R0),
    offsetOf(c, ip6.next, R1),
    store('l4', R1),
    l4(c, ip6.next, v, 6),
    mark('done'),
    st('w', R9, 0, Stage.DONE),
    mark('out'),
    mov(R0, 2),
    exit(),
  );
  // A miss block nothing jumps to would be unreachable code, which the verifier refuses.
  const targets = new Set(body.map((i) => i.target));
  const misses: Fragment[number][] = [];
  for (const s of Object.values(Stage).filter((s) => s !== Stage.DONE))
    if (targets.has(`miss${s}`)) misses.push(mark(`miss${s}`), st('w', R9, 0, s), mov(R0, 2), exit());
  return program(body, misses);
}
