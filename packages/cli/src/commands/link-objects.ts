import { readFileSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { linkObjects } from '@ts-ebpf/elf';
import type { Args } from '../args.js';
import type { Subcommand } from '../command.js';
import { CliError } from '../errors.js';

/** The error code of a failed file operation (`ENOENT`), or its message. */
function fsReason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

/**
 * The file at `path`, or undefined when there is none.
 * @throws CliError when it cannot be looked at (a directory of its path not searchable …)
 */
function statOf(path: string, what: string, verb: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    throw new CliError(`cannot ${verb} ${what} '${path}': ${fsReason(e)}`, { cause: e });
  }
}

/** True when `a` and `b` are one file: the same path, or the same inode (a hard or symbolic link). */
function sameFile(a: string, aStats: Stats, b: string, bStats: Stats | undefined): boolean {
  return (
    resolve(a) === resolve(b) ||
    (bStats !== undefined && aStats.dev === bStats.dev && aStats.ino === bStats.ino)
  );
}

/**
 * The command line of `object link OUT.o IN.o…`, checked before any file is read: an output and
 * at least one input, each input an existing file, none of them the output.
 * @throws UsageError naming the argument at fault
 */
function readPaths(args: Args): { output: string; inputs: string[] } {
  const output = args.next('the output object (OUT.o)');
  const inputs: string[] = [];
  while (!args.done) inputs.push(args.next('an input object'));
  if (inputs.length === 0) throw args.error(`missing the input objects after the output '${output}'`);
  const outStats = statOf(output, 'output object', 'write');
  for (const input of inputs) {
    const stats = statOf(input, 'input object', 'read');
    if (!stats) throw args.error(`input object '${input}' does not exist`);
    if (sameFile(input, stats, output, outStats))
      throw args.error(`the output '${output}' is also an input ('${input}'): linking would overwrite it`);
  }
  return { output, inputs };
}

/**
 * `ts-ebpf object link OUT.o IN.o [IN.o …]`: statically links clang-built BPF objects into one
 * with `linkObjects` of `@ts-ebpf/elf` (what `bpftool gen object` does). Prints nothing unless
 * `--json` is given.
 */
export const linkObjectsSubcommand: Subcommand = {
  words: ['link'],
  args: 'OUT.o IN.o [IN.o …]',
  summary: 'statically link clang-built BPF objects into one object, as bpftool gen object does',
  details:
    'Writes OUT.o, which loadCollection (or libbpf) loads as one object: programs and maps of every input, globals resolved across them, __weak maps merged, BTF and .BTF.ext combined. Two strong definitions of one symbol, licenses or map definitions that differ are errors naming both objects and the symbol (exit 1). OUT.o must not be one of the inputs. Prints nothing; JSON: { output, inputs, bytes }.',
  run(args, out) {
    const { output, inputs } = readPaths(args);
    const objects = inputs.map((input) => {
      try {
        return readFileSync(input);
      } catch (e) {
        throw new CliError(`cannot read input object '${input}': ${fsReason(e)}`, { cause: e });
      }
    });
    const linked = linkObjects(objects, { names: inputs });
    try {
      writeFileSync(output, linked);
    } catch (e) {
      throw new CliError(`cannot write output object '${output}': ${fsReason(e)}`, { cause: e });
    }
    if (args.flags.json) out.json({ output, inputs, bytes: linked.byteLength });
  },
};
