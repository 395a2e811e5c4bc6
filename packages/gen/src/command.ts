import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ElfError, ElfTargetError } from '@ts-ebpf/elf';
import { EbpfError } from '@ts-ebpf/uapi';
import { GenArgumentError, GenError } from './errors.js';
import { generateBindings } from './generate.js';
import { pascalCase } from './names.js';

/** What `ts-ebpf gen` was asked, from its arguments. */
export interface GenArguments {
  /** The object file. */
  readonly object: string;
  /** Where to write the module (undefined: standard output, also for `-o -`). */
  readonly out: string | undefined;
  /** Embed the object (default) or reference it by path. */
  readonly mode: 'embed' | 'reference';
  /** `--keep-debug`: embed the object with its DWARF sections (`.debug_*`), which are dropped by default. */
  readonly keepDebug: boolean;
  /** The generated class's name (default: from the object's file name). */
  readonly name: string | undefined;
  /** More types to declare (`--type`, repeatable). */
  readonly types: readonly string[];
  /** `-h` / `--help`. */
  readonly help: boolean;
}

/** The usage text of `ts-ebpf gen`. */
export const GEN_USAGE = `usage: ts-ebpf gen <object.o> [-o out.ts] [--embed [--keep-debug] | --reference] [--name Name] [--type T]...

Writes a TypeScript module with typed bindings for a clang-compiled BPF object (built with -g):
its maps with key/value codecs, its programs, its global variables and the struct types they use.

  -o, --out FILE   write the module to FILE (default, or -o -: standard output)
  --embed          put the object's bytes in the module, base64, without its DWARF (.debug_*) sections (default)
  --keep-debug     embed the DWARF sections too (the loader needs only .BTF and .BTF.ext)
  --reference      read the object from its path, relative to the module, when loaded
  --name NAME      the generated class's name (default: from the object's file name)
  --type T         also declare type T (struct name, 'struct x', 'union u', 'enum e', typedef); repeatable
  -h, --help       print this text
`;

/**
 * Reads `ts-ebpf gen`'s arguments (what follows `gen`).
 * @throws GenArgumentError for an unknown option, an option without its value, a second object,
 * both `--embed` and `--reference`, `--keep-debug` with `--reference`, or no object
 */
export function parseGenArguments(argv: readonly string[]): GenArguments {
  let object: string | undefined;
  let out: string | undefined;
  let outGiven = false;
  let mode: 'embed' | 'reference' | undefined;
  let keepDebug = false;
  let name: string | undefined;
  const types: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || (v.startsWith('-') && v !== '-'))
        throw new GenArgumentError(arg, 'needs a value');
      return v;
    };
    const setMode = (m: 'embed' | 'reference') => {
      if (mode !== undefined && mode !== m)
        throw new GenArgumentError(arg, '--embed and --reference exclude each other');
      mode = m;
    };
    switch (arg) {
      case '-o':
      case '--out': {
        if (outGiven) throw new GenArgumentError(arg, 'given twice');
        outGiven = true;
        const file = value();
        // `-` is standard output, as for most tools.
        out = file === '-' ? undefined : file;
        break;
      }
      case '--embed':
        setMode('embed');
        break;
      case '--reference':
        setMode('reference');
        break;
      case '--keep-debug':
        keepDebug = true;
        break;
      case '--name':
        if (name !== undefined) throw new GenArgumentError(arg, 'given twice');
        name = value();
        break;
      case '--type':
        types.push(value());
        break;
      case '-h':
      case '--help':
        help = true;
        break;
      default:
        if (arg.startsWith('-')) throw new GenArgumentError(arg, 'unknown option (see ts-ebpf gen --help)');
        if (object !== undefined)
          throw new GenArgumentError(arg, `a second object file (the first is ${object}): give one`);
        object = arg;
    }
  }
  if (help) return { object: object ?? '', out, mode: mode ?? 'embed', keepDebug, name, types, help };
  if (object === undefined)
    throw new GenArgumentError('<object.o>', 'missing: give the BPF object file to read');
  if (mode === 'reference' && out === undefined)
    throw new GenArgumentError(
      '--reference',
      'needs -o FILE (not standard output): the path is written relative to the module',
    );
  if (keepDebug && mode === 'reference')
    throw new GenArgumentError(
      '--keep-debug',
      'only with --embed: with --reference the module reads the object file as it is',
    );
  return { object, out, mode: mode ?? 'embed', keepDebug, name, types, help };
}

/** `prog.bpf.o` → `Prog`: the object's file name without its extensions, in PascalCase. */
export function defaultName(objectPath: string): string {
  return pascalCase(basename(objectPath).replace(/\..*$/, '') || 'Bpf');
}

/**
 * The object's path as the module finds it: a relative URL from the module's directory, `./`
 * first, each name escaped as in a file URL (`we#ird.bpf.o` → `we%23ird.bpf.o`), since the
 * module resolves it with `new URL(path, import.meta.url)`.
 */
function referencePath(object: string, out: string): string {
  const names = relative(dirname(resolve(out)), resolve(object)).split(sep);
  const rel = names.map((n) => (n === '.' || n === '..' ? n : fileUrlName(n))).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** One file or directory name escaped as a file URL escapes it (`%`, `#`, `?`, spaces …). */
function fileUrlName(name: string): string {
  return pathToFileURL(`/${name}`).pathname.slice(1);
}

/**
 * `ts-ebpf gen`: reads a BPF object and writes its typed bindings (see {@link generateBindings})
 * to `-o` or standard output. `argv` is what follows `gen`. Every error this package or the
 * object reader raises is written to `stderr` (`ts-ebpf gen: <message>`) and turned into the
 * exit code: 2 for bad arguments ({@link GenArgumentError}, an unreadable object file), with the
 * usage line after the message, 1 for an object that cannot be turned into bindings. Other errors (bugs) are thrown.
 * @returns the exit code: 0 on success
 */
export async function genCommand(
  argv: string[],
  io: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<number> {
  try {
    const args = parseGenArguments(argv);
    if (args.help) {
      io.stdout(GEN_USAGE);
      return 0;
    }
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(args.object);
    } catch (e) {
      throw new GenArgumentError(args.object, `cannot read the object file: ${(e as Error).message}`, {
        cause: e,
      });
    }
    let text: string;
    try {
      text = generateBindings(bytes, {
        name: args.name ?? defaultName(args.object),
        object:
          args.mode === 'reference'
            ? { reference: referencePath(args.object, args.out!) }
            : { embed: true, keepDebug: args.keepDebug },
        types: args.types,
        source: basename(args.object),
      });
    } catch (e) {
      // No --name was given: the name refused is the one made from the file's name, not an option.
      if (args.name === undefined && e instanceof GenArgumentError && e.argument.startsWith('--name'))
        throw new GenArgumentError(
          args.object,
          `with no --name, the class is named after the file, and that name is refused: ${e.reason.replace(/: give another$/, '')}; name the class with --name`,
          { cause: e },
        );
      // The reader's error says what is wrong with the bytes, not which file they came from.
      if (e instanceof ElfError || e instanceof ElfTargetError)
        throw new GenError(
          `${args.object}: ${e.message}; give gen the object clang writes (clang -g -O2 -target bpf -c prog.bpf.c -o prog.bpf.o)`,
          { cause: e },
        );
      throw e;
    }
    if (args.out === undefined) io.stdout(text);
    else {
      try {
        writeFileSync(args.out, text);
      } catch (e) {
        throw new GenArgumentError(args.out, `cannot write the module: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    return 0;
  } catch (e) {
    if (!(e instanceof EbpfError)) throw e;
    if (!(e instanceof GenArgumentError)) {
      io.stderr(`ts-ebpf gen: ${e.message}\n`);
      return 1;
    }
    // A usage error: the message, then the usage line, as the other ts-ebpf commands print it.
    io.stderr(`ts-ebpf gen: ${e.message}\n${GEN_USAGE.slice(0, GEN_USAGE.indexOf('\n') + 1)}`);
    return 2;
  }
}
