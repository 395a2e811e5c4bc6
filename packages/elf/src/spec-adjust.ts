import { Btf } from '@ts-ebpf/btf';
import type { ElfFile } from '@ts-ebpf/elf-reader';
import { type BtfMapSpec, parseBtfMaps } from './btf-maps.js';
import type { DataSectionSpec, LegacyMapSpec, ProgramSpec } from './collection-spec.js';
import { NameNotFoundError } from './errors.js';
import { checkMapDefinition, MapEdit } from './map-edit.js';
import { checkProgramDefinition, ProgramEdit } from './program-edit.js';

/** The parts of a collection spec that edits read and change. */
export interface AdjustableParts {
  elf: ElfFile;
  programs: Map<string, ProgramSpec>;
  legacyMaps: Map<string, LegacyMapSpec>;
  dataSections: Map<string, DataSectionSpec>;
  btf: Uint8Array | undefined;
}

/**
 * The open → adjust → load step of a collection spec (`spec.adjust`): changes to its maps and
 * programs before `loadCollection(spec)`, like libbpf's `bpf_map__set_*` and
 * `bpf_program__set_*` between `bpf_object__open` and `bpf_object__load`. Every setter checks
 * its value before anything reaches the kernel. Edits change the spec (its own copies, never
 * the bytes it was read from) and apply to every later load of it.
 */
export class SpecAdjuster {
  readonly #parts: AdjustableParts;
  #btf: Btf | undefined;
  #btfMaps: Map<string, BtfMapSpec> | undefined;
  readonly #editedMaps = new Set<string>();
  readonly #editedPrograms = new Set<string>();

  /** @internal */
  constructor(parts: AdjustableParts) {
    this.#parts = parts;
  }

  /** The object's BTF, parsed once (undefined without `.BTF`). */
  #objectBtf(): Btf | undefined {
    if (this.#parts.btf && !this.#btf) this.#btf = Btf.parse(this.#parts.btf);
    return this.#btf;
  }

  /**
   * The BTF-defined maps of the object, parsed once from `btf` (the object's BTF) and holding
   * the edits made here. Used by `loadCollection`.
   */
  btfMaps(btf: Btf): Map<string, BtfMapSpec> {
    this.#btf ??= btf;
    this.#btfMaps ??= parseBtfMaps(this.#parts.elf, this.#btf);
    return this.#btfMaps;
  }

  /**
   * The definition of the BTF-defined or legacy map called `name` as it will be loaded (with the
   * edits made here), or undefined when the object has no such map. @internal
   */
  definition(name: string): BtfMapSpec | LegacyMapSpec | undefined {
    const btf = this.#objectBtf();
    return (btf ? this.btfMaps(btf).get(name) : undefined) ?? this.#parts.legacyMaps.get(name);
  }

  /**
   * The map called `name` (BTF-defined, legacy, or a data section such as `.data.buf`), to change.
   * @throws NameNotFoundError naming the maps there are
   */
  map(name: string): MapEdit {
    const btf = this.#objectBtf();
    const btfMaps = btf ? this.btfMaps(btf) : new Map<string, BtfMapSpec>();
    const definition = btfMaps.get(name) ?? this.#parts.legacyMaps.get(name);
    if (definition) {
      this.#editedMaps.add(name);
      return new MapEdit(name, { definition }, btf);
    }
    if (this.#parts.dataSections.has(name))
      return new MapEdit(name, { dataSections: this.#parts.dataSections }, btf);
    const names = [...btfMaps.keys(), ...this.#parts.legacyMaps.keys(), ...this.#parts.dataSections.keys()];
    throw new NameNotFoundError('map', name, names);
  }

  /**
   * The program called `name`, to change.
   * @throws NameNotFoundError naming the programs there are
   */
  program(name: string): ProgramEdit {
    const prog = this.#parts.programs.get(name);
    if (!prog) throw new NameNotFoundError('program', name, [...this.#parts.programs.keys()]);
    this.#editedPrograms.add(name);
    return new ProgramEdit(prog);
  }

  /**
   * Checks every map and program edited here (and each program whose spec object was changed
   * directly) as a whole, before the kernel is asked. Called by `loadCollection`, with the
   * object's BTF it parsed (used here, unless this spec has parsed it already).
   * @throws SpecEditError naming the map or program
   */
  check(objectBtf?: Btf): void {
    this.#btf ??= objectBtf;
    const btf = this.#objectBtf();
    for (const name of this.#editedMaps) {
      const def = this.definition(name);
      if (def) checkMapDefinition(def, btf);
    }
    for (const prog of this.#parts.programs.values()) checkProgramDefinition(prog);
  }
}
