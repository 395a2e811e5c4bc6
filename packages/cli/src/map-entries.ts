import type { Btf } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import type { BpfMap } from '@ts-ebpf/maps';
import { btfById } from './btf-object.js';
import { btfValue } from './btf-value.js';
import { CliError, EntryNotFoundError } from './errors.js';
import { hexBytes, hexLine } from './hex.js';
import { type JsonValue, toJson } from './json.js';
import type { Output } from './output.js';

/** A raw map (keys and values as bytes; per-CPU values one array per CPU). */
export type RawMap = BpfMap<Uint8Array, Uint8Array | Uint8Array[]>;

/** How a map's keys and values are decoded for display: its BTF types, when it has them. */
export interface EntryTypes {
  readonly btf: Btf | undefined;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
  /** struct_ops maps: the value's type in vmlinux BTF. */
  readonly vmlinuxValueTypeId: number;
}

/** The BTF a map was created with (none when it has no BTF). */
export function entryTypes(map: RawMap): EntryTypes {
  const i = map.info();
  return {
    btf: i.btfId > 0 ? btfById(i.btfId) : undefined,
    keyTypeId: i.btfKeyTypeId,
    valueTypeId: i.btfValueTypeId,
    vmlinuxValueTypeId: i.btfVmlinuxValueTypeId,
  };
}

/** Decodes one key or value by BTF, or undefined when the map has no type for it. */
function decoded(btf: Btf | undefined, typeId: number, bytes: Uint8Array): JsonValue | undefined {
  return btf && typeId > 0 ? btfValue(btf, typeId, bytes) : undefined;
}

/**
 * One entry as `bpftool -j map dump` prints it: `key` and `value` (per-CPU: `values`, one
 * `{ cpu, value }` per possible CPU) as `"0x.."` byte strings, plus `formatted` decoded by the
 * map's BTF when it has BTF. A value the BTF decoder refuses is reported through `onUndecoded`
 * and the entry is printed without `formatted`.
 */
export function entryJson(
  key: Uint8Array,
  value: Uint8Array | Uint8Array[],
  types: EntryTypes,
  onUndecoded: (e: CliError) => void,
): JsonValue {
  const perCpu = Array.isArray(value);
  const raw = perCpu
    ? { key: hexBytes(key), values: value.map((v, cpu) => ({ cpu, value: hexBytes(v) })) }
    : { key: hexBytes(key), value: hexBytes(value) };
  const valueBtf = types.vmlinuxValueTypeId > 0 ? kernelBtf() : types.btf;
  const valueType = types.vmlinuxValueTypeId > 0 ? types.vmlinuxValueTypeId : types.valueTypeId;
  if (!valueBtf || valueType === 0) return raw;
  try {
    const k = decoded(types.btf, types.keyTypeId, key) ?? hexBytes(key);
    const formatted = perCpu
      ? { key: k, values: value.map((v, cpu) => ({ cpu, value: btfValue(valueBtf, valueType, v) })) }
      : { key: k, value: btfValue(valueBtf, valueType, value) };
    return { ...raw, formatted };
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    onUndecoded(e);
    return raw;
  }
}

/** Prints entries: JSON as bpftool, or one line per entry (per CPU) for people. */
export function printEntries(out: Output, json: boolean, entries: readonly JsonValue[]): void {
  if (json) {
    out.json(entries);
    return;
  }
  const s = out.style;
  const lines: string[] = [];
  for (const e of entries as readonly Record<string, JsonValue>[]) {
    const f = e.formatted as Record<string, JsonValue> | undefined;
    const show = (bytes: JsonValue, decodedValue: JsonValue | undefined) =>
      decodedValue === undefined ? hexText(bytes) : toJson(decodedValue);
    const key = show(e.key!, f?.key);
    if (e.values) {
      const values = e.values as readonly { cpu: number; value: JsonValue }[];
      const fv = f?.values as readonly { value: JsonValue }[] | undefined;
      lines.push(`${s.bold('key')}: ${key}`);
      for (const [i, v] of values.entries())
        lines.push(`  ${s.dim(`cpu ${v.cpu}`)}: ${show(v.value, fv?.[i]?.value)}`);
    } else lines.push(`${s.bold('key')}: ${key}  ${s.bold('value')}: ${show(e.value!, f?.value)}`);
  }
  lines.push(s.dim(`${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`));
  out.text(lines.join('\n'));
}

/** `["0x01","0x00"]` as `01 00`. */
function hexText(bytes: JsonValue): string {
  return hexLine(Uint8Array.from(bytes as readonly string[], (b) => Number.parseInt(b, 16)));
}

/** The value under `key`. @throws EntryNotFoundError when the map does not hold the key */
export function lookupEntry(map: RawMap, key: Uint8Array, subject: string): Uint8Array | Uint8Array[] {
  const value = map.get(key);
  if (value === undefined) throw new EntryNotFoundError(subject, hexLine(key));
  return value;
}

/** Deletes the entry under `key`. @throws EntryNotFoundError when the map does not hold the key */
export function deleteEntry(map: RawMap, key: Uint8Array, subject: string): void {
  if (!map.delete(key)) throw new EntryNotFoundError(subject, hexLine(key));
}
