import { ElfError } from '@ts-ebpf/elf-reader';
import { VerifierError } from '@ts-ebpf/programs';
import { type ByteOrder, closestName, EbpfError } from '@ts-ebpf/uapi';

export { ElfError } from '@ts-ebpf/elf-reader';

/**
 * A name the object or the loaded collection does not have: a map, program or global
 * variable asked for by name (`Collection.map()`, `options.programs`, `options.constants` …),
 * or a USDT probe a binary lacks (`Collection.attachUsdt()`).
 * The message lists the names there are, and the closest of them when the name asked for looks
 * like a misspelling of it (`; did you mean 'counts'?`).
 */
export class NameNotFoundError extends EbpfError {
  /** What kind of thing was asked for. */
  readonly kind: 'map' | 'program' | 'variable' | 'USDT probe';
  /** The name asked for. */
  readonly missing: string;
  /** The names of that kind there are. */
  readonly available: readonly string[];
  /** The available name closest to the one asked for, when it is near enough to be a misspelling. */
  readonly suggestion: string | undefined;
  /**
   * @param kind - map, program, variable or USDT probe
   * @param missing - the name asked for
   * @param available - the names of that kind there are
   * @param where - what was searched, for the message (default: the object)
   */
  constructor(
    kind: 'map' | 'program' | 'variable' | 'USDT probe',
    missing: string,
    available: readonly string[],
    where = 'the object',
  ) {
    const plural = kind === 'variable' ? 'variables' : `${kind}s`;
    const suggestion = closestName(missing, available);
    super(
      `no ${kind} '${missing}' in ${where} (${plural}: ${available.join(', ') || 'none'})` +
        (suggestion === undefined ? '' : `; did you mean '${suggestion}'?`),
    );
    this.kind = kind;
    this.missing = missing;
    this.available = available;
    this.suggestion = suggestion;
  }
}

/**
 * The object is not for this kernel: built for another machine (`e_machine` is not BPF: an
 * x86-64 object, say) or in the other byte order (a `clang -target bpfeb` object on a
 * little-endian host).
 */
export class ElfTargetError extends ElfError {
  /** The object's `e_machine`. */
  readonly machine: number;
  /** The object's byte order (`EI_DATA`). */
  readonly byteOrder: ByteOrder;
  /**
   * @param message - what the object is built for and what was needed
   * @param machine - the object's `e_machine`
   * @param byteOrder - the object's byte order
   * @param offset - the header field at fault (18 for `e_machine`, 5 for `EI_DATA`)
   */
  constructor(message: string, machine: number, byteOrder: ByteOrder, offset: number) {
    super(message, offset);
    this.machine = machine;
    this.byteOrder = byteOrder;
  }
}

/**
 * A program in a section whose name the loader does not recognise (no libbpf SEC()
 * convention says its program type). Rename the section, or pass
 * `skipUnknownSections: true` to load the rest (the skipped programs are then listed in
 * `CollectionSpec.skipped`).
 */
export class UnknownSectionError extends ElfError {
  /** The section's name. */
  readonly section: string;
  /** The function in it. */
  readonly program: string;
  /** @param section - the section's name; @param program - the function in it */
  constructor(section: string, program: string) {
    super(
      `program '${program}' is in section '${section}', whose program type is unknown (not a libbpf SEC() name); ` +
        'rename the section or load with skipUnknownSections',
    );
    this.section = section;
    this.program = program;
  }
}

/**
 * A global variable initialised with an address (`int *p = &counter;`, `const char *names[] =
 * {"a"}`): the object relocates a data section (`.rel.data`), which nothing can honour, since
 * BPF global data is a map value and holds no addresses. libbpf skips such relocations, so the
 * loaded variable holds 0 (the program then reads a NULL pointer, or the verifier refuses the
 * dereference of a scalar); this loader refuses the object instead. Initialise the pointer at
 * run time, or keep an index or offset in the variable.
 */
export class DataRelocationError extends ElfError {
  /** The data section (`.data`, `.rodata`, …). */
  readonly section: string;
  /** The variable holding the address, when a symbol covers the relocated bytes. */
  readonly variable: string | undefined;
  /** The symbol whose address was to be written. */
  readonly target: string;
  /**
   * @param section - the data section; @param variable - the variable relocated, when known;
   * @param target - the symbol whose address it holds; @param offset - the relocated byte in the file
   */
  constructor(section: string, variable: string | undefined, target: string, offset: number) {
    super(
      `${variable ? `variable '${variable}' in ${section}` : `section ${section}`} is initialised with the address of ` +
        `'${target}': global data holds no addresses (a map value), so it cannot be relocated; ` +
        'set the pointer at run time or keep an index instead',
      offset,
    );
    this.section = section;
    this.variable = variable;
    this.target = target;
  }
}

/**
 * The kernel refused the object's BTF (BPF_BTF_LOAD). `cause` is the system call's error;
 * `log` is the kernel's BTF log. Pass `withoutBtf: true` to load without object BTF
 * (no func_info/line_info, no BTF key/value types for maps).
 */
export class ObjectBtfError extends EbpfError {
  /** The kernel's BTF log. */
  readonly log: string | undefined;
  /** @param object - names the object; @param log - the kernel's BTF log; @param cause - the load's error */
  constructor(object: string, log: string | undefined, cause: unknown) {
    const last = log?.trim().split('\n').slice(-3).join('\n');
    super(
      `the kernel refused the BTF of ${object}: ${(cause as Error)?.message ?? cause}${last ? `\nBTF log:\n${last}` : ''}`,
      { cause },
    );
    this.log = log;
  }
}

/**
 * A map of the object the kernel would not create. Names the map and what was asked
 * (type, key and value sizes, entries, flags); `cause` is the kernel's error.
 */
export class MapCreateError extends EbpfError {
  /** The map's name in the object. */
  readonly map: string;
  /** @param map - the map's name; @param asked - what was asked, for the message; @param cause - the kernel's error */
  constructor(map: string, asked: string, cause: unknown) {
    super(`map '${map}': failed to create (${asked}): ${(cause as Error)?.message ?? cause}`, { cause });
    this.map = map;
  }
}

/** One property in which a replacement map differs from the object's definition of the map. */
export interface MapReplacementMismatch {
  /** `'type'`, `'keySize'`, `'valueSize'`, `'maxEntries'`, `'mapFlags'` or `'mapExtra'`. */
  readonly property: string;
  /** The replacement's value, as the kernel reports it. */
  readonly replacement: number | bigint | string;
  /** The value the object's definition (with its edits) asks for. */
  readonly definition: number | bigint | string;
}

/**
 * A map given to take the place of one of the object's maps (`options.mapReplacements`, or
 * `spec.adjust.map(name).reuse(map)`) that is not the map the object defines: another type, key
 * or value size, max entries, flags or map_extra, as cilium/ebpf's `MapReplacements` and libbpf's
 * `bpf_map__reuse_fd` refuse it. Thrown before any map is created or program loaded. Names the
 * map and lists every property that differs.
 */
export class MapReplacementError extends EbpfError {
  /** The map's name in the object. */
  readonly map: string;
  /** Every property that differs. */
  readonly mismatches: readonly MapReplacementMismatch[];
  /**
   * @param map - the map's name in the object
   * @param replacement - the replacement, as messages name it (`hash map 'shared' (id 12)`)
   * @param mismatches - the properties that differ
   */
  constructor(map: string, replacement: string, mismatches: readonly MapReplacementMismatch[]) {
    const what = mismatches.map((m) => `${m.property} ${m.replacement} (object: ${m.definition})`).join(', ');
    super(`map '${map}': the replacement, ${replacement}, does not match the object's definition: ${what}`);
    this.map = map;
    this.mismatches = mismatches;
  }
}

/** A kconfig extern the running kernel's config cannot satisfy (unset and not `__weak`, or a value of the wrong kind). */
export class KconfigError extends EbpfError {
  /** The extern's name (`CONFIG_…`). */
  readonly extern: string;
  /** @param extern - the extern's name; @param why - what is wrong; @param options - `cause`, when another error is why */
  constructor(extern: string, why: string, options?: ErrorOptions) {
    super(`kconfig extern ${extern}: ${why}`, options);
    this.extern = extern;
  }
}

/** A value for a global variable that does not fit it, or a write to a read-only section. */
export class VariableValueError extends EbpfError {
  /** The variable's name. */
  readonly variable: string;
  /** @param variable - the variable's name; @param why - what is wrong */
  constructor(variable: string, why: string) {
    super(`variable ${variable}: ${why}`);
    this.variable = variable;
  }
}

/**
 * The verifier rejected a program of a collection: the kernel's {@link VerifierError} (kept as
 * `cause`), with the program's full name and, when a CO-RE relocation could not be satisfied,
 * which one and why. Its `instruction` has the failing instruction's text, and when the object
 * has BTF (clang `-g`), the function its func_info places it in and the C source line its
 * line_info gives (`instruction.source`: file, line, column and the line's text).
 */
export class CollectionVerifierError extends VerifierError {
  /** Why a CO-RE relocation of the program failed, when that is what the verifier hit. */
  readonly coreFailure: string | undefined;
  /** @param error - the verifier's error; @param program - the program's name; @param coreFailure - the CO-RE explanation */
  constructor(error: VerifierError, program: string, coreFailure?: string) {
    super(error.errno, error.log, error.instruction, program);
    this.coreFailure = coreFailure;
    this.name = 'CollectionVerifierError';
    if (coreFailure) this.message = `${this.message}\nCO-RE: ${coreFailure}`;
    Object.defineProperty(this, 'cause', { value: error, writable: true, configurable: true });
  }
}

/**
 * {@link attachBySection} was not given what the program's section needs, or was given a
 * value of the wrong kind: an `xdp` program without `interface`, a `cgroup/*` program
 * without `cgroup`, a cgroup path that does not exist … Names the program, its section and
 * the option; `cause` is the error it wraps, when there is one.
 */
export class AttachOptionsError extends EbpfError {
  /** The program's name. */
  readonly program: string;
  /** The program's section. */
  readonly section: string;
  /** The attach-targets option at fault (`'interface'`, `'cgroup'` …). */
  readonly option: string;
  /**
   * @param program - the program's name
   * @param section - its section
   * @param option - the option at fault
   * @param why - what is missing or wrong
   * @param options - `cause`: the error this one wraps
   */
  constructor(program: string, section: string, option: string, why: string, options?: ErrorOptions) {
    super(`program ${program} (section ${section}): attach option '${option}': ${why}`, options);
    this.program = program;
    this.section = section;
    this.option = option;
  }
}

/**
 * A program's section says nothing {@link attachBySection} can attach by: a section type
 * without an attach convention (`syscall`, `struct_ops` …) or a target in the section name
 * that cannot be read (`kprobe/fn+x`, `tracepoint/name` without a category).
 */
export class SectionAttachError extends EbpfError {
  /** The program's name. */
  readonly program: string;
  /** The program's section. */
  readonly section: string;
  /** @param program - the program's name; @param section - its section; @param why - what is wrong */
  constructor(program: string, section: string, why: string) {
    super(`program ${program} (section ${section}): ${why}`);
    this.program = program;
    this.section = section;
  }
}

/**
 * `Collection.attach` failed at one program, and closing the links it had made in that call
 * failed too. `cause` is the attach's error (naming the program and its section);
 * {@link AttachRollbackError.closeError} the first error a close threw (every link was closed as
 * far as it could be: none is left to the collection).
 */
export class AttachRollbackError extends EbpfError {
  /** The first error closing this call's links threw. */
  readonly closeError: unknown;
  /**
   * @param attachError - why the attach failed (the `cause`)
   * @param closeError - the first error closing the links it had made threw
   */
  constructor(attachError: unknown, closeError: unknown) {
    super(
      `${messageOf(attachError)}; closing the links this attach() had made failed too: ${messageOf(closeError)}`,
      { cause: attachError },
    );
    this.closeError = closeError;
  }
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * `Collection.pinMaps`/`pinPrograms` or `unpinMaps`/`unpinPrograms` could not pin or unpin one
 * object of the collection. Names the object and its pin path; `cause` is the error behind it
 * (a `PinPathError` for a directory not on bpffs, the kernel's `BpfSyscallError`, an
 * `UnpinError` …). A pinning call that fails has removed the pins it made before the failure.
 */
export class CollectionPinError extends EbpfError {
  /** A map (named or data section) or a program. */
  readonly kind: 'map' | 'program';
  /** The object's name in the collection (`counts`, `.bss`, a program's function name). */
  readonly object: string;
  /** Its pin path. */
  readonly path: string;
  /**
   * @param kind - map or program
   * @param object - its name in the collection
   * @param path - its pin path
   * @param why - what is wrong
   * @param options - `cause`: the error behind it
   */
  constructor(
    kind: 'map' | 'program',
    object: string,
    path: string,
    why: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} '${object}' at '${path}': ${why}`, options);
    this.kind = kind;
    this.object = object;
    this.path = path;
  }
}

/**
 * A kernel function (kfunc) or kernel variable a program declares with `__ksym` that the
 * running kernel's BTF lacks (or, for a typeless one, `extern const void name __ksym`, that
 * `/proc/kallsyms` does not name), and that is not `__weak` (a weak one resolves to 0, as in
 * libbpf). Names the program, the symbol and what was searched.
 */
export class KernelSymbolNotFoundError extends EbpfError {
  /** The program's name. */
  readonly program: string;
  /** The symbol's name. */
  readonly symbol: string;
  /** A function called (`kfunc`) or a variable or function address taken (`ksym`). */
  readonly kind: 'kfunc' | 'ksym';
  /** What was searched (`'vmlinux BTF'`, or `/proc/kallsyms` for a typeless symbol). */
  readonly searched: string;
  /**
   * @param program - the program's name
   * @param symbol - the symbol
   * @param kind - kfunc call or ksym reference
   * @param searched - which BTF (or symbol table) was searched
   * @param insn - the instruction that refers to it
   */
  constructor(program: string, symbol: string, kind: 'kfunc' | 'ksym', searched: string, insn: number) {
    const what = kind === 'kfunc' ? 'kernel function (kfunc)' : 'kernel symbol (__ksym)';
    super(
      `program ${program}: ${what} '${symbol}' (instruction ${insn}) is not in this kernel: searched ${searched}; ` +
        'declare it __weak to load without it',
    );
    this.program = program;
    this.symbol = symbol;
    this.kind = kind;
    this.searched = searched;
  }
}

/**
 * A change to a collection spec before load that cannot work: a value size that does not fit
 * the map's BTF type, a map type that conflicts with the map's definition, an attach target for
 * a program type that has none … Names the map or program, the setting and the bad value.
 * Thrown by the setters of `spec.adjust` when called, and by `loadCollection` (before the
 * kernel is asked) for a spec whose objects were changed to such values directly.
 */
export class SpecEditError extends EbpfError {
  /** A map or a program. */
  readonly kind: 'map' | 'program';
  /** The map's or program's name. */
  readonly subject: string;
  /** The setting at fault (`'valueSize'`, `'type'`, `'attachTarget'` …). */
  readonly setting: string;
  /**
   * @param kind - map or program
   * @param subject - its name
   * @param setting - the setting at fault
   * @param why - what is wrong, with the bad value
   * @param options - `cause`: the error this one wraps
   */
  constructor(
    kind: 'map' | 'program',
    subject: string,
    setting: string,
    why: string,
    options?: ErrorOptions,
  ) {
    super(`${kind} '${subject}': ${setting} ${why}`, options);
    this.kind = kind;
    this.subject = subject;
    this.setting = setting;
  }
}

/**
 * A USDT probe of a binary that cannot be attached as described: an argument whose operand
 * `usdt.bpf.h` cannot express (a scaled index, a symbol-relative address, a high-byte
 * register), more arguments than it holds, a `.note.stapsdt` that is malformed, or a
 * binary of an architecture whose operand syntax is not known. Names the binary, the probe
 * and, for an argument, its number and text.
 */
export class UsdtSpecError extends EbpfError {
  /** The binary's path. */
  readonly binary: string;
  /** The probe as `provider:name` (`''` when the notes themselves are unreadable). */
  readonly probe: string;
  /**
   * @param binary - the binary's path
   * @param probe - `provider:name`, or `''`
   * @param why - what is wrong
   * @param options - `cause`: the error this one wraps
   */
  constructor(binary: string, probe: string, why: string, options?: ErrorOptions) {
    super(`USDT ${probe ? `probe ${probe} in ` : 'notes of '}${binary}: ${why}`, options);
    this.binary = binary;
    this.probe = probe;
  }
}

/**
 * A program cannot be attached to a USDT probe from its collection: the object lacks the
 * maps of libbpf's `usdt.bpf.h` (`__bpf_usdt_specs`, `__bpf_usdt_ip_to_spec_id`), they
 * have another layout, every spec slot is in use, or the program was loaded without BPF
 * cookies and the binary is position-independent. Names the program.
 */
export class UsdtAttachError extends EbpfError {
  /** The program's name. */
  readonly program: string;
  /** @param program - the program's name; @param why - what is wrong; @param options - `cause` */
  constructor(program: string, why: string, options?: ErrorOptions) {
    super(`program ${program}: cannot attach to a USDT probe: ${why}`, options);
    this.program = program;
  }
}

/**
 * {@link linkObjects} cannot combine its inputs: two strong definitions of one global symbol,
 * licenses that differ, a symbol defined as a function in one object and a variable in
 * another, BTF-defined maps of one name whose definitions differ, an extern whose type does not
 * fit its definition, inputs of different byte orders, or an input it cannot
 * link (not a BPF object, a section kind it does not know). Names the objects at fault (by
 * `LinkObjectsOptions.names`, else `object #<index>`) and the symbol; `cause` is the input's own
 * parse error when there is one.
 */
export class LinkError extends EbpfError {
  /** The inputs at fault, by name: the one whose symbol clashes first, then the other. */
  readonly objects: readonly string[];
  /** The symbol or section at fault, when there is one. */
  readonly symbol: string | undefined;
  /**
   * @param message - what cannot be linked and why
   * @param objects - the inputs at fault
   * @param symbol - the symbol or section at fault
   * @param cause - the error this one wraps
   */
  constructor(message: string, objects: readonly string[], symbol?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.objects = objects;
    this.symbol = symbol;
  }
}
