import type { DslPlugin, Fragment, PluginProgram } from '@ts-ebpf/dsl';
import type { BpfMap } from '@ts-ebpf/maps';
import {
  CGROUP_ATTACH_MODES,
  type IterLink,
  type Link,
  type ProgramLoadOptions,
  TC_DIRECTIONS,
  XDP_MODES,
  XDP_VIAS,
} from '@ts-ebpf/programs';
import { BpfArgumentError, checkObjectName } from '@ts-ebpf/syscall';
import { checkAttachKind } from './attach-kind-check.js';
import type { AttachKind, AttachSpec } from './attach-spec.js';
import { type AnyMapDefinition, isMapDefinition, type MapDefinition } from './define-map.js';
import { DefinitionError } from './errors.js';

/** Map definitions by the name a script gives them. */
export type MapDefinitions = Readonly<Record<string, AnyMapDefinition>>;

/** The maps a script created from `M`, typed by their definitions' codecs. */
export type ScriptMaps<M extends MapDefinitions> = {
  readonly [N in keyof M]: M[N] extends MapDefinition<infer K, infer V> ? BpfMap<K, V> : never;
};

/**
 * What `build` returns: dsl instructions (a `Fragment`), encoded bytes, or a program a
 * `@ts-ebpf/dsl` plugin section built (`pluginSection(plugin, section).build(...)`).
 */
export type ProgramBody = Fragment | Uint8Array | PluginProgram;

/** Load options a definition may add (everything `Program.load` takes but what the definition sets itself). */
export type ExtraLoadOptions = Omit<
  ProgramLoadOptions,
  | 'type'
  | 'instructions'
  | 'name'
  | 'license'
  | 'expectedAttachType'
  | 'attachTo'
  | 'maps'
  | 'plugin'
  | 'section'
>;

/** What {@link defineProgram} takes. */
export interface ProgramDefinitionOptions<
  M extends MapDefinitions,
  A extends AttachSpec<keyof M & string> | undefined,
> {
  /** The kernel's name of the program (at most 15 of `[A-Za-z0-9_.]`); default the script's name for it. */
  readonly name?: string;
  /**
   * The maps the program uses, by the name the script gives them: the script creates each
   * (unless its own `maps` has the same definition under that name) and `build` gets them.
   */
  readonly maps?: M;
  /** A `@ts-ebpf/dsl` plugin: `build` returns the body and the plugin section builds the program … */
  readonly plugin?: DslPlugin;
  /** … for this section of the plugin (`'xdp'`, `'tc/ingress'` …). */
  readonly section?: string;
  /** Or: the program type (`BpfProgType.*`), for instructions or bytes from `build`. */
  readonly type?: number;
  /** With `type`: the expected attach type (`BpfAttachType.*`). */
  readonly expectedAttachType?: number;
  /** A kernel BTF name the program is loaded against (tp_btf, fentry, lsm, iter, struct_ops `'type.member'`). */
  readonly attachTo?: string;
  /** Default `'GPL'`. */
  readonly license?: string;
  /** More `Program.load` options (sleepable, log level, BTF …). */
  readonly load?: ExtraLoadOptions;
  /**
   * Builds the program from the maps the script created (`maps.counts.fd` for an `ld_imm64`
   * map load; dsl `ldMapFd(R1, 'counts')` by name works too, for any map of the script).
   */
  readonly build: (maps: ScriptMaps<M>) => ProgramBody;
  /** Where the script attaches the program (none: loaded only; a script may give one). */
  readonly attach?: A;
}

const BRAND: unique symbol = Symbol('@ts-ebpf/macros:ProgramDefinition') as never;

/** A checked program declaration made by {@link defineProgram}. */
export interface ProgramDefinition<
  M extends MapDefinitions = MapDefinitions,
  A extends AttachSpec<keyof M & string> | undefined = AttachSpec<keyof M & string> | undefined,
> extends ProgramDefinitionOptions<M, A> {
  /** Marks a definition made by {@link defineProgram}. */
  readonly [BRAND]: true;
  /** The maps it uses (empty when none were given). */
  readonly maps: M;
}

/** Any program definition. */
// biome-ignore lint/suspicious/noExplicitAny: definitions differ in their maps and attach; any keeps variance out of the way
export type AnyProgramDefinition = ProgramDefinition<any, any>;

/** The link a script hands back for a program attached as `A` (`IterLink` for iterators). */
export type LinkFor<A> = A extends { readonly kind: 'iter' }
  ? IterLink
  : A extends AttachSpec
    ? Link
    : Link | undefined;

/** True when `value` was made by {@link defineProgram}. */
export function isProgramDefinition(value: unknown): value is AnyProgramDefinition {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** Every attach kind, with the options each one needs. */
const REQUIRED: Readonly<Record<AttachKind, readonly string[]>> = {
  xdp: ['interface'],
  tcx: ['interface', 'direction'],
  tc: ['interface', 'direction'],
  kprobe: ['symbol'],
  kretprobe: ['symbol'],
  tracepoint: ['category', 'name'],
  raw_tp: ['name'],
  tp_btf: [],
  fentry: [],
  fexit: [],
  fmod_ret: [],
  lsm: [],
  uprobe: ['binary'],
  uretprobe: ['binary'],
  usdt: ['binary', 'provider', 'name'],
  cgroup: ['cgroup'],
  sk_lookup: [],
  flow_dissector: [],
  netfilter: ['hook'],
  sockmap: ['map'],
  perf_event: [],
  iter: [],
};

/** The options of an attach kind that take one of a few values, with those values. */
const CHOICES: Partial<Record<AttachKind, Readonly<Record<string, readonly string[]>>>> = {
  xdp: { mode: XDP_MODES, via: XDP_VIAS },
  tcx: { direction: TC_DIRECTIONS },
  tc: { direction: TC_DIRECTIONS },
  cgroup: { mode: CGROUP_ATTACH_MODES },
};

/** The attach kinds that attach where the program was loaded against (its `attachTo`). */
const LOADED_AGAINST: ReadonlySet<AttachKind> = new Set(['tp_btf', 'fentry', 'fexit', 'fmod_ret', 'lsm']);

/**
 * Refuses a tp_btf, fentry, fexit, fmod_ret or lsm attach of a program that names no target to be
 * loaded against (`attachTo`, a `load.attachBtfId`, or a plugin section that sets one).
 * @throws DefinitionError naming `subject` and `attachTo`
 */
export function checkLoadedAgainst(
  subject: string,
  program: Pick<ProgramDefinitionOptions<MapDefinitions, undefined>, 'attachTo' | 'load' | 'plugin'>,
  spec: AttachSpec,
): void {
  if (!LOADED_AGAINST.has(spec.kind)) return;
  if (
    program.attachTo !== undefined ||
    program.load?.attachBtfId !== undefined ||
    program.plugin !== undefined
  )
    return;
  throw new DefinitionError(
    subject,
    'attachTo',
    `is missing: a ${spec.kind} attach attaches where the program was loaded against; give the program attachTo (the kernel function or tracepoint it traces)`,
  );
}

/**
 * Checks an attach spec: a known kind, the options it needs, and map names among `maps`.
 * @throws DefinitionError naming `subject` and the option
 */
export function checkAttach(subject: string, spec: AttachSpec, maps: readonly string[]): void {
  if (typeof spec !== 'object' || spec === null)
    throw new DefinitionError(subject, 'attach', 'is not an object');
  const needs = REQUIRED[spec.kind as AttachKind];
  if (!needs)
    throw new DefinitionError(
      subject,
      'attach.kind',
      `'${String(spec.kind)}' is not an attach kind (${Object.keys(REQUIRED).join(', ')})`,
    );
  for (const field of needs) {
    if ((spec as unknown as Record<string, unknown>)[field] === undefined)
      throw new DefinitionError(
        subject,
        `attach.${field}`,
        `is missing: attach kind '${spec.kind}' needs it`,
      );
  }
  if (spec.kind === 'uprobe' || spec.kind === 'uretprobe') {
    if (spec.symbol === undefined && spec.offset === undefined)
      throw new DefinitionError(
        subject,
        'attach.symbol',
        `is missing: a ${spec.kind} needs a symbol or an offset`,
      );
  }
  for (const [option, choices] of Object.entries(CHOICES[spec.kind] ?? {})) {
    const value = (spec as unknown as Record<string, unknown>)[option];
    if (value !== undefined && !choices.includes(value as string))
      throw new DefinitionError(
        subject,
        `attach.${option}`,
        `${JSON.stringify(value) ?? String(value)} is not one of ${choices.map((c) => `'${c}'`).join(', ')}`,
      );
  }
  const map = spec.kind === 'sockmap' || spec.kind === 'iter' ? spec.map : undefined;
  if (map !== undefined && !maps.includes(map))
    throw new DefinitionError(
      subject,
      'attach.map',
      `'${map}' is not a map of ${subject.startsWith('program') ? 'the program' : 'the script'} (maps: ${maps.join(', ') || 'none'})`,
    );
}

/** Refuses a kernel object name the kernel would refuse. */
export function checkName(subject: string, name: string): void {
  try {
    checkObjectName(name, 'name');
  } catch (e) {
    if (e instanceof BpfArgumentError) throw new DefinitionError(subject, 'name', e.message, { cause: e });
    throw e;
  }
}

/**
 * Declares a program with the maps it uses and where it attaches, to be loaded by
 * {@link script}. Give `plugin` and `section` (a dsl plugin builds the program from `build`'s
 * body), or `type` (`build` returns instructions or bytes), or neither (`build` returns a
 * plugin-built program).
 * @throws DefinitionError naming the program and the option: `plugin` without `section` (or the
 * reverse), both `plugin` and `type`, a `section` the plugin lacks, a map that is not a
 * {@link defineMap} definition, a bad attach spec (unknown kind, missing option, a map name the
 * program does not declare, a kind whose attach function does not take the program's `type` or
 * plugin section, as `ATTACH_KINDS` of `@ts-ebpf/programs` says)
 */
export function defineProgram<
  const M extends MapDefinitions = Record<never, never>,
  const A extends AttachSpec<keyof M & string> | undefined = undefined,
>(o: ProgramDefinitionOptions<M, A>): ProgramDefinition<M, A> {
  const subject = `program${o.name ? ` '${o.name}'` : ''}`;
  const fail = (field: string, why: string): never => {
    throw new DefinitionError(subject, field, why);
  };
  if (typeof o.build !== 'function') fail('build', 'is not a function');
  if (o.name !== undefined) checkName(subject, o.name);
  if (o.plugin !== undefined && o.type !== undefined)
    fail('type', `is given with plugin '${o.plugin.name}': the plugin's section sets the type`);
  if ((o.plugin === undefined) !== (o.section === undefined))
    fail(o.plugin ? 'section' : 'plugin', 'is missing: give plugin and section together');
  if (o.plugin && o.section !== undefined && !o.plugin.sections.includes(o.section))
    fail(
      'section',
      `'${o.section}' is not a section of plugin '${o.plugin.name}' (${o.plugin.sections.join(', ')})`,
    );
  if (o.expectedAttachType !== undefined && o.type === undefined)
    fail('expectedAttachType', 'is given without type');
  const maps = (o.maps ?? {}) as M;
  for (const [name, def] of Object.entries(maps)) {
    if (!isMapDefinition(def)) fail(`maps.${name}`, 'is not a map definition (make it with defineMap)');
  }
  if (o.attach !== undefined) {
    checkAttach(subject, o.attach, Object.keys(maps));
    checkLoadedAgainst(subject, o, o.attach);
    checkAttachKind(subject, o, o.attach);
  }
  return Object.freeze({ ...o, maps: Object.freeze({ ...maps }) as M, [BRAND]: true as const });
}
