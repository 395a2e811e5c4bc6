import { program as flatten, type PluginProgram, pluginSection } from '@ts-ebpf/dsl';
import { BpfMap } from '@ts-ebpf/maps';
import {
  attachStructOps,
  type Link,
  Program,
  type ProgramLoadOptions,
  type StructOpsField,
  type StructOpsLink,
} from '@ts-ebpf/programs';
import { pinPlace, undoPin } from '@ts-ebpf/syscall';
import { attachProgram } from './attach.js';
import { checkAttachKind } from './attach-kind-check.js';
import type { AttachSpec } from './attach-spec.js';
import { type AnyMapDefinition, isMapDefinition } from './define-map.js';
import {
  type AnyProgramDefinition,
  checkAttach,
  checkLoadedAgainst,
  checkName,
  isProgramDefinition,
  type LinkFor,
  type MapDefinitions,
  type ProgramBody,
  type ScriptMaps,
} from './define-program.js';
import { DefinitionError, ScriptError } from './errors.js';
import { scriptFromObject } from './from-object.js';
import { Teardown } from './teardown.js';

/** Program definitions by the name a script gives them. */
export type ProgramDefinitions = Readonly<Record<string, AnyProgramDefinition>>;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;

/** The maps the programs of `P` declare, merged. */
export type ProgramMaps<P extends ProgramDefinitions> =
  UnionToIntersection<{ [K in keyof P]: P[K]['maps'] }[keyof P]> extends infer I extends MapDefinitions
    ? I
    : Record<never, never>;

/** Every map of a script: its own `maps` and those its programs declare. */
export type AllMaps<M extends MapDefinitions, P extends ProgramDefinitions> = M & ProgramMaps<P>;

/** One kernel ops struct registered by a script, implemented by STRUCT_OPS programs of the script. */
export interface StructOpsRegistration<ProgramName extends string = string> {
  /** The kernel ops struct, e.g. `'tcp_congestion_ops'`. */
  readonly type: string;
  /** Member name → the script's program implementing it (loaded with `attachTo: '<type>.<member>'`). */
  readonly members: Readonly<Record<string, ProgramName>>;
  /** Data members (`name` …): numbers, strings for char arrays, or raw bytes. */
  readonly fields?: Readonly<Record<string, StructOpsField>>;
  /** Register through a bpf_link (default true) or by the map update alone. */
  readonly link?: boolean;
}

/** What {@link script} takes. */
export interface ScriptOptions<
  M extends MapDefinitions,
  P extends ProgramDefinitions,
  S extends Readonly<Record<string, StructOpsRegistration<keyof P & string>>>,
  O extends AttachOverrides<P, keyof AllMaps<M, P> & string> = AttachOverrides<
    P,
    keyof AllMaps<M, P> & string
  >,
> {
  /** Maps by name (programs add the maps they declare). */
  readonly maps?: M;
  /** Programs by name, loaded in this order after every map is created. */
  readonly programs?: P;
  /**
   * Attach specs by program name, in place of the program's own (`false`: load it, do not
   * attach). For targets known only when the script runs (an interface, a cgroup).
   */
  readonly attach?: O;
  /** Kernel ops structs to register once the programs are loaded, by a name of the script's. */
  readonly structOps?: S;
}

/** Attach specs by program name, in place of the programs' own (`false`: load, do not attach). */
export type AttachOverrides<P extends ProgramDefinitions, MapName extends string = string> = {
  readonly [K in keyof P]?: AttachSpec<MapName> | false;
};

/** The link of a program attached by its definition's spec. */
type DefinedLink<D> = D extends { readonly attach?: infer A } ? LinkFor<A> : Link | undefined;

/** The link of a program the script's `attach` gives `A` for (undefined: its definition's). */
type OverriddenLink<A, D> = [A] extends [false]
  ? undefined
  : [A] extends [undefined]
    ? DefinedLink<D>
    : LinkFor<Exclude<A, undefined>>;

/**
 * The link of each program of `P`: attached by the script's `attach` override `O` when it names
 * the program (`false`: none), else by its definition's spec.
 */
export type ScriptLinks<P extends ProgramDefinitions, O = Record<never, never>> = {
  readonly [K in keyof P]: K extends keyof O ? OverriddenLink<O[K], P[K]> : DefinedLink<P[K]>;
};

/**
 * Maps created, programs loaded and attached by {@link script}, with typed accessors.
 * `close()` (idempotent; `using`) detaches, unloads and closes everything in reverse order of
 * creation.
 */
export class Script<
  M extends MapDefinitions,
  P extends ProgramDefinitions,
  S extends Readonly<Record<string, StructOpsRegistration>>,
  O = Record<never, never>,
> implements Disposable
{
  /** The maps, typed by their definitions' codecs. */
  readonly maps: ScriptMaps<M>;
  /** The loaded programs. */
  readonly programs: { readonly [K in keyof P]: Program };
  /** The links of attached programs (a program loaded without attach has none: `undefined`). */
  readonly links: ScriptLinks<P, O>;
  /** The registered kernel ops structs. */
  readonly structOps: { readonly [K in keyof S]: StructOpsLink };
  readonly #teardown: Teardown;
  #closed = false;

  /** @internal made by {@link script} */
  constructor(
    parts: {
      maps: Record<string, BpfMap<unknown, unknown>>;
      programs: Record<string, Program>;
      links: Record<string, Link>;
      structOps: Record<string, StructOpsLink>;
    },
    teardown: Teardown,
  ) {
    this.maps = Object.freeze(parts.maps) as ScriptMaps<M>;
    this.programs = Object.freeze(parts.programs) as Script<M, P, S>['programs'];
    this.links = Object.freeze(parts.links) as ScriptLinks<P, O>;
    this.structOps = Object.freeze(parts.structOps) as Script<M, P, S>['structOps'];
    this.#teardown = teardown;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Unregisters, detaches, unloads and closes everything, last created first. Every step runs
   * even when one fails; then the first failure is thrown.
   * @throws ScriptError (step `'close'`) with the first error as `cause`, the others in `cleanupErrors`
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#teardown.close();
  }

  /** `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** The kernel name of an object: the given one, else the script's name for it cut to 15 characters. */
function kernelName(subject: string, given: string | undefined, key: string): string {
  const name = given ?? key.slice(0, 15);
  checkName(subject, name);
  return name;
}

function isPluginProgram(body: ProgramBody): body is PluginProgram {
  return (
    !(body instanceof Uint8Array) && !Array.isArray(body) && typeof body === 'object' && 'plugin' in body
  );
}

/** Everything a script will create, checked before the kernel is asked for anything. */
interface Plan {
  maps: Map<string, AnyMapDefinition>;
  programs: [string, AnyProgramDefinition, AttachSpec | undefined][];
}

function plan(
  o: ScriptOptions<MapDefinitions, ProgramDefinitions, Record<string, StructOpsRegistration>>,
): Plan {
  const maps = new Map<string, AnyMapDefinition>(Object.entries(o.maps ?? {}));
  for (const [name, def] of maps) {
    if (!isMapDefinition(def))
      throw new DefinitionError('script', `maps.${name}`, 'is not a map definition (make it with defineMap)');
  }
  const owner = new Map<string, string>([...maps.keys()].map((k) => [k, 'the script']));
  const programs = Object.entries(o.programs ?? {});
  for (const [name, def] of programs) {
    if (!isProgramDefinition(def))
      throw new DefinitionError(
        'script',
        `programs.${name}`,
        'is not a program definition (make it with defineProgram)',
      );
    for (const [mapName, mapDef] of Object.entries(def.maps as MapDefinitions)) {
      const known = maps.get(mapName);
      if (known !== undefined && known !== mapDef)
        throw new DefinitionError(
          'script',
          `maps.${mapName}`,
          `is defined by both ${owner.get(mapName)} and program '${name}' with different definitions: give one definition or another name`,
        );
      maps.set(mapName, mapDef);
      if (!owner.has(mapName)) owner.set(mapName, `program '${name}'`);
    }
  }
  const mapNames = [...maps.keys()];
  for (const [name, def] of maps) kernelName(`map '${name}'`, def.spec.name, name);
  const overrides: Readonly<Record<string, AttachSpec | false | undefined>> = o.attach ?? {};
  for (const name of Object.keys(overrides)) {
    if (!Object.hasOwn(o.programs ?? {}, name))
      throw new DefinitionError(
        'script',
        `attach.${name}`,
        `names no program of the script (${programs.map(([n]) => n).join(', ') || 'none'})`,
      );
  }
  const planned = programs.map(([name, def]): Plan['programs'][number] => {
    kernelName(`program '${name}'`, def.name, name);
    const override = overrides[name];
    if (override !== undefined && override !== false) {
      checkAttach(`script attach of program '${name}'`, override, mapNames);
      checkLoadedAgainst(`script attach of program '${name}'`, def, override);
      checkAttachKind(`script attach of program '${name}'`, { ...def, name: def.name ?? name }, override);
    }
    return [name, def, override === false ? undefined : (override ?? (def.attach as AttachSpec | undefined))];
  });
  for (const [opsName, ops] of Object.entries(o.structOps ?? {})) {
    const subject = `struct_ops '${opsName}'`;
    if (typeof ops !== 'object' || ops === null)
      throw new DefinitionError('script', `structOps.${opsName}`, 'is not an object ({ type, members })');
    if (typeof ops.type !== 'string')
      throw new DefinitionError(
        subject,
        'type',
        "is not a string (the kernel's ops struct, e.g. 'tcp_congestion_ops')",
      );
    if (typeof ops.members !== 'object' || ops.members === null)
      throw new DefinitionError(
        subject,
        'members',
        'is not an object (member name → the program implementing it)',
      );
    for (const [member, program] of Object.entries(ops.members)) {
      if (!Object.hasOwn(o.programs ?? {}, program))
        throw new DefinitionError(
          `struct_ops '${opsName}'`,
          `members.${member}`,
          `'${program}' is no program of the script`,
        );
    }
  }
  return { maps, programs: planned };
}

/** The load options of one program of the script: its `build` run, nothing loaded. */
function prepare(
  name: string,
  def: AnyProgramDefinition,
  maps: Record<string, BpfMap<unknown, unknown>>,
): ProgramLoadOptions {
  const own = Object.fromEntries(Object.keys(def.maps as MapDefinitions).map((m) => [m, maps[m]!]));
  const body = def.build(Object.freeze(own));
  if (typeof body !== 'object' || body === null)
    throw new DefinitionError(
      `program '${name}'`,
      'build',
      `returned ${body === null ? 'null' : typeof body}, not instructions, bytes or a plugin-built program`,
    );
  const common = {
    ...def.load,
    name: kernelName(`program '${name}'`, def.name, name),
    ...(def.license !== undefined && { license: def.license }),
    maps,
  };
  const attachTo = def.attachTo === undefined ? {} : { attachTo: def.attachTo };
  if (def.plugin) {
    if (isPluginProgram(body) || body instanceof Uint8Array)
      throw new DefinitionError(
        `program '${name}'`,
        'build',
        `must return the body (instructions) for plugin '${def.plugin.name}' to build`,
      );
    return { ...pluginSection(def.plugin, def.section!).build(body, attachTo), ...common };
  }
  if (isPluginProgram(body)) {
    if (def.type !== undefined)
      throw new DefinitionError(
        `program '${name}'`,
        'type',
        'is given, but build returned a plugin-built program, which has its own',
      );
    return { ...body, ...attachTo, ...common };
  }
  if (def.type === undefined)
    throw new DefinitionError(
      `program '${name}'`,
      'type',
      'is missing: build returned instructions, so the definition needs type (or plugin and section)',
    );
  return {
    type: def.type,
    instructions: body instanceof Uint8Array ? body : flatten(body),
    ...(def.expectedAttachType !== undefined && { expectedAttachType: def.expectedAttachType }),
    ...attachTo,
    ...common,
  };
}

/**
 * Creates the maps, loads the programs, attaches them and registers the struct_ops, in that
 * order, and hands back typed accessors: `s.maps.counts.get(k)` (typed by the map's codecs),
 * `s.programs.count`, `s.links.count`, `s.structOps.cc`. Synchronous, like every step under
 * it; close it with `using s = script(...)` or `s.close()`.
 *
 * Everything is checked before the kernel is asked (definitions, names, attach specs, map
 * names). When a step fails, everything created so far is closed in reverse order and a
 * {@link ScriptError} is thrown with the step's error as `cause` (a `VerifierError`,
 * `AttachError`, `ProbeUnsupportedError` …) and the cleanup's errors in `cleanupErrors`.
 * @throws DefinitionError for a script that cannot work (conflicting map definitions, a bad
 * name, an attach naming a map or program the script lacks)
 * @throws ScriptError when a step fails in the kernel
 */
export function script<
  const M extends MapDefinitions = Record<never, never>,
  const P extends ProgramDefinitions = Record<never, never>,
  const S extends Readonly<Record<string, StructOpsRegistration<keyof P & string>>> = Record<never, never>,
  const O extends AttachOverrides<P, keyof AllMaps<M, P> & string> = Record<never, never>,
>(o: ScriptOptions<M, P, S, O>): Script<AllMaps<M, P>, P, S, O> {
  const p = plan(o as never);
  const teardown = new Teardown();
  const maps: Record<string, BpfMap<unknown, unknown>> = {};
  const programs: Record<string, Program> = {};
  const links: Record<string, Link> = {};
  const structOps: Record<string, StructOpsLink> = {};
  let step = '';
  try {
    for (const [name, def] of p.maps) {
      step = `create map '${name}'`;
      const pin = def.spec.pinning && pinPlace(def.spec.pinning.path);
      const map = BpfMap.create({ ...def.spec, name: kernelName(`map '${name}'`, def.spec.name, name) });
      // A pin this script made goes when it fails, with the directories made for it.
      if (pin && !pin.taken) teardown.pushOnFailure(() => undoPin(pin));
      teardown.push(() => map.close());
      maps[name] = map;
    }
    // Every program built and its attach kind checked against the type it got before any is loaded.
    const prepared = p.programs.map(([name, def, spec]) => {
      step = `load program '${name}'`;
      const options = prepare(name, def, maps);
      if (spec) checkAttachKind(`program '${name}'`, { ...options, name: options.name ?? name }, spec);
      return options;
    });
    for (const [i, [name]] of p.programs.entries()) {
      step = `load program '${name}'`;
      const program = Program.load(prepared[i]!);
      teardown.push(() => program.close());
      programs[name] = program;
    }
    for (const [name, , spec] of p.programs) {
      if (!spec) continue;
      step = `attach program '${name}' (${spec.kind})`;
      const link = attachProgram(programs[name]!, spec, (m) => maps[m]!);
      teardown.push(() => link.close());
      links[name] = link;
    }
    for (const [name, ops] of Object.entries((o.structOps ?? {}) as Record<string, StructOpsRegistration>)) {
      step = `register struct_ops '${name}' (${ops.type})`;
      const link = attachStructOps({
        type: ops.type,
        programs: Object.fromEntries(Object.entries(ops.members).map(([m, prog]) => [m, programs[prog]!])),
        ...(ops.fields !== undefined && { fields: ops.fields }),
        ...(ops.link !== undefined && { link: ops.link }),
      });
      teardown.push(() => link.close());
      structOps[name] = link;
    }
  } catch (e) {
    throw new ScriptError(step, e, teardown.run(true));
  }
  return new Script({ maps, programs, links, structOps }, teardown);
}

/** The same lifecycle over a clang-compiled object: see {@link scriptFromObject}. */
script.fromObject = scriptFromObject;
