import type { Btf } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { type BpfMap, KeyExistsError, KeyNotFoundError, MapType, mapTypeName, Update } from '@ts-ebpf/maps';
import { BpfSyscallError, NotFoundError } from '@ts-ebpf/syscall';
import { btfById } from './btf-object.js';
import { btfValue } from './btf-value.js';
import { CliError, EntryNotFoundError, MapReadError, syscallReason, UpdateRefusedError } from './errors.js';
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
 * map's BTF when it has BTF (its `key` only when the map has a key type). A value the BTF decoder refuses is reported through `onUndecoded`
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
    // No key type (a data section's array map): no formatted key, as bpftool prints it.
    const k = decoded(types.btf, types.keyTypeId, key);
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

/** Map types whose entries belong to kernel objects (sockets, tasks …): user space cannot list them. */
const LOCAL_STORAGE: ReadonlySet<number> = new Set([
  MapType.SK_STORAGE,
  MapType.INODE_STORAGE,
  MapType.TASK_STORAGE,
  MapType.CGRP_STORAGE,
]);

/** A value `map dump` could not read: the kernel's refusal, printed in its place. */
export interface UnreadableValue {
  readonly error: string;
}

/** What `map dump` read: each key with its value, or with why its value could not be read. */
export interface DumpedEntries {
  readonly entries: [Uint8Array, Uint8Array | Uint8Array[] | UnreadableValue][];
  /** Why entries are missing or unreadable, for a note on standard error. */
  readonly notes: string[];
}

/**
 * Reads every entry of a map for `map dump`, as bpftool does: the keys, then each key's value;
 * a value the kernel refuses to user space (perf event arrays, cgroup arrays, …: ENOTSUPP) is
 * kept as the error in its place, and local storage (sockets', tasks', inodes', cgroups'), whose
 * keys user space cannot list, dumps as no entries. Both are said in `notes`.
 * @throws MapReadError naming `subject` when the kernel refuses to list the keys of another map
 */
export function dumpEntries(map: RawMap, subject: string): DumpedEntries {
  const type = map.type;
  const notes: string[] = [];
  if (LOCAL_STORAGE.has(type)) {
    notes.push(
      `${subject} is a ${mapTypeName(type)} map: its entries belong to kernel objects and user space cannot list them`,
    );
    return { entries: [], notes };
  }
  let keys: Uint8Array[];
  try {
    keys = [...map.keys()];
  } catch (e) {
    if (e instanceof BpfSyscallError) throw new MapReadError(subject, 'its keys', e);
    throw e;
  }
  const entries: DumpedEntries['entries'] = [];
  let refused: unknown;
  for (const key of keys) {
    try {
      const value = map.get(key);
      // Deleted since its key was read: not an entry any more.
      if (value !== undefined) entries.push([key, value]);
    } catch (e) {
      if (!(e instanceof BpfSyscallError) || e instanceof NotFoundError) throw e;
      refused ??= e;
      entries.push([key, { error: syscallReason(e) }]);
    }
  }
  if (refused !== undefined) {
    const n = entries.filter(([, v]) => isUnreadable(v)).length;
    notes.push(
      `${subject}: the kernel refused to read ${n === 1 ? 'a value' : `${n} values`} (a ${mapTypeName(type)} map's values may not be readable from user space): ${syscallReason(refused)}`,
    );
  }
  return { entries, notes };
}

/** True for a value `map dump` could not read. */
export function isUnreadable(v: Uint8Array | Uint8Array[] | UnreadableValue): v is UnreadableValue {
  return !(v instanceof Uint8Array) && !Array.isArray(v);
}

/** One unreadable entry as bpftool prints it: the key, and `"value": { "error": … }`. */
export function unreadableJson(key: Uint8Array, value: UnreadableValue): JsonValue {
  return { key: hexBytes(key), value: { error: value.error } };
}

/** Prints entries: JSON as bpftool, or one line per entry (per CPU) for people. */
export function printEntries(out: Output, json: boolean, entries: readonly JsonValue[], count = true): void {
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
    } else if (isErrorValue(e.value)) {
      lines.push(`${s.bold('key')}: ${key}  ${s.bold('value')}: ${s.dim(`<error: ${e.value.error}>`)}`);
    } else lines.push(`${s.bold('key')}: ${key}  ${s.bold('value')}: ${show(e.value!, f?.value)}`);
  }
  if (count) lines.push(s.dim(`${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`));
  out.text(lines.join('\n'));
}

/** A printed entry's `value` that is a read error (`{ "error": … }`), not bytes. */
function isErrorValue(v: JsonValue | undefined): v is { error: string } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v;
}

/** `["0x01","0x00"]` as `01 00`. */
function hexText(bytes: JsonValue): string {
  return hexLine(Uint8Array.from(bytes as readonly string[], (b) => Number.parseInt(b, 16)));
}

/**
 * The value under `key`.
 * @throws EntryNotFoundError when the map does not hold the key
 * @throws MapReadError naming `subject` when the kernel refuses to read the value
 */
export function lookupEntry(map: RawMap, key: Uint8Array, subject: string): Uint8Array | Uint8Array[] {
  let value: Uint8Array | Uint8Array[] | undefined;
  try {
    value = map.get(key);
  } catch (e) {
    if (e instanceof BpfSyscallError) throw new MapReadError(subject, `the value of key ${hexLine(key)}`, e);
    throw e;
  }
  if (value === undefined) throw new EntryNotFoundError(subject, hexLine(key));
  return value;
}

/** The update flags of `map update`, by the words the command line takes. */
export const UPDATE_FLAGS = Object.freeze({ any: Update.ANY, exist: Update.EXIST, noexist: Update.NOEXIST });

/**
 * Stores `value` under `key` with the update flag the command line named.
 * @throws UpdateRefusedError, in the command line's words, when `exist` finds no entry or
 *   `noexist` finds one
 */
export function updateEntry(
  map: RawMap,
  key: Uint8Array,
  value: Uint8Array | Uint8Array[],
  flag: keyof typeof UPDATE_FLAGS,
  subject: string,
): void {
  try {
    map.set(key, value, UPDATE_FLAGS[flag]);
  } catch (e) {
    if (flag !== 'any' && (e instanceof KeyExistsError || e instanceof KeyNotFoundError))
      throw new UpdateRefusedError(subject, hexLine(key), flag, e.cause); // the kernel's EEXIST/ENOENT: the library's message names Update.NOEXIST, not the word typed
    throw e;
  }
}

/** Deletes the entry under `key`. @throws EntryNotFoundError when the map does not hold the key */
export function deleteEntry(map: RawMap, key: Uint8Array, subject: string): void {
  if (!map.delete(key)) throw new EntryNotFoundError(subject, hexLine(key));
}
