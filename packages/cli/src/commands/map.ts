import { isKeyless, isPerCpuType, loadedMaps, mapTypeName } from '@ts-ebpf/maps';
import { possibleCpuCount } from '@ts-ebpf/syscall';
import type { Args } from '../args.js';
import { commandGroup, type Subcommand } from '../command.js';
import { CliError } from '../errors.js';
import { checkLength, readBytes } from '../hex.js';
import {
  deleteEntry,
  dumpEntries,
  entryJson,
  entryTypes,
  isUnreadable,
  lookupEntry,
  printEntries,
  type RawMap,
  UPDATE_FLAGS,
  unreadableJson,
  updateEntry,
} from '../map-entries.js';
import { type MapRecord, mapRecord } from '../map-record.js';
import { recordsOf } from '../object-ids.js';
import { matchesJson, matchingRecords, matchText } from '../object-match.js';
import type { Output } from '../output.js';
import { MAP_FORMS, mapFields, type ObjectRef, openMap, readRef } from '../targets.js';

function mapTable(out: Output, records: readonly MapRecord[]): void {
  const s = out.style;
  out.table(
    ['ID', 'TYPE', 'NAME', 'KEY', 'VALUE', 'MAX', 'FLAGS', 'MEMLOCK', 'BTF'],
    records.map((r) => [
      s.accent(String(r.id)),
      r.type,
      r.name || s.dim('-'),
      `${r.bytes_key}B`,
      `${r.bytes_value}B`,
      String(r.max_entries),
      `0x${r.flags.toString(16)}${r.frozen ? ' frozen' : ''}`,
      `${r.bytes_memlock}B`,
      r.btf_id === undefined ? s.dim('-') : String(r.btf_id),
    ]),
  );
}

/** Opens the map `ref` names, runs `f`, closes it. */
function withMap<T>(ref: ObjectRef, f: (map: RawMap, subject: string) => T): T {
  using map = openMap(ref);
  if ('pinned' in ref) return f(map, `the map pinned at '${ref.pinned}'`);
  return f(map, 'id' in ref ? `map id ${ref.id}` : `map ${matchText(ref)} (id ${map.info().id})`);
}

/** Refuses maps without keys (queue, stack, bloom filter, ring buffer) for key-based commands. */
function checkKeyed(map: RawMap, subject: string, command: string): void {
  if (isKeyless(map.type) || map.keySize === 0) {
    throw new CliError(
      `${subject} is a ${mapTypeName(map.type)} map: it has no keys, so 'map ${command}' does not apply`,
    );
  }
}

/** Reads `key BYTES`, up to a word in `stop`. */
function readKey(args: Args, stop: readonly string[]): Uint8Array {
  if (!args.take('key')) throw args.error(`expected 'key' and the key's bytes`);
  return readBytes(args, 'key', stop);
}

/** The value sizes an update takes: one CPU's value (per-CPU maps: the same on every CPU) or every CPU's. */
function valueSizes(map: RawMap): number[] {
  if (!isPerCpuType(map.type)) return [map.valueSize];
  return [map.valueSize, Math.ceil(map.valueSize / 8) * 8 * possibleCpuCount()];
}

function toValue(map: RawMap, bytes: Uint8Array): Uint8Array | Uint8Array[] {
  if (!isPerCpuType(map.type)) return bytes;
  const cpus = possibleCpuCount();
  if (bytes.byteLength === map.valueSize) return Array.from({ length: cpus }, () => bytes);
  const stride = Math.ceil(map.valueSize / 8) * 8;
  return Array.from({ length: cpus }, (_, i) => bytes.subarray(i * stride, i * stride + map.valueSize));
}

const list: Subcommand = {
  words: ['list'],
  args: '',
  summary: 'every map',
  details: 'JSON: an array of the records `map show` prints (bpftool -j map list field names).',
  run(args, out) {
    args.end();
    const records = recordsOf(loadedMaps(), mapRecord);
    if (args.flags.json) out.json(records);
    else mapTable(out, records);
  },
};

const show: Subcommand = {
  words: ['show'],
  args: 'MAP',
  summary: 'one map (by name, every match): id, type, name, sizes, flags, memlock, BTF id',
  details:
    'name NAME shows every map that has it (JSON: the record alone for one match, an array for several, as bpftool); the other commands work on one map, and refuse a name several maps have, listing their ids.\nJSON fields as bpftool -j map show: id, type, name, flags, bytes_key, bytes_value, max_entries, bytes_memlock, frozen, btf_id, btf_vmlinux_value_type_id.',
  run(args, out) {
    const ref = readRef(args, 'map', ['name']);
    args.end();
    if ('name' in ref) {
      const records = matchingRecords('map', loadedMaps(), ref, mapFields, mapRecord);
      if (args.flags.json) out.json(matchesJson(records));
      else mapTable(out, records);
      return;
    }
    const r = withMap(ref, mapRecord);
    if (args.flags.json) out.json(r);
    else mapTable(out, [r]);
  },
};

const dump: Subcommand = {
  words: ['dump'],
  args: 'MAP',
  summary: "every entry; decoded by the map's BTF when it has BTF",
  details:
    'JSON as bpftool -j map dump: [{ "key": ["0x01", …], "value": [...] (per-CPU: "values": [{ "cpu", "value" }]), "formatted": { "key", "value" } }].\nA value the kernel does not give to user space (perf event arrays, cgroup arrays) is printed as "value": { "error": … }; local storage (sockets\', tasks\', …) as no entries; both with a note on stderr.',
  run(args, out) {
    const ref = readRef(args, 'map', ['name']);
    args.end();
    withMap(ref, (m, subject) => {
      checkKeyed(m, subject, 'dump');
      const types = entryTypes(m);
      let undecoded: CliError | undefined;
      const dumped = dumpEntries(m, subject);
      const entries = dumped.entries.map(([k, v]) =>
        isUnreadable(v) ? unreadableJson(k, v) : entryJson(k, v, types, (e) => (undecoded ??= e)),
      );
      for (const note of dumped.notes) out.note(note);
      if (undecoded) out.note(`${subject}: values shown as bytes only: ${undecoded.message}`);
      printEntries(out, args.flags.json, entries);
    });
  },
};

const lookup: Subcommand = {
  words: ['lookup'],
  args: 'MAP key [hex] BYTES',
  summary: 'the value stored under a key',
  details:
    'BYTES: one byte per argument in C notation (0x01 1 001), or after `hex`, hex digits (hex 01 00 00 00, hex 01000000).\nA key the map does not hold is an error (exit 1).',
  run(args, out) {
    const ref = readRef(args, 'map', ['name']);
    const key = readKey(args, []);
    args.end();
    withMap(ref, (m, subject) => {
      checkKeyed(m, subject, 'lookup');
      checkLength(args, 'key', key, [m.keySize]);
      const value = lookupEntry(m, key, subject);
      let undecoded: CliError | undefined;
      const entry = entryJson(key, value, entryTypes(m), (e) => (undecoded = e));
      if (undecoded) out.note(`${subject}: value shown as bytes only: ${undecoded.message}`);
      if (args.flags.json) out.json(entry);
      else printEntries(out, false, [entry], false); // the entry alone, as bpftool prints a lookup
    });
  },
};

const update: Subcommand = {
  words: ['update'],
  args: 'MAP key [hex] BYTES value [hex] BYTES [any|exist|noexist]',
  summary: 'stores a value under a key (any: create or replace, exist: replace only, noexist: create only)',
  details:
    'Per-CPU maps take one value (stored on every CPU) or a value per possible CPU, each padded to 8 bytes.',
  run(args, out) {
    const ref = readRef(args, 'map', ['name']);
    const key = readKey(args, ['value']);
    if (!args.take('value')) throw args.error(`expected 'value' and the value's bytes`);
    const value = readBytes(args, 'value', Object.keys(UPDATE_FLAGS));
    const word = args.done ? 'any' : args.next('the update flag');
    if (!Object.hasOwn(UPDATE_FLAGS, word))
      throw args.error(`unknown update flag '${word}': any, exist or noexist`);
    const flag = word as keyof typeof UPDATE_FLAGS;
    args.end();
    withMap(ref, (m, subject) => {
      checkKeyed(m, subject, 'update');
      checkLength(args, 'key', key, [m.keySize]);
      checkLength(args, 'value', value, valueSizes(m));
      updateEntry(m, key, toValue(m, value), flag, subject);
      if (args.flags.json) out.json(null);
    });
  },
};

const remove: Subcommand = {
  words: ['delete'],
  args: 'MAP key [hex] BYTES',
  summary: 'deletes the entry under a key',
  details: 'A key the map does not hold is an error (exit 1).',
  run(args, out) {
    const ref = readRef(args, 'map', ['name']);
    const key = readKey(args, []);
    args.end();
    withMap(ref, (m, subject) => {
      checkKeyed(m, subject, 'delete');
      checkLength(args, 'key', key, [m.keySize]);
      deleteEntry(m, key, subject);
      if (args.flags.json) out.json(null);
    });
  },
};

/** `ts-ebpf map`: list, show, dump, and read and write entries of maps. */
export const mapCommand = commandGroup(
  'map',
  'inspect BPF maps and their entries',
  [list, show, dump, lookup, update, remove],
  `MAP := ${MAP_FORMS}`,
);
