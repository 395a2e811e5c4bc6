import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { disassemble, type Instruction } from '@ts-ebpf/dsl';
import { MapType, u32, u64 } from '@ts-ebpf/maps';
import { counterProgram } from '@ts-ebpf/test-utils';
import { compileBpfC } from '@ts-ebpf/test-utils/clang';
import { defineMap } from '../src/index.js';

/** One u64 counter in slot 0 of an array: what each test's program counts into. */
export const counter = defineMap({ type: MapType.ARRAY, key: u32, value: u64, maxEntries: 1 });

/** Adds 1 to slot 0 of the array map `fd`, then returns `ret`: test-utils' counter, as instructions. */
export function countThenReturn(fd: number, ret: number): Instruction[] {
  return disassemble(counterProgram(fd, ret));
}

/** Waits until `check()` is true (polling), or throws after `ms`. */
export async function eventually(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Slot 0 of a counter map. */
export function countOf(map: { get(k: number): bigint | undefined }): bigint {
  return map.get(0) ?? 0n;
}

/** Compiles the BPF C file fixtures/<name> into `dir`; the object's bytes as readFileSync gives them (as users load objects). */
export function compileFixture(name: string, dir: string): Buffer {
  const out = join(dir, name.replace(/\.c$/, '.o'));
  compileBpfC(new URL(`./fixtures/${name}`, import.meta.url).pathname, out);
  return readFileSync(out);
}
