import { type Btf, BtfError, type BtfExt, type CoreRelo, type CoreReloKindName } from '@ts-ebpf/btf';
import type { ProgramSpec } from '../collection-spec.js';
import { INSN_SIZE } from '../instructions.js';
import { type CoreValues, calcValues } from './calc.js';
import { CoreError } from './errors.js';
import { matchSpec } from './match.js';
import { candidateIds } from './names.js';
import { patchInstruction } from './patch.js';
import { type CoreSpec, formatSpec, parseSpec, typeLabel } from './spec.js';

/** What happened to one CO-RE relocation of a program. */
export interface CoreRelocationResult {
  /** Index of the relocated instruction in the program. */
  readonly insn: number;
  /** ELF section and byte offset in it that the `.BTF.ext` record names. */
  readonly section: string;
  readonly insnOff: number;
  readonly kind: CoreReloKindName;
  /** The local (object) type the relocation is about, by id and name (`struct sample`). */
  readonly localTypeId: number;
  readonly localTypeName: string;
  /** The raw access string (`0:1:2`) and what it reaches (`struct sample.pts[2].y`). */
  readonly accessString: string;
  readonly access: string;
  /** Id of the matched target type, or `'not found'` (for `type_id_local`, the local id). */
  readonly targetTypeId: number | 'not found';
  /** What the target spec reaches, when found. */
  readonly targetAccess: string | undefined;
  /** The value the instruction held. */
  readonly oldValue: bigint;
  /** The value written; undefined when the instruction was poisoned. */
  readonly newValue: bigint | undefined;
  /** Why the instruction was poisoned (it now calls helper 0xbad2310), or undefined. */
  readonly poisoned: string | undefined;
}

/** Options of {@link applyCoreRelocations}. */
export interface CoreOptions {
  /** Throw a CoreError instead of poisoning an instruction whose relocation cannot be satisfied. */
  readonly strict?: boolean;
}

/** The relocated instructions and a report of every relocation applied. */
export interface CoreRelocationOutcome {
  readonly instructions: Uint8Array;
  readonly results: CoreRelocationResult[];
}

/** One line describing a result, as error messages and {@link explainCoreFailure} use it. */
export function describeCoreRelocation(r: CoreRelocationResult): string {
  const target =
    r.targetTypeId === 'not found'
      ? 'target not found'
      : `${r.kind === 'type_id_local' ? 'local' : 'target'} [${r.targetTypeId}]`;
  const value = r.poisoned ? `poisoned: ${r.poisoned}` : `${r.oldValue} -> ${r.newValue}`;
  return `insn ${r.insn}: ${r.kind} of ${r.access} (${r.accessString}), ${target}, ${value}`;
}

interface Resolution {
  values: CoreValues;
  target: CoreSpec | undefined;
}

/** Matches the local spec in every candidate; all that match must agree (libbpf's `bpf_core_resolve_relo`). */
function resolve(local: CoreSpec, target: Btf, candidates: number[]): Resolution {
  if (local.kind === 'type_id_local') {
    const v = BigInt(local.rootTypeId);
    return {
      values: {
        orig: v,
        next: v,
        poison: undefined,
        validate: false,
        origSize: 0,
        nextSize: 0,
        sizeMismatch: false,
      },
      target: undefined,
    };
  }
  let chosen: Resolution | undefined;
  for (const id of candidates) {
    const spec = matchSpec(local, target, id);
    if (!spec) continue;
    const values = calcValues(local, spec);
    if (!chosen) {
      chosen = { values, target: spec };
    } else if (spec.bitOffset !== chosen.target!.bitOffset) {
      throw new CoreError(
        `${local.kind} of ${formatSpec(local)} is ambiguous: [${chosen.target!.rootTypeId}] puts it at bit ${chosen.target!.bitOffset}, [${id}] at bit ${spec.bitOffset}`,
      );
    } else if (values.next !== chosen.values.next || values.poison !== chosen.values.poison) {
      throw new CoreError(
        `${local.kind} of ${formatSpec(local)} is ambiguous: [${chosen.target!.rootTypeId}] gives ${chosen.values.next}, [${id}] gives ${values.next}`,
      );
    }
  }
  return chosen ?? { values: calcValues(local, undefined), target: undefined };
}

function kindOf(relo: CoreRelo): CoreReloKindName {
  if (typeof relo.kind === 'number') throw new CoreError(`unknown CO-RE relocation kind ${relo.kind}`);
  return relo.kind;
}

/**
 * Applies the CO-RE relocations of `ext` that fall inside the program (its `origins`)
 * against `targetBtf` (usually the kernel's), as libbpf does: finds the local type's
 * candidates in the target by essential name, matches the access path, and rewrites
 * each instruction's immediate or offset. A relocation no candidate satisfies
 * poisons its instruction (a call of helper 0xbad2310) unless it asks whether
 * something exists; the verifier then rejects it if it is reachable.
 * @param localBtf the object's `.BTF`, which `ext` refers to
 * @throws CoreError for corrupt records, instructions that do not hold the value the
 *   compiler recorded, ambiguous candidates, and (with `strict`) unsatisfiable relocations
 */
export function applyCoreRelocations(
  program: ProgramSpec,
  ext: BtfExt,
  localBtf: Btf,
  targetBtf: Btf,
  options: CoreOptions = {},
): CoreRelocationOutcome {
  const instructions = new Uint8Array(program.instructions);
  const view = new DataView(instructions.buffer, instructions.byteOffset, instructions.byteLength);
  const results: CoreRelocationResult[] = [];
  const candidates = new Map<number, number[]>();
  for (const sec of ext.coreRelos) {
    const origins = program.origins.filter((o) => o.section === sec.section);
    if (origins.length === 0) continue;
    for (const relo of sec.records) {
      if (relo.insnOff % INSN_SIZE !== 0)
        throw new CoreError(`${sec.section}: CO-RE record at byte ${relo.insnOff} is not on an instruction`);
      const at = relo.insnOff / INSN_SIZE;
      const origin = origins.find((o) => at >= o.sectionStart && at < o.sectionEnd);
      if (!origin) continue;
      const insn = origin.start + at - origin.sectionStart;
      const kind = kindOf(relo);
      const where = `${program.name}: insn ${insn} (${sec.section}+${relo.insnOff})`;
      try {
        const local = parseSpec(localBtf, relo.typeId, relo.accessString, kind);
        const localType = localBtf.type(relo.typeId);
        let cands = candidates.get(relo.typeId);
        if (!cands && kind !== 'type_id_local') {
          if (!localType.name)
            throw new CoreError(
              `${kind} on an anonymous ${localType.kind} [${relo.typeId}] is not supported`,
            );
          cands = candidateIds(targetBtf, localType.name, localType.kind);
          candidates.set(relo.typeId, cands);
        }
        const { values, target } = resolve(local, targetBtf, cands ?? []);
        const access = formatSpec(local);
        if (values.poison && options.strict)
          throw new CoreError(`${kind} of ${access} (${relo.accessString}): ${values.poison}`);
        const patched = patchInstruction(view, insn, values);
        results.push({
          insn,
          section: sec.section,
          insnOff: relo.insnOff,
          kind,
          localTypeId: relo.typeId,
          localTypeName: typeLabel(localBtf, relo.typeId),
          accessString: relo.accessString,
          access,
          targetTypeId: target ? target.rootTypeId : kind === 'type_id_local' ? relo.typeId : 'not found',
          targetAccess: target ? formatSpec(target) : undefined,
          oldValue: patched.old,
          newValue: patched.new,
          poisoned: patched.poisoned,
        });
      } catch (e) {
        if (e instanceof CoreError || e instanceof BtfError) throw new CoreError(`${where}: ${e.message}`);
        throw e;
      }
    }
  }
  results.sort((a, b) => a.insn - b.insn);
  return { instructions, results };
}
