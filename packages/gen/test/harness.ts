import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where generated test modules go: inside the workspace, so `@ts-ebpf/*` imports resolve. */
const GENERATED = new URL('./generated/', import.meta.url).pathname;
const ROOT = new URL('../../../', import.meta.url).pathname;

function multiarchInclude(): string[] {
  const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  return triple ? [`-I/usr/include/${triple}`] : [];
}

/**
 * Compiles `fixtures/<name>` with clang-19 (`-g -O2 -target bpf`, the system's libbpf headers)
 * into `dir`, with `-D` defines (without `-g` when `debug` is false; for `target`, default bpf);
 * returns the object's path.
 */
export function compileFixture(
  name: string,
  dir: string,
  defines: readonly string[] = [],
  options: { debug?: boolean; target?: 'bpf' | 'bpfel' | 'bpfeb' } = {},
): string {
  const target = options.target ?? 'bpf';
  const suffix = `${defines.map((d) => `.${d}`).join('')}${options.debug === false ? '.nodebug' : ''}${target === 'bpf' ? '' : `.${target}`}`;
  const out = join(dir, name.replace(/\.c$/, `${suffix}.o`));
  execFileSync('clang-19', [
    ...(options.debug === false ? [] : ['-g']),
    '-O2',
    '-target',
    target,
    ...multiarchInclude(),
    ...defines.map((d) => `-D${d}`),
    '-c',
    new URL(`./fixtures/${name}`, import.meta.url).pathname,
    '-o',
    out,
  ]);
  return out;
}

/** `text` as the repository's formatter lays out a TypeScript module (`biome format`). */
export function biomeFormat(text: string): string {
  return biome(['format', '--stdin-file-path=module.ts'], text);
}

/** `text` with its imports sorted as `biome check` sorts them (organizeImports), nothing else changed. */
export function biomeSortImports(text: string): string {
  return biome(
    [
      'check',
      '--write',
      '--formatter-enabled=false',
      '--linter-enabled=false',
      '--stdin-file-path=module.ts',
    ],
    text,
  );
}

/** The workspace's biome run on `text` (stdin), @returns what it writes. */
function biome(args: string[], text: string): string {
  return execFileSync(join(ROOT, 'node_modules/.bin/biome'), args, {
    input: text,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
}

/** One tsc diagnostic: the file (relative to the workspace) and its text. */
export interface Diagnostic {
  file: string;
  text: string;
}

/**
 * A scratch directory of generated modules under `test/generated/`, type-checked together with
 * `tsc --strict` (the repository's base options: strict, noUncheckedIndexedAccess, NodeNext),
 * with noUnusedLocals and noUnusedParameters.
 */
export class Workspace {
  readonly dir: string;

  constructor(tag: string) {
    this.dir = join(GENERATED, `${tag}-${process.pid}`);
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  /** Writes `text` to `file` (a path inside the workspace); returns its absolute path. */
  write(file: string, text: string): string {
    const path = join(this.dir, file);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  read(file: string): string {
    return readFileSync(join(this.dir, file), 'utf8');
  }

  /** Runs tsc on every `.ts` file of the workspace; the diagnostics, by file. */
  typecheck(): Diagnostic[] {
    const base = join(ROOT, 'tsconfig.base.json');
    this.write(
      'tsconfig.json',
      JSON.stringify({
        extends: base,
        compilerOptions: {
          noEmit: true,
          types: ['node'],
          strict: true,
          rootDir: this.dir,
          // Generated modules must compile in projects as strict as any: nothing unused.
          noUnusedLocals: true,
          noUnusedParameters: true,
        },
        include: ['**/*.ts'],
      }),
    );
    let output = '';
    try {
      execFileSync(
        join(ROOT, 'node_modules/.bin/tsc'),
        ['-p', join(this.dir, 'tsconfig.json'), '--pretty', 'false'],
        {
          encoding: 'utf8',
          cwd: this.dir,
        },
      );
    } catch (e) {
      output = (e as { stdout: string }).stdout;
      if (!output) throw e;
    }
    const diagnostics: Diagnostic[] = [];
    for (const line of output.split('\n')) {
      const m = /^(.+?)\(\d+,\d+\): (error .*)$/.exec(line);
      if (m) diagnostics.push({ file: m[1]!, text: m[2]! });
      else if (line.trim() !== '' && diagnostics.length > 0)
        diagnostics[diagnostics.length - 1]!.text += `\n${line}`;
    }
    return diagnostics;
  }

  /** Removes the directory. */
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
