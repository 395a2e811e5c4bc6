import {
  type AttachTargets,
  type Collection,
  type CollectionOptions,
  loadCollection,
  NameNotFoundError,
  type RawMap,
} from '@ts-ebpf/elf';
import { BpfMap, type Codec } from '@ts-ebpf/maps';
import { BpfProgType, type Link, type Program, type StructOpsLink } from '@ts-ebpf/programs';
import { dupFd } from '@ts-ebpf/syscall';
import { attachProgram } from './attach.js';
import type { AttachSpec } from './attach-spec.js';
import { checkAttach } from './define-program.js';
import { DefinitionError, ScriptError } from './errors.js';
import { Teardown } from './teardown.js';

/** What {@link scriptFromObject} (`script.fromObject`) takes, beside `loadCollection`'s options. */
export interface ObjectScriptOptions extends CollectionOptions {
  /**
   * Per program (by function name): an attach spec (maps named as the object names them),
   * `'section'` (attach the way its section name says), or `false` (load only). Programs not
   * named here follow `autoAttach`.
   */
  readonly attach?: Readonly<Record<string, AttachSpec | 'section' | false>>;
  /** Attach every program not named in `attach` by its section name (default true), as a libbpf skeleton does. */
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
   * same map, closed with the script.
   * @throws NameNotFoundError naming the maps there are
   * @throws CodecError when a codec's size is not the map's
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
 * The {@link script} lifecycle over a clang-compiled object: `loadCollection` (maps, CO-RE,
 * programs), then each program attached by its section name or by the spec given for it in
 * `attach`, then the object's struct_ops registered (by `collection.attach`, when its programs
 * are attached by section). On a failure everything made so far is closed in reverse order and
 * a {@link ScriptError} is thrown (its `cause` the failure).
 * @throws DefinitionError for an `attach` entry naming no program of the object, or a bad spec
 * @throws ScriptError when loading or attaching fails
 */
export function scriptFromObject(bytes: Uint8Array, options: ObjectScriptOptions = {}): ObjectScript {
  const { attach = {}, autoAttach = true, targets = {}, ...load } = options;
  const teardown = new Teardown();
  let collection: Collection;
  try {
    collection = loadCollection(bytes, load);
  } catch (e) {
    throw new ScriptError('load object', e);
  }
  teardown.push(() => collection.close());
  const links: Record<string, Link> = {};
  const structOps: Record<string, StructOpsLink> = {};
  let step = '';
  try {
    const programs = [...collection.programs.keys()];
    const mapNames = [...collection.maps.keys()];
    for (const [name, spec] of Object.entries(attach)) {
      if (!collection.programs.has(name))
        throw new DefinitionError(
          'script.fromObject',
          `attach.${name}`,
          `names no program of the object (${programs.join(', ') || 'none'})`,
          { cause: new NameNotFoundError('program', name, programs, 'the object') },
        );
      if (typeof spec === 'object')
        checkAttach(`script.fromObject attach of program '${name}'`, spec, mapNames);
    }
    const registerOps = new Set<string>();
    for (const name of programs) {
      const spec = Object.hasOwn(attach, name) ? attach[name] : autoAttach ? 'section' : false;
      if (spec === false || spec === undefined) continue;
      step = `attach program '${name}' (${spec === 'section' ? `section ${collection.spec.programs.get(name)?.section}` : spec.kind})`;
      if (spec === 'section') {
        if (collection.programs.get(name)!.type === BpfProgType.STRUCT_OPS) {
          registerOps.add(name);
          continue;
        }
        // Collection-made links are closed with the collection.
        const made = collection.attach(targets, [name]);
        if (made[0]) links[name] = made[0];
      } else {
        const link = attachProgram(
          collection.program(name),
          spec,
          (m) => collection.map(m) as BpfMap<unknown, unknown>,
        );
        teardown.push(() => link.close());
        links[name] = link;
      }
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
    throw new ScriptError(step || 'check attach', e, teardown.run(true));
  }
  return new ObjectScript(collection, links, structOps, teardown);
}
