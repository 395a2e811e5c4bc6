import {
  add,
  and,
  be,
  type Fragment,
  freshLabel,
  jeq,
  jne,
  ldx,
  mark,
  mov,
  type Register,
} from '@ts-ebpf/dsl';
import {
  checkCount,
  checkParser,
  ensure,
  type Miss,
  materialize,
  type PacketCursor,
  type PacketPosition,
  type Parsed,
} from './cursor.js';
import { PacketDslError } from './errors.js';
import { checkOrder, net16, type ValueOrder } from './fields.js';
import { Eth, EtherType, Vlan } from './layout.js';

/** The option `miss`, by what chose its action. */
const MISS = 'ethernet option miss';

/** The most VLAN tags {@link ethernet} unrolls. */
export const MAX_VLAN_TAGS = 8;

/** Options of {@link ethernet}. */
export interface EthernetOptions {
  /** Receives the EtherType after the VLAN tags (the L3 protocol). */
  readonly etherType: Register;
  /** Order of `etherType`: `'host'` (default; compare with `EtherType.IPV4`) or `'network'` (one instruction fewer; compare with `net16`). */
  readonly order?: ValueOrder;
  /**
   * How many 802.1Q / 802.1ad tags to step over (default 2: QinQ). When more tags follow,
   * `etherType` is the tag's type (0x8100 / 0x88a8) and the next position is that tag.
   */
  readonly vlanTags?: number;
  /** Receive the VLAN ID (12 bits, host order) of tag 0, 1 …; set to 0 when the tag is absent. */
  readonly vlanIds?: readonly Register[];
  /** Where a frame too short for a header goes. */
  readonly miss: Miss;
}

function checkOptions(c: PacketCursor, at: PacketPosition, o: EthernetOptions): number {
  const tags = checkCount(o.vlanTags ?? 2, MAX_VLAN_TAGS, "ethernet option 'vlanTags'");
  const ids = o.vlanIds ?? [];
  if (ids.length > tags)
    throw new PacketDslError(`ethernet option 'vlanIds' names ${ids.length} registers for ${tags} vlanTags`);
  checkParser(c, 'ethernet', at, Eth.SIZE, o.miss, [o.etherType, ...ids]);
  if (o.order !== undefined) checkOrder(o.order, "ethernet option 'order'");
  return tags;
}

/**
 * Parses an Ethernet header at `at` and up to `vlanTags` VLAN tags after it: bounds checks,
 * the EtherType, optional VLAN IDs. Without tags the next position is constant (`at + 14`,
 * no instruction); with tags it is held in `cursor.pos`.
 * @throws PacketDslError for bad options
 */
export function ethernet(c: PacketCursor, at: PacketPosition, o: EthernetOptions): Parsed {
  const tags = checkOptions(c, at, o);
  const et = o.etherType;
  const code: Fragment[number][] = [
    ensure(c, at, Eth.SIZE, o.miss, MISS),
    ldx('h', et, at.base, at.offset + Eth.PROTO),
  ];
  let next: PacketPosition = { base: at.base, offset: at.offset + Eth.SIZE };
  if (tags > 0) {
    const done = freshLabel('vlan_done');
    for (const id of o.vlanIds ?? []) code.push(mov(id, 0));
    code.push(materialize(next, c.pos));
    next = { base: c.pos, offset: 0 };
    for (let k = 0; k < tags; k++) {
      const tag = freshLabel('vlan');
      const id = o.vlanIds?.[k];
      code.push(
        jeq(et, net16(EtherType.VLAN, c.byteOrder), tag),
        jne(et, net16(EtherType.QINQ, c.byteOrder), done),
        mark(tag),
        ensure(c, next, Vlan.SIZE, o.miss, MISS),
      );
      if (id !== undefined) code.push(ldx('h', id, c.pos, Vlan.TCI), be(id, 16), and(id, 0x0fff));
      code.push(ldx('h', et, c.pos, Vlan.PROTO), add(c.pos, Vlan.SIZE));
    }
    code.push(mark(done));
  }
  if ((o.order ?? 'host') === 'host') code.push(be(et, 16));
  return { code, next };
}
