import { BpfProgType } from '@ts-ebpf/syscall';
import { planSectionAttach, type SectionAttach } from './attach.js';
import type { AttachTargets } from './attach-targets.js';
import type { CollectionSpec, ProgramSpec } from './collection-spec.js';
import { NameNotFoundError, SectionAttachError } from './errors.js';
import type { UsdtTarget } from './usdt/attach.js';
import { checkUsdtMaps, isUsdtProgram } from './usdt/spec-map.js';

// What Collection.attach does for each program it attaches, decided and checked for all of them
// before the first is attached; script.fromObject of @ts-ebpf/macros runs the same check before
// it loads anything.

/** How `Collection.attach` attaches one program: checked, not yet done. @internal */
export type AttachStep =
  /** By its section: the attach, checked. */
  | { readonly how: 'section'; readonly attach: SectionAttach }
  /** A `usdt/<binary>:<provider>:<name>` section: the probe it names. */
  | { readonly how: 'usdt'; readonly target: UsdtTarget }
  /** A struct_ops program: registered with the struct_ops maps that hold it. */
  | { readonly how: 'struct_ops' };

/**
 * @internal How `Collection.attach` attaches `spec`'s program with `targets`, checked as far as
 * it can be before the kernel is asked.
 * @throws SectionAttachError, AttachOptionsError … naming the program and its section
 */
export function attachStep(spec: ProgramSpec, targets: AttachTargets): AttachStep {
  if (spec.sectionDef.progType === BpfProgType.STRUCT_OPS) return { how: 'struct_ops' };
  if (isUsdtProgram(spec)) return { how: 'usdt', target: usdtTargetOf(spec) };
  return { how: 'section', attach: planSectionAttach(spec, targets) };
}

/**
 * Checks, with no kernel object made, what `Collection.attach(targets, names)` checks before it
 * attaches anything: each named program's section has an attach convention and a target it can
 * read, the options it needs from `targets` are given and of the right kind (an `xdp` program's
 * `interface`, a `cgroup/…` program's `cgroup` …), the functions a `kprobe.multi` or
 * `uprobe.multi` glob names exist, a `usdt` section names a probe and the object's
 * `__bpf_usdt_specs` map holds `struct __bpf_usdt_spec` values, and the section's attach function
 * takes the program's type and expected attach type (changed with `setType`: `ATTACH_KINDS` of
 * `@ts-ebpf/programs`). What only the attach itself
 * can find (an interface or tracepoint that does not exist, a kernel's refusal) is not checked.
 * `script.fromObject` of `@ts-ebpf/macros` runs it before loading the object.
 * @param names - the programs to be attached by section (their function names)
 * @throws NameNotFoundError for a name the object has no program of
 * @throws SectionAttachError, AttachOptionsError … as `Collection.attach` would, naming the first
 * program that cannot be attached and its section
 * @throws UsdtAttachError for a `__bpf_usdt_specs` map of another value size, as `loadCollection` would
 */
export function checkSectionAttach(
  spec: CollectionSpec,
  names: readonly string[],
  targets: AttachTargets = {},
): void {
  const programs: ProgramSpec[] = [];
  for (const name of names) {
    const program = spec.programs.get(name);
    if (!program) throw new NameNotFoundError('program', name, [...spec.programs.keys()], 'the object');
    attachStep(program, targets);
    programs.push(program);
  }
  checkUsdtMaps(programs, (map) => spec.adjust.definition(map));
}

/**
 * The probe a `usdt/<binary>:<provider>:<name>` section names (the binary may hold colons:
 * provider and name are the last two fields).
 */
function usdtTargetOf(spec: ProgramSpec): UsdtTarget {
  const t = spec.sectionDef.target;
  const parts = t?.split(':') ?? [];
  if (parts.length < 3 || parts.some((p) => p === ''))
    throw new SectionAttachError(
      spec.name,
      spec.section,
      t
        ? `cannot read '${t}' as <binary>:<provider>:<name>`
        : 'the section name does not say the probe (usdt/<binary>:<provider>:<name>): attach with collection.attachUsdt()',
    );
  const name = parts.pop()!;
  const provider = parts.pop()!;
  return { binary: parts.join(':'), provider, name };
}
