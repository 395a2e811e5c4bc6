/**
 * Generates src/generated/bpf-constants.generated.ts from linux/bpf.h.
 *
 *   npx tsx scripts/generate-constants.ts [path/to/bpf.h]
 *
 * Every numeric `#define` and every enum member of the header becomes an
 * exported constant; the named enums also become objects keyed by their short
 * names (`BpfMapType.HASH`). Values newer than the installed header live in
 * src/constants-newer.ts, written by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const header = process.argv[2] ?? '/usr/include/linux/bpf.h';
// bpf.h includes bpf_common.h (instruction classes, sizes, modes): read it first.
const common = join(dirname(header), 'bpf_common.h');
const out = join(dirname(fileURLToPath(import.meta.url)), '../src/generated/bpf-constants.generated.ts');

/** Named enums exported as objects: C name → [TS name, prefix stripped from members]. */
const NAMED_ENUMS: Record<string, [string, string]> = {
  bpf_cmd: ['BpfCmd', 'BPF_'],
  bpf_map_type: ['BpfMapType', 'BPF_MAP_TYPE_'],
  bpf_prog_type: ['BpfProgType', 'BPF_PROG_TYPE_'],
  bpf_attach_type: ['BpfAttachType', 'BPF_'],
  bpf_link_type: ['BpfLinkType', 'BPF_LINK_TYPE_'],
  bpf_func_id: ['BpfFunc', 'BPF_FUNC_'],
  xdp_action: ['XdpAction', 'XDP_'],
  bpf_ret_code: ['BpfRetCode', 'BPF_'],
  sk_action: ['SkAction', 'SK_'],
  bpf_stats_type: ['BpfStatsType', 'BPF_STATS_'],
  bpf_perf_event_type: ['BpfPerfEventType', 'BPF_PERF_EVENT_'],
  bpf_adj_room_mode: ['BpfAdjRoomMode', 'BPF_ADJ_ROOM_'],
  bpf_hdr_start_off: ['BpfHdrStartOff', 'BPF_HDR_START_'],
  bpf_lwt_encap_mode: ['BpfLwtEncapMode', 'BPF_LWT_ENCAP_'],
  bpf_task_fd_type: ['BpfTaskFdType', 'BPF_FD_TYPE_'],
  bpf_iter_task_fd_type: ['BpfIterTaskFdType', 'BPF_'],
  bpf_cgroup_iter_order: ['BpfCgroupIterOrder', 'BPF_CGROUP_ITER_'],
  bpf_core_relo_kind: ['BpfCoreReloKind', 'BPF_CORE_'],
  bpf_dynptr_type: ['BpfDynptrType', 'BPF_DYNPTR_TYPE_'],
  sk_reuseport_action: ['SkReuseportAction', 'SK_REUSEPORT_'],
};

const text = [common, header]
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n')
  .replace(/\/\*[\s\S]*?\*\//g, ' ')
  .replace(/\/\/.*$/gm, '')
  .replace(/\\\n/g, ' ');

const values = new Map<string, bigint>();

/** Evaluates a C integer constant expression over known names; undefined if it is not one. */
function evaluate(expr: string): bigint | undefined {
  const js = expr
    .replace(/\((?:__u(?:8|16|32|64)|unsigned\s+(?:int|long|long long)|int)\)/g, '')
    .replace(/\b(0x[0-9a-fA-F]+|\d+)(?:ULL|UL|LL|U|L)?\b/gi, (_, n: string) => `${BigInt(n)}n`)
    .replace(/\b[A-Za-z_]\w*\b/g, (name) => {
      const v = values.get(name);
      if (v === undefined) throw new Error(`unknown ${name}`);
      return `${v}n`;
    });
  if (!/^[\s\d n()<>|&~+\-*^]*$/.test(js)) return undefined;
  try {
    return BigInt.asIntN(64, Function(`return (${js});`)() as bigint);
  } catch {
    return undefined;
  }
}

interface EnumDecl {
  name: string | undefined;
  members: [string, bigint][];
}
const enums: EnumDecl[] = [];
const ordered: [string, bigint][] = [];

function define(name: string, value: bigint): void {
  if (values.has(name)) return;
  values.set(name, value);
  ordered.push([name, value]);
}

// Walk the header in order: defines and enums may refer to earlier ones.
const token = /#define\s+([A-Za-z_]\w*)(?!\()[ \t]+([^\n]+)|enum\s+(\w+)?\s*\{([^}]*)\}/g;
for (let m = token.exec(text); m; m = token.exec(text)) {
  if (m[1] !== undefined && m[2] !== undefined) {
    const value = evaluate(m[2].trim());
    if (value !== undefined) define(m[1], value);
    continue;
  }
  if (m[3] === 'bpf_func_id') continue; // an X-macro: read from __BPF_FUNC_MAPPER below
  const decl: EnumDecl = { name: m[3], members: [] };
  let next = 0n;
  for (const raw of (m[4] ?? '').split(',')) {
    const item = raw.trim();
    if (!item) continue;
    if (/^__BPF_FUNC_MAPPER\(/.test(item)) continue;
    const [name, expr] = item.split('=').map((s) => s.trim());
    if (!name || !/^[A-Za-z_]\w*$/.test(name)) continue;
    const value = expr === undefined ? next : evaluate(expr);
    if (value === undefined) continue;
    decl.members.push([name, value]);
    define(name, value);
    next = value + 1n;
  }
  enums.push(decl);
}

// The helper list is an X-macro: FN(name) in id order.
const mapper = /#define\s+__BPF_FUNC_MAPPER\(FN\)([\s\S]*?)\n\s*\n/.exec(
  readFileSync(header, 'utf8').replace(/\\\n/g, '\n'),
);
const helperNames = [...(mapper?.[1] ?? '').matchAll(/FN\((\w+)/g)].map((m) => m[1] as string);
const funcEnum: EnumDecl = {
  name: 'bpf_func_id',
  members: helperNames.map((n, i) => [`BPF_FUNC_${n}`, BigInt(i)]),
};
for (const [n, v] of funcEnum.members) define(n, v);
enums.push(funcEnum);

function literal(v: bigint): string {
  if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return v < 0n || v < 256n ? v.toString() : `0x${v.toString(16)}`;
  }
  return `${v < 0n ? '-' : ''}0x${(v < 0n ? -v : v).toString(16)}n`;
}

const lines: string[] = [
  '// Generated by scripts/generate-constants.ts from linux/bpf.h. Do not edit.',
  `// Source: ${common}, ${header}`,
  '',
];
for (const decl of enums) {
  const spec = decl.name ? NAMED_ENUMS[decl.name] : undefined;
  if (!spec) continue;
  const [tsName, prefix] = spec;
  lines.push(`/** Members of \`enum ${decl.name}\`, keyed without the \`${prefix}\` prefix. */`);
  lines.push(`export const ${tsName} = {`);
  for (const [name, v] of decl.members) {
    if (name.startsWith('__')) continue;
    const key = name.startsWith(prefix) ? name.slice(prefix.length) : name;
    lines.push(`  ${/^\d/.test(key) ? `'${key}'` : key}: ${literal(v)},`);
  }
  lines.push('} as const;', '');
}
lines.push('/** `bpf_func_id` names by id (`BPF_FUNC_NAMES[1] === "map_lookup_elem"`). */');
lines.push(`export const BPF_FUNC_NAMES: readonly string[] = ${JSON.stringify(helperNames)};`, '');
lines.push('// Every numeric #define and enum member of the header, in header order.');
for (const [name, v] of ordered) {
  if (name.startsWith('__')) continue;
  lines.push(`export const ${name} = ${literal(v)};`);
}
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`wrote ${ordered.length} constants, ${helperNames.length} helpers to ${out}`);
