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

/** The array map the counters template adds to: one 32-byte value. */
export function countersMap(): BpfMap<Uint8Array, Uint8Array> {
  return BpfMap.create({
    type: BpfMapType.ARRAY,
    keySize: 4,
    valueSize: TC_COUNTERS_LAYOUT.size,
    maxEntries: 1,
  });
}

/** The four counters of a counters map. */
export function readCounters(map: BpfMap<Uint8Array, Uint8Array>): {
  ingressPackets: number;
  ingressBytes: number;
  egressPackets: number;
  egressBytes: number;
} {
  const raw = map.get(new Uint8Array(4));
  if (!raw) throw new Error('the counters map has no entry 0');
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const at = (o: number) => Number(v.getBigUint64(o, HOST_LITTLE_ENDIAN));
  return {
    ingressPackets: at(TC_COUNTERS_LAYOUT.ingressPackets),
    ingressBytes: at(TC_COUNTERS_LAYOUT.ingressBytes),
    egressPackets: at(TC_COUNTERS_LAYOUT.egressPackets),
    egressBytes: at(TC_COUNTERS_LAYOUT.egressBytes),
  };
}
