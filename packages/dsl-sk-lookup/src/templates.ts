import {
  type Fragment,
  fragment,
  jgt,
  jlt,
  jne,
  ldx,
  type MapRef,
  mark,
  R2,
  R10,
  returnCode,
  stx,
} from '@ts-ebpf/dsl';
import { type AssignFromMapOptions, assignFromMap } from './assign.js';
import { SK_LOOKUP } from './context.js';
import { SkLookupArgumentError } from './errors.js';
import { SK_LOOKUP_CTX, SK_LOOKUP_RETURN_CODES } from './plugin.js';
import { checkPort, loadPort, type ProtocolName, protocolNumber, SkLookupFamily } from './values.js';

/** Options of {@link steerPortRange}. */
export interface SteerPortRangeOptions extends Omit<AssignFromMapOptions, 'ctx'> {
  /** First local port of the range. */
  readonly from: number;
  /** Last local port of the range (inclusive). */
  readonly to: number;
  /** Only lookups of this transport (default: TCP and UDP). */
  readonly protocol?: ProtocolName;
  /** The sockmap key of the socket (default 0). */
  readonly key?: number;
}

/**
 * A whole sk_lookup program (a body for `skLookup().build(...)`): lookups for a local port in
 * `from..to` (of `protocol`, when given) get the socket at `key` of the sockmap `map`, so one
 * listening socket serves a whole port range; other lookups go on as usual (SK_PASS). With
 * `onMissing: 'SK_DROP'`, lookups in the range are refused while the map holds no socket.
 */
export const steerPortRange: (map: MapRef, options: SteerPortRangeOptions) => Fragment = fragment(
  (label, map: MapRef, options: SteerPortRangeOptions): Fragment => {
    const from = checkPort(options.from, 'from');
    const to = checkPort(options.to, 'to');
    if (from > to) throw new SkLookupArgumentError('from', `port range ${from}..${to} is empty`);
    const protocol: Fragment =
      options.protocol === undefined
        ? []
        : [
            ldx('w', R2, SK_LOOKUP_CTX, SK_LOOKUP.fields.protocol.offset),
            jne(R2, protocolNumber(options.protocol), label('pass')),
          ];
    return [
      ...loadPort('local', R2),
      jlt(R2, from, label('pass')),
      jgt(R2, to, label('pass')),
      ...protocol,
      ...assignFromMap(map, options.key ?? 0, options),
      mark(label('pass')),
      returnCode(SK_LOOKUP_RETURN_CODES.SK_PASS, 'template steerPortRange'),
    ];
  },
);

/**
 * A whole sk_lookup program: IPv4 lookups get the socket a sockhash holds for their local
 * (destination) address, so each address is served by its own socket whatever the port.
 * The sockhash's key is the 4 address bytes as on the wire (`10.0.0.1` is `[10, 0, 0, 1]`),
 * which is the order `local_ip4` already has: the key needs no conversion on any host.
 * Addresses the map does not hold get `onMissing` (default SK_PASS); IPv6 lookups pass.
 */
export const dispatchByLocalAddress: (
  sockhash: MapRef,
  options?: Omit<AssignFromMapOptions, 'ctx' | 'keySlot'>,
) => Fragment = fragment(
  (label, sockhash: MapRef, options: Omit<AssignFromMapOptions, 'ctx' | 'keySlot'> = {}): Fragment => [
    ldx('w', R2, SK_LOOKUP_CTX, SK_LOOKUP.fields.family.offset),
    jne(R2, SkLookupFamily.INET, label('pass')),
    ldx('w', R2, SK_LOOKUP_CTX, SK_LOOKUP.fields.local_ip4.offset),
    stx('w', R10, R2, -4),
    ...assignFromMap(sockhash, { stack: -4 }, options),
    mark(label('pass')),
    returnCode(SK_LOOKUP_RETURN_CODES.SK_PASS, 'template dispatchByLocalAddress'),
  ],
);
