/**
 * Tutorial 10, macros and generated bindings: the getpid counter of tutorial 1 declared with
 * @ts-ebpf/macros (a map, a program and its attach point; one script makes and undoes them
 * all), then the C counter of tutorial 4 used through typed bindings that `ts-ebpf gen`
 * generated (examples/generated/getpid-counter.ts). docs/tutorials/10-macros-and-gen.md
 * walks through it.
 *
 *   npx tsx --conditions=@ts-ebpf/source examples/tutorial-macros.ts
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { bpf } from '@ts-ebpf/dsl';
import { generateBindings } from '@ts-ebpf/gen';
import { defineMap, defineProgram, script } from '@ts-ebpf/macros';
import { MapType, u32, u64 } from '@ts-ebpf/maps';
import { BpfProgType } from '@ts-ebpf/programs';
import { ensureTracefs, getpid } from '@ts-ebpf/syscall';
import { GetpidCounter } from './generated/getpid-counter.js';

ensureTracefs();

// 1. Macros: say what exists and where it attaches; script() makes it, in order.
const counts = defineMap({ type: MapType.HASH, key: u32, value: u64, maxEntries: 1024 });
const countGetpid = defineProgram({
  maps: { counts },
  type: BpfProgType.TRACEPOINT,
  build: ({ counts }) => bpf`
    call bpf_get_current_pid_tgid
    *(u32 *)(r10 - 4) = r0 // the low 32 bits: the thread id
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    r1 = ${counts}
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 1 // BPF_NOEXIST
    call bpf_map_update_elem
    r1 = ${counts}
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
  out:
    r0 = 0
    exit`,
  attach: { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_getpid' },
});
{
  using s = script({ programs: { countGetpid } });
  for (let i = 0; i < 7; i++) getpid();
  s.links.countGetpid.close(); // detach now; the script's own close skips what is closed
  const n: bigint | undefined = s.maps.counts.get(process.pid); // typed by the codecs
  console.log(`macros: the main thread called getpid() ${n} times`);
} // the script closes the link, the program and the map, last made first

// 2. Generated bindings. Compile the C program of tutorial 4 beside the generated module,
//    which reads it from there (it was generated with --reference).
const object = new URL('./generated/getpid-counter.bpf.o', import.meta.url).pathname;
const source = new URL('./bpf/getpid-counter.bpf.c', import.meta.url).pathname;
const multiarch = execFileSync('gcc', ['-dumpmachine'], { encoding: 'utf8' }).trim();
execFileSync('clang-19', [
  '-target',
  'bpf',
  '-O2',
  '-g',
  `-I/usr/include/${multiarch}`,
  '-c',
  source,
  '-o',
  object,
]);
try {
  // The committed module must be what the generator makes of this object today.
  const bindings = new URL('./generated/getpid-counter.ts', import.meta.url).pathname;
  const fresh = generateBindings(readFileSync(object), {
    name: 'GetpidCounter',
    object: { reference: './getpid-counter.bpf.o' },
    source: 'getpid-counter.bpf.o',
  });
  if (fresh !== readFileSync(bindings, 'utf8'))
    throw new Error(
      'examples/generated/getpid-counter.ts is stale: generate it again with ts-ebpf gen ' +
        'examples/generated/getpid-counter.bpf.o --reference -o examples/generated/getpid-counter.ts',
    );
  console.log('gen: examples/generated/getpid-counter.ts is up to date');

  // Typed: constants by name and type, maps as BpfMap<number, bigint>, variables as bigint.
  using counter = GetpidCounter.load({ constants: { target_tid: process.pid } }); // the main thread
  counter.variables.step.set(10n);
  const links = counter.attach(); // as the SEC() name says: tracepoint/syscalls/sys_enter_getpid
  for (let i = 0; i < 5; i++) getpid();
  for (const link of links) link.close();
  console.log(`gen: calls by the main thread ${counter.maps.calls.get(process.pid)}`);
  console.log(
    `gen: total ${counter.variables.total.get()}, target_tid set: ${counter.variables.target_tid.get() === process.pid}`,
  );
} finally {
  rmSync(object, { force: true });
}
