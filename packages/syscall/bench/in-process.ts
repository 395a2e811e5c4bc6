/**
 * C baseline loops run inside this node process: a bench builds its C baseline a second time as a
 * shared object (gcc -shared -fPIC) and calls its loop once per round through koffi, so the same
 * C code makes the same system calls from the process our library runs in. Set against the
 * standalone executable in the same run, it tells what the node process itself costs the kernel
 * (its threads, its address space) from what the library costs. Used by the programs benches
 * (imported by path: benches are not part of the packages; koffi is imported only by
 * @ts-ebpf/syscall).
 */
import { execFileSync } from 'node:child_process';
import koffi from 'koffi';

/** A C function of a loaded bench library: numbers, strings and bytes in, `R` (a number by default) out. */
export type CFunction<R = number> = (...args: (number | string | Uint8Array | null)[]) => R;

/**
 * Compiles the C file `source` into the shared object `out` with `-DBENCH_LIBRARY` (the C file
 * leaves out its `main` under that macro) and the extra gcc arguments `libs` (e.g. `-lbpf`).
 */
export function buildBenchLibrary(source: string, out: string, libs: readonly string[] = []): string {
  execFileSync('gcc', [
    '-O2',
    '-Wall',
    '-Werror',
    '-DBENCH_LIBRARY',
    '-shared',
    '-fPIC',
    '-o',
    out,
    source,
    ...libs,
  ]);
  return out;
}

/** Binds the C function with the `prototype` (C syntax, as koffi takes it) from the shared object `library`. */
export function benchFunction<R = number>(library: string, prototype: string): CFunction<R> {
  return koffi.load(library).func(prototype) as unknown as CFunction<R>;
}
