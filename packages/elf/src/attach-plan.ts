import { ATTACH_KINDS, AttachError, type AttachKind, requireAttachKind } from '@ts-ebpf/programs';
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
  const attach = planSectionAttach(spec, targets);
  requireSectionKind(spec);
  return { how: 'section', attach };
}

const multi = <K extends AttachKind>(kind: K, ...prefixes: string[]) =>
  prefixes.map((p) => [p, kind] as const);

/** The attach function (its kind in `ATTACH_KINDS` of `@ts-ebpf/programs`) each section prefix attaches with. */
const SECTION_KIND: ReadonlyMap<string, AttachKind> = new Map([
  ...multi('xdp', 'xdp', 'xdp.frags'),
  ...multi('tcx', 'tc', 'tcx'),
  ...multi('netkit', 'netkit'),
  ...multi('cgroup', 'cgroup', 'cgroup_skb', 'lsm_cgroup', 'sockops'),
  ...multi('netns', 'sk_lookup', 'flow_dissector'),
  ...multi('netfilter', 'netfilter'),
  ...multi('sockmap', 'sk_skb', 'sk_msg'),
  ...multi('socket_filter', 'socket'),
  ...multi('perf_event', 'perf_event'),
  ...multi('tracepoint', 'tracepoint', 'tp'),
  ...multi('raw_tracepoint', 'raw_tracepoint', 'raw_tp', 'raw_tracepoint.w', 'raw_tp.w'),
  ...multi('tp_btf', 'tp_btf'),
  ...multi('iter', 'iter', 'iter.s'),
  ...multi('tracing', 'fentry', 'fexit', 'fmod_ret', 'fentry.s', 'fexit.s', 'fmod_ret.s', 'lsm', 'lsm.s'),
  ...multi('tracing', 'fsession', 'fsession.s'),
  ...multi('kprobe', 'kprobe', 'kretprobe', 'ksyscall', 'kretsyscall'),
  ...multi('kprobe_multi', 'kprobe.multi', 'kretprobe.multi', 'kprobe.session'),
  ...multi('uprobe', 'uprobe', 'uretprobe', 'uprobe.s', 'uretprobe.s'),
  ...multi('uprobe_multi', 'uprobe.multi', 'uretprobe.multi', 'uprobe.multi.s', 'uretprobe.multi.s'),
  ...multi('uprobe_multi', 'uprobe.session', 'uprobe.session.s'),
]);

/**
 * Refuses a program whose type or expected attach type (changed with `setType`,
 * `setExpectedAttachType`) the attach function of its section does not take, before it is loaded.
 * @throws SectionAttachError naming the program, its section, the function and the types
 */
function requireSectionKind(spec: ProgramSpec): void {
  const kind = SECTION_KIND.get(spec.section.split('/')[0]!);
  if (kind === undefined) return;
  const { progType: type, expectedAttachType } = spec.sectionDef;
  const target = `${ATTACH_KINDS[kind].attachFunction}`;
  try {
    requireAttachKind(kind, { name: spec.name, type, expectedAttachType }, target);
  } catch (e) {
    if (!(e instanceof AttachError)) throw e;
    throw new SectionAttachError(
      spec.name,
      spec.section,
      `the section attaches with ${target}, which cannot attach it as loaded: ${e.message.slice(`cannot attach to ${target}: `.length)}`,
    );
  }
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
