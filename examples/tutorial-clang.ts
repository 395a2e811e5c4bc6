/**
 * Tutorial 4, load a clang object: compile examples/bpf/getpid-counter.bpf.c with clang,
 * load it with loadCollection (a read-only constant set at load), find its map and program
 * by name, attach, and read and write its global variables.
 * docs/tutorials/04-clang-object.md walks through it.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tutorial-clang.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCollection } from '@ts-ebpf/elf';
import { u32, u64 } from '@ts-ebpf/maps';
import { attachTracepoint } from '@ts-ebpf/programs';
import { ensureTracefs, getpid } from '@ts-ebpf/syscall';

// 1. Compile. -g keeps the BTF that describes the map and the globals; the multiarch
//    include directory holds <asm/types.h>, which <linux/bpf.h> needs.
const dir = mkdtempSync(join(tmpdir(), 'tutorial-clang-'));
let object: Uint8Array;
try {
  const out = join(dir, 'getpid-counter.bpf.o');
  const source = new URL('./bpf/getpid-counter.bpf.c', import.meta.url).pathname;
  const multiarch = execFileSync('gcc', ['-dumpmachine'], { encoding: 'utf8' }).trim();
  const include = `-I/usr/include/${multiarch}`;
  execFileSync('clang-19', ['-target', 'bpf', '-O2', '-g', include, '-c', source, '-o', out]);
  object = readFileSync(out);
} finally {
  rmSync(dir, { recursive: true });
}

// 2. Load: maps are created, .rodata constants fixed, relocations applied, programs verified.
//    target_tid: the main thread, whose thread id is the process id (node's other threads,
//    some of which call getpid() too, are not counted).
using collection = loadCollection(object, { constants: { target_tid: process.pid } });
console.log('maps:', [...collection.maps.keys()].join(', '));
console.log('global data:', [...collection.dataMaps.keys()].join(', '));
console.log('programs:', [...collection.programs.keys()].join(', '));

// 3. Name lookups. collection.map() gives the map with raw byte keys and values; with codecs,
//    a typed view of the same map (closed with the collection).
const calls = collection.map('calls', { key: u32, value: u64 });
const prog = collection.program('count_getpid');
ensureTracefs();

// 4. Globals: .data can be written before the program runs, .bss read afterwards.
collection.variable('step').set(10n);
{
  using _link = attachTracepoint(prog, 'syscalls', 'sys_enter_getpid');
  for (let i = 0; i < 5; i++) getpid();
}
console.log(`calls by the main thread: ${calls.get(process.pid)}`);
console.log(`total (5 calls × step 10): ${collection.variable('total').getBigInt()}`);
console.log(
  `target_tid is the main thread: ${collection.variable('target_tid').getBigInt() === BigInt(process.pid)}`,
);
try {
  collection.program('count_getppid'); // a typo: the error lists the names there are
} catch (e) {
  console.log(String(e));
}
