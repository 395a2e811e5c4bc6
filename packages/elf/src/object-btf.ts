import type { Btf } from '@ts-ebpf/btf';
import { ElfError } from './errors.js';
import type { KconfigData } from './kconfig.js';
import type { ElfFile } from './reader.js';

const KIND_FUNC = 12;
const KIND_VAR = 14;
const KIND_DATASEC = 15;
const LINKAGE_STATIC = 0;
const LINKAGE_GLOBAL = 1;
const LINKAGE_EXTERN = 2;

/**
 * A copy of an object's `.BTF` the kernel accepts, fixed up the way libbpf does
 * before BTF_LOAD: clang leaves DATASEC sizes and variable offsets at zero (the
 * ELF symbols hold them), externs carry a linkage the kernel refuses, and
 * sections such as `.ksyms` exist only in BTF.
 */
export function fixupObjectBtf(btf: Btf, elf: ElfFile, kconfig?: KconfigData): Uint8Array {
  const out = btf.bytes.slice();
  const v = new DataView(out.buffer);
  const le = btf.byteOrder === 'little';
  const symbolValue = new Map<string, number>();
  for (const sym of elf.symbols)
    if (sym.name) symbolValue.set(`${sym.section}:${sym.name}`, Number(sym.value));

  for (let id = btf.firstId; id < btf.typeCount; id++) {
    const at = btf.recordOffset(id);
    const info = v.getUint32(at + 4, le);
    const kind = (info >>> 24) & 0x1f;
    if (kind === KIND_FUNC && (info & 0xffff) === LINKAGE_EXTERN) {
      v.setUint32(at + 4, (info & 0xffff0000) | LINKAGE_STATIC, le);
    } else if (kind === KIND_VAR && v.getUint32(at + 12, le) === LINKAGE_EXTERN) {
      v.setUint32(at + 12, LINKAGE_GLOBAL, le);
    } else if (kind === KIND_DATASEC) {
      fixDatasec(btf, elf, v, at, info & 0xffff, symbolValue, kconfig);
    }
  }
  return out;
}

function fixDatasec(
  btf: Btf,
  elf: ElfFile,
  v: DataView,
  at: number,
  vlen: number,
  symbolValue: Map<string, number>,
  kconfig: KconfigData | undefined,
): void {
  const le = btf.byteOrder === 'little';
  const name = btf.string(v.getUint32(at, le));
  const section = elf.section(name);
  let next = 0;
  for (let i = 0; i < vlen; i++) {
    const entry = at + 12 + i * 12;
    const variable = btf.type(v.getUint32(entry, le));
    const size = v.getUint32(entry + 8, le);
    let offset: number | undefined;
    if (name === '.kconfig') offset = kconfig?.externs.get(variable.name)?.offset;
    else if (section) offset = symbolValue.get(`${section.index}:${variable.name}`);
    if (offset === undefined) {
      if (section && name !== '.kconfig')
        throw new ElfError(`BTF variable ${variable.name} of ${name} has no symbol`);
      offset = Math.ceil(next / 8) * 8; // sections that live only in BTF (.ksyms): lay out in order
    }
    v.setUint32(entry + 4, offset, le);
    next = Math.max(next, offset + size);
  }
  const size = name === '.kconfig' && kconfig ? kconfig.contents.byteLength : section ? section.size : next;
  v.setUint32(at + 8, Math.max(size, next, 1), le);
}
