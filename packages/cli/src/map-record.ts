import { type BpfMap, mapTypeName } from '@ts-ebpf/maps';
import type { JsonValue } from './json.js';
import { fdInfo, fdInfoNumber } from './proc-files.js';

/**
 * A map as `map list` and `map show` print it: bpftool's JSON field names and values
 * (`frozen` 0 or 1; `btf_id` and `btf_vmlinux_value_type_id` only when set, as bpftool does).
 */
export interface MapRecord {
  readonly id: number;
  readonly type: string;
  readonly name: string;
  readonly flags: number;
  readonly bytes_key: number;
  readonly bytes_value: number;
  readonly max_entries: number;
  readonly bytes_memlock: number;
  readonly frozen: number;
  readonly btf_id?: number | undefined;
  readonly btf_vmlinux_value_type_id?: number | undefined;
  readonly [key: string]: JsonValue | undefined;
}

/** Reads a map's record from the kernel. */
export function mapRecord(map: BpfMap<unknown, unknown>): MapRecord {
  const i = map.info();
  const fdinfo = fdInfo(map.fd);
  const subject = `map id ${i.id}`;
  return {
    id: i.id,
    type: mapTypeName(i.type),
    name: i.name,
    flags: i.mapFlags,
    bytes_key: i.keySize,
    bytes_value: i.valueSize,
    max_entries: i.maxEntries,
    bytes_memlock: fdInfoNumber(fdinfo, 'memlock', subject),
    frozen: fdInfoNumber(fdinfo, 'frozen', subject),
    btf_id: i.btfId > 0 ? i.btfId : undefined,
    btf_vmlinux_value_type_id: i.btfVmlinuxValueTypeId > 0 ? i.btfVmlinuxValueTypeId : undefined,
  };
}
