/**
 * The C firewall (firewall.bpf.c) compiled by clang-19 -O2 and made loadable: its `xdp`
 * section's instructions with the map loads pointed at our maps' fds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf } from '@ts-ebpf/elf-reader';
import { HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { FirewallMaps } from './firewall.js';

const SOURCE = new URL('./firewall.bpf.c', import.meta.url).pathname;

/** The multiarch include directory holding `asm/types.h` for the kernel headers. */
function multiarchInclude(): string[] {
  try {
    const triple = execFileSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).trim();
    return triple ? ['-I', `/usr/include/${triple}`] : [];
  } catch {
    return ['-I', '/usr/include/x86_64-linux-gnu'];
  }
}

/** Compiles firewall.bpf.c for the host's byte order and returns the object's bytes. */
export function compileFirewall(): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-packet-fw-'));
  try {
    const out = join(dir, 'firewall.o');
    const target = HOST_BYTE_ORDER === 'little' ? 'bpfel' : 'bpfeb';
    execFileSync('clang-19', [
      '-O2',
      '-g',
      '-target',
      target,
      ...multiarchInclude(),
      '-c',
      SOURCE,
      '-o',
      out,
    ]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `xdp` section's instructions with each map relocation resolved to `maps`' fds. */
export function relocateFirewall(object: Uint8Array, maps: FirewallMaps): Uint8Array {
  const elf = parseElf(object);
  const text = elf.section('xdp');
  if (!text) throw new Error('firewall.o has no xdp section');
  const insns = Uint8Array.from(elf.data(text));
  const rel = elf.relocationSections().get(text.index);
  if (!rel) throw new Error('firewall.o has no relocations for its xdp section');
  const little = HOST_BYTE_ORDER === 'little';
  const view = new DataView(insns.buffer);
  for (const r of elf.relocations(rel)) {
    const name = elf.symbols[r.symbol]!.name as keyof FirewallMaps;
    const fd = maps[name];
    if (fd === undefined) throw new Error(`firewall.o relocates an unknown symbol '${name}'`);
    const at = Number(r.offset);
    const regs = insns[at + 1]!;
    insns[at + 1] = little ? (regs & 0x0f) | (1 << 4) : (regs & 0xf0) | 1; // src = BPF_PSEUDO_MAP_FD
    view.setInt32(at + 4, fd, little);
  }
  return insns;
}
