import {
  type AttachTargets,
  type Collection,
  type CollectionOptions,
  type CollectionSpec,
  loadCollection,
  loadCollectionSpec,
  type RawMap,
} from '@ts-ebpf/elf';
import { BpfMap, type Codec } from '@ts-ebpf/maps';
import { BpfProgType, type Link, type Program, type StructOpsLink } from '@ts-ebpf/programs';
import { dupFd } from '@ts-ebpf/syscall';
import { attachProgram } from './attach.js';
import type { AttachSpec } from './attach-spec.js';
import { ScriptError } from './errors.js';
import {
  attachOf,
  attachStepName,
  checkObjectAttach,
  checkSectionTargets,
  type ObjectAttach,
} from './from-object-check.js';
import { Teardown } from './teardown.js';

/** What {@link scriptFromObject} (`script.fromObject`) takes, beside `loadCollection`'s options. */
export interface ObjectScriptOptions extends CollectionOptions {
  /**
   * Per program (by function name): an attach spec (maps named as the object names them; a
   * `usdt` spec needs the maps of libbpf's `usdt.bpf.h`), `'section'` (attach the way its
   * section name says), or `false` (load only). Programs not named here (or named with
   * `undefined`) follow `autoAttach`. Checked against the object before anything is made.
   */
  readonly attach?: Readonly<Record<string, ObjectAttach | undefined>>;
  /**
   * Attach every program not named in `attach` by its section name (default true). Unlike a
   * libbpf skeleton, which passes over a program whose section has no attach convention or
   * lacks its target (`SEC("socket")`, `SEC("syscall")`, `SEC("xdp")` without
   * `targets.interface` …), such a program fails the script (a {@link ScriptError} whose
   * `cause` is a `SectionAttachError` or `AttachOptionsError`), before the object is loaded
   * (`checkSectionAttach` of `@ts-ebpf/elf`, the check `Collection.attach` makes): name it
   * `attach: { name: false }` to load it only.
   */
  readonly autoAttach?: boolean;
  /** What section-attached programs need: the interface of `xdp`, the cgroup of `cgroup/…` … */
  readonly targets?: AttachTargets;
}

/**
 * A clang object's maps and programs, loaded and attached by {@link scriptFromObject}.
 * `close()` (idempotent; `using`) detaches and closes everything in reverse order.
 */
export class ObjectScript implements Disposable {
  /** The loaded object (maps, programs, global variables, struct_ops). */
  readonly collection: Collection;
  /** The loaded programs by function name. */
  readonly programs: Readonly<Record<string, Program>>;
  /** The links by program name. */
  readonly links: Readonly<Record<string, Link>>;
  /** The registered struct_ops by their map's name. */
  readonly structOps: Readonly<Record<string, StructOpsLink>>;
  readonly #teardown: Teardown;
  #closed = false;

  /** @internal made by {@link scriptFromObject} */
  constructor(
    collection: Collection,
    links: Record<string, Link>,
    structOps: Record<string, StructOpsLink>,
    teardown: Teardown,
  ) {
    this.collection = collection;
    this.programs = Object.freeze(Object.fromEntries(collection.programs));
    this.links = Object.freeze(links);
    this.structOps = Object.freeze(structOps);
    this.#teardown = teardown;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The object's map `name`, untyped (bytes in, bytes out). @throws NameNotFoundError naming the maps there are */
  rawMap(name: string): RawMap {
    return this.collection.map(name);
  }

  /**
   * The object's map `name` with codecs, so keys and values are typed: a second handle to the
   * same map, closed with the script. A per-CPU map takes a `perCpu(...)` value codec (one value
   * per possible CPU), as `BpfMap.create` does.
   * @throws NameNotFoundError naming the maps there are
   * @throws CodecError naming the map when a codec's size is not the map's, or a per-CPU map is
   * given a plain value codec
   */
  map<K, V>(name: string, codecs: { readonly key?: Codec<K>; readonly value?: Codec<V> }): BpfMap<K, V> {
    const raw = this.collection.map(name);
    const map = BpfMap.fromFd<K, V>(dupFd(raw.fd), codecs);
    this.#teardown.push(() => map.close());
    return map;
  }

  /**
   * Detaches, then closes every program and map, last created first.
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

/**
 * The {@link script} lifecycle over a clang-compiled object: the object parsed, every `attach`
 * entry checked against it and every section attach checked for its targets (as
 * `Collection.attach` checks them: `checkSectionAttach` of `@ts-ebpf/elf`), then `loadCollection`
 * (maps, CO-RE, programs), then each program
 * attached by its section name or by the spec given for it in `attach` (a `usdt` spec through
 * the object's `usdt.bpf.h` maps, its argument specs filled), then the object's struct_ops
 * registered (when a program of theirs is attached by section). On a failure everything made so
 * far is closed in reverse order, the pins the load made are removed, and a {@link ScriptError}
 * is thrown (its `cause` the failure).
 * @throws DefinitionError, before anything is made, for an `attach` entry naming no program the
 * load loads, or with a value that is no attach spec, `'section'` nor `false`, or a bad spec
 * @throws ScriptError when reading, loading or attaching fails; for a section attach that lacks a
 * target or has no attach convention, before anything is loaded
 */
export function scriptFromObject(bytes: Uint8Array, options: ObjectScriptOptions = {}): ObjectScript {
  const { attach = {}, autoAttach = true, targets = {}, ...load } = options;
  let spec: CollectionSpec;
  try {
    spec = loadCollectionSpec(bytes, load);
  } catch (e) {
    throw new ScriptError('load object', e);
  }
  checkObjectAttach(spec, attach, load);
  checkSectionTargets(spec, attach, autoAttach, targets, load);
  let collection: Collection;
  try {
    collection = loadCollection(spec, load);
  } catch (e) {
    throw new ScriptError('load object', e);
  }
  const teardown = new Teardown();
  // The pins the load made outlive a script that was made, as pins do; not one that failed.
  teardown.pushOnFailure(() => collection.removeCreatedPins());
  teardown.push(() => collection.close());
  const links: Record<string, Link> = {};
  const structOps: Record<string, StructOpsLink> = {};
  let step = '';
  try {
    const registerOps = new Set<string>();
    for (const [name, program] of collection.programs) {
      const how = attachOf(name, attach, autoAttach);
      if (how === false) continue;
      step = attachStepName(collection.spec, name, how);
      if (how === 'section' && program.type === BpfProgType.STRUCT_OPS) {
        registerOps.add(name);
        continue;
      }
      const link = attachOne(collection, name, how, targets);
      // Each link closed by itself, in reverse order of creation (a collection-made one too).
      teardown.push(() => link.close());
      links[name] = link;
    }
    // A struct_ops map is registered once, when a program it holds is attached by section.
    for (const [mapName, ops] of collection.structOps) {
      const members = [...(collection.spec.structOps.get(mapName)?.programs.values() ?? [])];
      if (!members.some((p) => registerOps.has(p))) continue;
      step = `register struct_ops '${mapName}'`;
      const link = ops.register();
      teardown.push(() => link.close());
      structOps[mapName] = link;
    }
  } catch (e) {
    throw new ScriptError(step, e, teardown.run(true));
  }
  return new ObjectScript(collection, links, structOps, teardown);
}

/**
 * Attaches program `name` of `collection` by its section (with `targets`), or by `spec`: a
 * `usdt` spec through the collection, which writes the probe's argument specs into its
 * `usdt.bpf.h` maps.
 */
function attachOne(
  collection: Collection,
  name: string,
  spec: AttachSpec | 'section',
  targets: AttachTargets,
): Link {
  if (spec === 'section') return collection.attach(targets, [name])[0]!;
  if (spec.kind === 'usdt') {
    const { kind: _kind, ...target } = spec;
    return collection.attachUsdt(name, target);
  }
  return attachProgram(collection.program(name), spec, (m) => collection.map(m) as BpfMap<unknown, unknown>);
}
