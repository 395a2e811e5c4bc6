import { type LinkInfo, loadedLinks } from '@ts-ebpf/programs';
import { commandGroup, type Subcommand } from '../command.js';
import { hexBytes } from '../hex.js';
import type { JsonValue } from '../json.js';
import { recordsOf } from '../object-ids.js';
import type { Output } from '../output.js';
import { openLink, REF_FORMS, readRef } from '../targets.js';
import { linkObjectsSubcommand } from './link-objects.js';

/** Fields `@ts-ebpf/programs` names differently from bpftool's JSON. */
const BPFTOOL_NAMES: Readonly<Record<string, string>> = { tracepoint: 'tp_name', target: 'target_name' };

/**
 * A link as `link list` and `link show` print it: `id`, `type`, `prog_id`, then the link type's
 * own fields as `@ts-ebpf/programs` decodes them, under bpftool's names where bpftool has the
 * field (`tp_name`, `target_name`, `attach_type` in lower case as bpftool prints it), else in
 * snake_case.
 */
export function linkRecord(info: LinkInfo): Record<string, JsonValue> {
  const type = info.type === 'other' ? info.name.toLowerCase() : info.type;
  const out: Record<string, JsonValue> = { id: info.id, type, prog_id: info.progId };
  for (const [k, v] of Object.entries(info)) {
    if (
      k === 'id' ||
      k === 'type' ||
      k === 'progId' ||
      k === 'typeId' ||
      (k === 'name' && info.type === 'other')
    )
      continue;
    const key = BPFTOOL_NAMES[k] ?? k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    if (v instanceof Uint8Array) out[key] = hexBytes(v);
    else if (k === 'attachType' && typeof v === 'string') out[key] = v.toLowerCase();
    else out[key] = v === undefined ? null : (v as JsonValue);
  }
  return out;
}

function linkTable(out: Output, records: readonly Record<string, JsonValue>[]): void {
  const s = out.style;
  out.table(
    ['ID', 'TYPE', 'PROG', 'DETAILS'],
    records.map((r) => {
      const { id, type, prog_id, ...rest } = r;
      const details = Object.entries(rest)
        .map(
          ([k, v]) =>
            `${k} ${typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : JSON.stringify(v)}`,
        )
        .join('  ');
      return [s.accent(String(id)), String(type), String(prog_id), details];
    }),
  );
}

const list: Subcommand = {
  words: ['list'],
  args: '',
  summary: 'every bpf_link',
  details: 'JSON: an array of the records `link show` prints.',
  run(args, out) {
    args.end();
    const records = recordsOf(loadedLinks(), (l) => linkRecord(l.info()));
    if (args.flags.json) out.json(records);
    else linkTable(out, records);
  },
};

const show: Subcommand = {
  words: ['show'],
  args: 'LINK',
  summary: 'one bpf_link: its type, program and attach point',
  details: `LINK := ${REF_FORMS}\nJSON: id, type, prog_id (as bpftool), then the link type's fields (ifindex, interface, attach_type, tracepoint, cgroup_id …).`,
  run(args, out) {
    const ref = readRef(args, 'link');
    args.end();
    using l = openLink(ref);
    const r = linkRecord(l.info());
    if (args.flags.json) out.json(r);
    else linkTable(out, [r]);
  },
};

/**
 * `ts-ebpf link`: list and show bpf_links; `ts-ebpf link OUT.o IN.o…` links BPF objects into one
 * (any first word other than `list` and `show` is the output object).
 */
export const linkCommand = commandGroup(
  'link',
  'inspect bpf_links (attached programs), or link BPF objects into one',
  [list, show, linkObjectsSubcommand([list, show].map((s) => s.words.join(' ')))],
);
