import { BpfSyscallError } from '@ts-ebpf/syscall';
import { EbpfError } from '@ts-ebpf/uapi';

/** A failure of a `ts-ebpf` command that no lower package reports (a file it cannot read …). */
export class CliError extends EbpfError {}

/**
 * A command line the CLI does not understand: an unknown command, a missing or extra argument,
 * a malformed number or byte. `main` prints it with the command's usage and exits with 2.
 */
export class UsageError extends CliError {
  /** The usage line of the command that was misused (`'ts-ebpf map lookup MAP key BYTES'`). */
  readonly usage: string;

  /**
   * @param message - what is wrong, naming the argument
   * @param usage - the usage of the command that was misused
   */
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

/** No kernel object of this kind has this id (it was never there, or was freed). */
export class ObjectNotFoundError extends CliError {
  /** `'program'`, `'map'`, `'link'` or `'BTF object'`. */
  readonly kind: string;
  /** The id asked for. */
  readonly id: number;

  /**
   * @param kind - the kind of object asked for
   * @param id - its id
   * @param cause - the kernel's ENOENT
   */
  constructor(kind: string, id: number, cause: unknown) {
    super(`no ${kind} has id ${id} (freed, or never created)`, { cause });
    this.kind = kind;
    this.id = id;
  }
}

/** The object pinned at a path is not of the kind the command works on. */
export class WrongObjectKindError extends CliError {
  /**
   * @param subject - the path (or fd) given
   * @param wanted - the kind the command needs
   * @param found - what is there
   */
  constructor(subject: string, wanted: string, found: string) {
    super(`${subject} is not a ${wanted}: it is ${found}`);
  }
}

/** `map lookup` or `map delete` of a key the map does not hold. */
export class EntryNotFoundError extends CliError {
  /**
   * @param map - the map (`map id 12`)
   * @param key - the key, as hex bytes
   */
  constructor(map: string, key: string) {
    super(`${map} has no entry with key ${key}`);
  }
}

/** `map update … exist` of a key the map does not hold, or `… noexist` of one it holds. */
export class UpdateRefusedError extends CliError {
  /**
   * @param map - the map (`map id 12`)
   * @param key - the key, as hex bytes
   * @param flag - the update flag as the command line spells it (`exist` or `noexist`)
   * @param cause - the kernel's refusal (EEXIST or ENOENT)
   */
  constructor(map: string, key: string, flag: 'exist' | 'noexist', cause: unknown) {
    super(
      flag === 'noexist'
        ? `${map} already has an entry with key ${key}, and the update said noexist (create only)`
        : `${map} has no entry with key ${key}, and the update said exist (replace only)`,
      { cause },
    );
  }
}

/** The kernel refused to read a map's keys or values for `map dump` or `map lookup`. */
export class MapReadError extends CliError {
  /** The map (`map id 12`, `the map pinned at '/sys/fs/bpf/m'`). */
  readonly map: string;

  /**
   * @param map - the map, as the command line named it
   * @param what - what was being read (`'its keys'`, `'the value of key 01 00 00 00'`)
   * @param cause - the kernel's refusal
   */
  constructor(map: string, what: string, cause: unknown) {
    super(`${map}: cannot read ${what}: ${syscallReason(cause)}`, { cause });
    this.map = map;
  }
}

/**
 * A kernel refusal as `ENOTSUPP (errno 524) — <hint>`, without the fd the failed call was made
 * on (the command's own, which means nothing to its user).
 */
export function syscallReason(e: unknown): string {
  if (e instanceof BpfSyscallError) return `${e.code} (errno ${e.errno})${e.hint ? ` — ${e.hint}` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

/** `name NAME` or `tag TAG` matched no object of the kind asked for. */
export class NoMatchingObjectError extends CliError {
  /** `'program'` or `'map'`. */
  readonly kind: string;
  /** What was matched on: `'name'` or `'tag'`. */
  readonly by: 'name' | 'tag';
  /** The name or tag given. */
  readonly value: string;

  /**
   * @param kind - the kind of object asked for
   * @param by - `'name'` or `'tag'`
   * @param value - the name or tag given
   */
  constructor(kind: string, by: 'name' | 'tag', value: string) {
    super(`no ${kind} has ${by} '${value}'`);
    this.kind = kind;
    this.by = by;
    this.value = value;
  }
}

/**
 * `name NAME` or `tag TAG` matched several objects where the command works on one (`prog dump`,
 * `map lookup` …): the message lists their ids, so one can be picked with `id ID`.
 */
export class AmbiguousObjectError extends CliError {
  /** `'program'` or `'map'`. */
  readonly kind: string;
  /** The ids of every match, in increasing order. */
  readonly ids: readonly number[];

  /**
   * @param kind - the kind of object asked for
   * @param by - `'name'` or `'tag'`
   * @param value - the name or tag given
   * @param ids - the ids of the matches
   */
  constructor(kind: string, by: 'name' | 'tag', value: string, ids: readonly number[]) {
    super(
      `${ids.length} ${kind}s have ${by} '${value}' (ids ${ids.join(', ')}), and this command works on one ${kind}: pick it with 'id ID'`,
    );
    this.kind = kind;
    this.ids = ids;
  }
}
