import type { PluginProgram } from '@ts-ebpf/dsl';
import { Program, type TestRunResult } from '@ts-ebpf/programs';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/** A 64-byte Ethernet frame: dst/src MACs, EtherType 0x0800, then a counting payload. */
export const FRAME = Uint8Array.from({ length: 64 }, (_, i) => (i === 12 ? 0x08 : i === 13 ? 0x00 : i));

/** `values` as u32s in host byte order. */
export function u32(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  for (const [i, x] of values.entries()) v.setUint32(i * 4, x, HOST_LITTLE_ENDIAN);
  return b;
}

/** `struct xdp_md` bytes for a test run's ctx_in (data_meta 0, egress_ifindex 0). */
export function xdpMd(fields: {
  data?: number;
  dataEnd: number;
  ingressIfindex?: number;
  rxQueueIndex?: number;
}): Uint8Array {
  return u32(fields.data ?? 0, fields.dataEnd, 0, fields.ingressIfindex ?? 0, fields.rxQueueIndex ?? 0, 0);
}

/** Loads a plugin-built program, runs it once on `data` (and `ctx`), closes it. */
export function run(built: PluginProgram, data: Uint8Array = FRAME, ctx?: Uint8Array): TestRunResult {
  using p = Program.load(built);
  return p.testRun({ data, ...(ctx && { ctx }) });
}
