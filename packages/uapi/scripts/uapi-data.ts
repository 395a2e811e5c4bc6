/**
 * The shape of data/bpf-uapi.json, the one record of kernel facts the generator reads, and
 * its reader and writer. Node only (scripts and tests).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A member a recorded kernel lacks: its name, value and where the value comes from. */
export type NewerMember = readonly [name: string, value: number, source: string];

/** One C enum of the BPF user API. */
export interface EnumFacts {
  /** The C enum's name; omitted for an anonymous enum, which `anchor` identifies. */
  readonly name?: string;
  /** For an anonymous enum: the name of its first member (how the refresh finds it in BTF). */
  readonly anchor?: string;
  /** Where `members` come from, e.g. `BTF of Linux 6.18.44`. */
  readonly source: string;
  /** Members as the recorded kernel has them, in its order (`__`-prefixed sentinels left out). */
  readonly members: readonly (readonly [name: string, value: number])[];
  /** Members newer than the recorded kernel, each with its source. */
  readonly newer: readonly NewerMember[];
}

/** A C argument of a helper's signature. */
export interface HelperArgFacts {
  readonly type: string;
  readonly name: string;
}

/** A helper's C signature, from the doc comment of `include/uapi/linux/bpf.h`. */
export interface HelperFacts {
  readonly id: number;
  readonly name: string;
  readonly returns: string;
  readonly args: readonly HelperArgFacts[];
}

/** Which helpers a (program type, expected attach type) pair may call, as probed on a kernel. */
export interface HelperAccessRow {
  /** `BPF_PROG_TYPE_…`. */
  readonly progType: string;
  /** `BPF_…` of `enum bpf_attach_type`, or null when loaded without one. */
  readonly attachType: string | null;
  /** Helper names (without `bpf_`) the verifier lets this pair call, in id order. */
  readonly helpers: readonly string[];
}

/** The record of scripts/probe-helpers.ts: the kernel's func_proto tables as observed. */
export interface HelperAccessFacts {
  /** Which kernel the probe ran on. */
  readonly source: string;
  readonly probed: readonly HelperAccessRow[];
  /** Pairs not probed: program type, attach type and why. */
  readonly unprobed: readonly (readonly [progType: string, attachType: string | null, reason: string])[];
}

/** The whole record. */
export interface UapiData {
  readonly about: string;
  readonly enums: readonly EnumFacts[];
  /** `#define` facts (the BTF does not carry macros): name, value, header and version. */
  readonly defines: readonly (readonly [name: string, value: number, source: string])[];
  /** Errno names by number (asm-generic/errno-base.h, errno.h; 512 and up from include/linux/errno.h). */
  readonly errno: readonly (readonly [errno: number, name: string])[];
  /** Helper signatures; ids must agree with `enum bpf_func_id`. */
  readonly helpers: readonly HelperFacts[];
  /** Helpers per program type (scripts/probe-helpers.ts). */
  readonly helperAccess: HelperAccessFacts;
}

/** Path of the data file in this repository. */
export const DATA_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'bpf-uapi.json');

/** Reads the data file. */
export function readUapiData(path = DATA_FILE): UapiData {
  return JSON.parse(readFileSync(path, 'utf8')) as UapiData;
}

/** The enum's key in messages: its name, or `anonymous enum <anchor>`. */
export function enumLabel(e: EnumFacts): string {
  return e.name ?? `anonymous enum ${e.anchor}`;
}

/** The helperAccess record, one program type per line. */
function helperAccess(a: HelperAccessFacts): string {
  const j = (v: unknown) => JSON.stringify(v);
  const rows = (r: readonly unknown[]) => r.map((x) => `      ${j(x)}`).join(',\n');
  return [
    '{',
    `    "source": ${j(a.source)},`,
    `    "probed": [\n${rows(a.probed)}\n    ],`,
    `    "unprobed": [\n${rows(a.unprobed)}\n    ]`,
    '  }',
  ].join('\n');
}

/**
 * Writes the data file with one enum member or define per line, so a refresh shows as a
 * readable diff, then formats it with the repository's biome settings.
 */
export function writeUapiData(data: UapiData, path = DATA_FILE): void {
  const j = (v: unknown) => JSON.stringify(v);
  const list = (rows: readonly unknown[], indent: string) =>
    rows.length === 0 ? '[]' : `[\n${rows.map((r) => `${indent}  ${j(r)}`).join(',\n')}\n${indent}]`;
  const enums = data.enums.map((e) => {
    const head = e.name === undefined ? `"anchor": ${j(e.anchor)}` : `"name": ${j(e.name)}`;
    return [
      '    {',
      `      ${head},`,
      `      "source": ${j(e.source)},`,
      `      "members": ${list(e.members, '      ')},`,
      `      "newer": ${list(e.newer, '      ')}`,
      '    }',
    ].join('\n');
  });
  const text = [
    '{',
    `  "about": ${j(data.about)},`,
    `  "enums": [\n${enums.join(',\n')}\n  ],`,
    `  "defines": ${list(data.defines, '  ')},`,
    `  "errno": ${list(data.errno, '  ')},`,
    `  "helpers": ${list(data.helpers, '  ')},`,
    `  "helperAccess": ${helperAccess(data.helperAccess)}`,
    '}',
  ].join('\n');
  writeFileSync(path, `${text}\n`);
  const biome = spawnSync('npx', ['biome', 'format', '--write', path], { stdio: 'inherit' });
  if (biome.status !== 0) throw new Error(`biome could not format ${path}`);
}
