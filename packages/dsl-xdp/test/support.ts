import type { PluginProgram } from '@ts-ebpf/dsl';
import { Program, type TestRunResult } from '@ts-ebpf/programs';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';

/** A 64-byte Ethernet frame: dst/src MACs, EtherType 0x0800, then a counting payload. */
export const FRAME = Uint8Array.from({ length: 64 }, (_, i) => (i === 12 ? 0x08 : i === 13 ? 0x00 : i));

/** `struct xdp_md` bytes for a test run's ctx_in. */
export function xdpMd(fields: {
  data?: number;
  dataEnd: number;
  ingressIfindex?: number;
  rxQueueIndex?: number;
}): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(0, fields.data ?? 0, HOST_LITTLE_ENDIAN);
  v.setUint32(4, fields.dataEnd, HOST_LITTLE_ENDIAN);
  v.setUint32(12, fields.ingressIfindex ?? 0, HOST_LITTLE_ENDIAN);
  v.setUint32(16, fields.rxQueueIndex ?? 0, HOST_LITTLE_ENDIAN);
  return b;
}

/** Loads a plugin-built program, runs it once on `data` (and `ctx`), closes it. */
export function run(built: PluginProgram, data: Uint8Array = FRAME, ctx?: Uint8Array): TestRunResult {
  using p = Program.load(built);
  return p.testRun({ data, ...(ctx && { ctx }) });
}
