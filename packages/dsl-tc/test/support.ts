import type { PluginProgram } from '@ts-ebpf/dsl';
import { BpfMap } from '@ts-ebpf/maps';
import { Program, type TestRunResult } from '@ts-ebpf/programs';
import { BpfMapType } from '@ts-ebpf/syscall';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import { TC_COUNTERS_LAYOUT } from '../src/index.js';

export {
  eth,
  ext,
  fragmentExt,
  inetChecksum,
  ipv4,
  ipv6,
  tcp,
  udp,
} from '../../dsl-packet/test/support/frames.js';

/** Loads a plugin-built program, runs it once on `data`, closes it. */
export function run(built: PluginProgram, data: Uint8Array): TestRunResult {
  using p = Program.load(built);
  return p.testRun({ data });
}

/** A frame from header byte arrays plus `pad` payload bytes. */
export function frame(...parts: (readonly number[])[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}

/** An array map of one `size`-byte value, which programs address directly (`ldMapValue`). */
function oneValueArray(size: number): BpfMap<Uint8Array, Uint8Array> {
  return BpfMap.create({ type: BpfMapType.ARRAY, keySize: 4, valueSize: size, maxEntries: 1 });
}

/** The array map the counters template adds to: one 32-byte value. */
export function countersMap(): BpfMap<Uint8Array, Uint8Array> {
  return oneValueArray(TC_COUNTERS_LAYOUT.size);
}

/** A view of the value of a map made by {@link oneValueArray}. */
function theValue(map: BpfMap<Uint8Array, Uint8Array>): DataView {
  const raw = map.get(new Uint8Array(4));
  if (!raw) throw new Error('the map has no entry 0');
  return new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
}

/** The four counters of a counters map. */
export function readCounters(map: BpfMap<Uint8Array, Uint8Array>): {
  ingressPackets: number;
  ingressBytes: number;
  egressPackets: number;
  egressBytes: number;
} {
  const v = theValue(map);
  const at = (o: number) => Number(v.getBigUint64(o, HOST_LITTLE_ENDIAN));
  return {
    ingressPackets: at(TC_COUNTERS_LAYOUT.ingressPackets),
    ingressBytes: at(TC_COUNTERS_LAYOUT.ingressBytes),
    egressPackets: at(TC_COUNTERS_LAYOUT.egressPackets),
    egressBytes: at(TC_COUNTERS_LAYOUT.egressBytes),
  };
}

/** `v` as a u32 in host byte order. */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, HOST_LITTLE_ENDIAN);
  return b;
}

/** Byte offsets in the one 32-byte value of the array map a socket-reading test program writes. */
export const SOCK_READINGS = Object.freeze({ mark: 0, protocol: 4, full: 8, notFull: 16, size: 32 });

/** The array map of {@link SOCK_READINGS}: one 32-byte value. */
export function sockReadings(): BpfMap<Uint8Array, Uint8Array> {
  return oneValueArray(SOCK_READINGS.size);
}

/** What the program wrote: the socket's mark and protocol, and the packets with and without a full socket. */
export function readSockReadings(map: BpfMap<Uint8Array, Uint8Array>): {
  mark: number;
  protocol: number;
  full: number;
  notFull: number;
} {
  const v = theValue(map);
  return {
    mark: v.getUint32(SOCK_READINGS.mark, HOST_LITTLE_ENDIAN),
    protocol: v.getUint32(SOCK_READINGS.protocol, HOST_LITTLE_ENDIAN),
    full: Number(v.getBigUint64(SOCK_READINGS.full, HOST_LITTLE_ENDIAN)),
    notFull: Number(v.getBigUint64(SOCK_READINGS.notFull, HOST_LITTLE_ENDIAN)),
  };
}
