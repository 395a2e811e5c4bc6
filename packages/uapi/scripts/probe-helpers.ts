/**
 * Records which helpers each program type may call on the running kernel (the facts of the
 * kernel's `*_func_proto` tables) into data/bpf-uapi.json under `helperAccess`. Needs root
 * (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN):
 *
 *   npx tsx --conditions=@ts-ebpf/source scripts/probe-helpers.ts && npx tsx scripts/generate.ts
 *
 * For every (program type, expected attach type) pair of libbpf's section table, a program
 * `r0 = 0; call <helper>; r0 = 1; exit` is loaded once per helper. The verifier checks a
 * helper's availability before its arguments, so a refusal whose log says the program type
 * cannot use the helper (or that it is not allowed there, or might sleep in a non-sleepable
 * program, or that the function is not supported for the program type) means "not available"; any other refusal (an argument check, since R2–R5 are
 * unset) or a successful load means "available". Pairs whose helper-free baseline program
 * does not load, and program types that need an attach BTF id (tracing, LSM, freplace,
 * struct_ops), are recorded under `unprobed` with the reason.
 */
import { release } from 'node:os';
import { close, progLoad } from '@ts-ebpf/syscall';
import {
  attachTypeName,
  BpfProgLoadFlag,
  BpfProgType,
  HELPER_SIGNATURES,
  HOST_LITTLE_ENDIAN,
  progTypeName,
  SECTION_DEFS,
} from '@ts-ebpf/uapi';
import { type HelperAccessFacts, readUapiData, writeUapiData } from './uapi-data.js';

/** Verifier messages that mean the helper is not in the program type's func_proto table. */
const UNAVAILABLE = [
  /program of this type cannot use helper/,
  /unknown func /,
  /helper call is not allowed in probe/,
  /helper call might sleep in a non-sleepable prog/,
  /not supported for program type/,
];

/** Types whose programs need an attach BTF id to load at all. */
const NEEDS_BTF_TARGET = new Set<number>([
  BpfProgType.TRACING,
  BpfProgType.LSM,
  BpfProgType.EXT,
  BpfProgType.STRUCT_OPS,
]);

function encode(helperId: number | undefined): Uint8Array {
  const insns: [number, number][] = [[0xb7, 0]]; // r0 = 0
  if (helperId !== undefined) insns.push([0x85, helperId]); // call helperId
  insns.push([0xb7, 1], [0x95, 0]); // r0 = 1 (a return code every type accepts); exit
  const out = new Uint8Array(insns.length * 8);
  const view = new DataView(out.buffer);
  insns.forEach(([code, imm], i) => {
    view.setUint8(i * 8, code);
    view.setInt32(i * 8 + 4, imm, HOST_LITTLE_ENDIAN);
  });
  return out;
}

/** A program type with the expected attach type (if any) and flags its probe programs are loaded with. */
export interface Pair {
  readonly progType: number;
  readonly attachType: number | undefined;
  readonly sleepable: boolean;
}

/** Loads the probe; undefined on success, else the first line of the verifier's complaint. */
function tryLoad(pair: Pair, helperId: number | undefined): string | undefined {
  try {
    const fd = progLoad({
      progType: pair.progType,
      insns: encode(helperId),
      license: 'GPL',
      logLevel: 1,
      logSize: 1 << 16,
      ...(pair.attachType === undefined ? {} : { expectedAttachType: pair.attachType }),
      ...(pair.sleepable ? { progFlags: BpfProgLoadFlag.SLEEPABLE } : {}),
    });
    close(fd);
    return undefined;
  } catch (e) {
    const log = (e as { log?: string }).log ?? '';
    const lines = log.trim().split('\n');
    return lines.find((l) => UNAVAILABLE.some((re) => re.test(l))) ?? lines.at(-2) ?? (e as Error).message;
  }
}

/** The distinct (program type, expected attach type) pairs of libbpf's section table. */
export function pairs(): Pair[] {
  const seen = new Map<string, Pair>();
  for (const def of SECTION_DEFS) {
    const key = `${def.progType}/${def.expectedAttachType}`;
    const sleepable = def.progType === BpfProgType.SYSCALL;
    if (!seen.has(key))
      seen.set(key, { progType: def.progType, attachType: def.expectedAttachType, sleepable });
  }
  return [...seen.values()];
}

/**
 * The names of the helpers `pair` may call on the running kernel, in id order; `onRefusal`
 * sees the verifier's reason for every helper whose probe program was refused.
 */
export function probeHelpers(pair: Pair, onRefusal: (reason: string) => void = () => {}): string[] {
  const helpers: string[] = [];
  for (const h of HELPER_SIGNATURES) {
    const refusal = tryLoad(pair, h.id);
    if (refusal !== undefined) {
      onRefusal(refusal);
      if (UNAVAILABLE.some((re) => re.test(refusal))) continue;
    }
    helpers.push(h.name);
  }
  return helpers;
}

function main(): void {
  const source = `probed on Linux ${release()}`;
  const probed: HelperAccessFacts['probed'][number][] = [];
  const unprobed: [string, string | null, string][] = [];
  const messages = new Map<string, number>();
  for (const pair of pairs()) {
    const prog = `BPF_PROG_TYPE_${progTypeName(pair.progType)}`;
    const attach = pair.attachType === undefined ? null : `BPF_${attachTypeName(pair.attachType)}`;
    if (NEEDS_BTF_TARGET.has(pair.progType)) {
      unprobed.push([prog, attach, 'needs an attach BTF id']);
      continue;
    }
    const baseline = tryLoad(pair, undefined);
    if (baseline !== undefined) {
      unprobed.push([prog, attach, `a helper-free program does not load: ${baseline}`]);
      continue;
    }
    const helpers = probeHelpers(pair, (refusal) => {
      const shape = refusal.replace(/\b\w+#\d+/, 'HELPER').replace(/R\d/g, 'Rn');
      messages.set(shape, (messages.get(shape) ?? 0) + 1);
    });
    probed.push({ progType: prog, attachType: attach, helpers });
  }
  const data = readUapiData();
  writeUapiData({ ...data, helperAccess: { source, probed, unprobed } });
  console.log(`probed ${probed.length} program/attach type pairs; ${unprobed.length} not probed`);
  for (const [msg, n] of [...messages].sort((a, b) => b[1] - a[1]))
    console.log(`${String(n).padStart(6)}  ${msg}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
