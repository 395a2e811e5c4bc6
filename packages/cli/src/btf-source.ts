import { readFileSync } from 'node:fs';
import { BTF_MAGIC, Btf } from '@ts-ebpf/btf';
import { KERNEL_BTF_DIR, kernelBtf } from '@ts-ebpf/btf/kernel';
import { parseElf } from '@ts-ebpf/elf-reader';
import { CliError } from './errors.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/**
 * BTF from a file: raw BTF (`/sys/kernel/btf/vmlinux`; a module's file there is split BTF and
 * is parsed on top of vmlinux) or an ELF object's `.BTF` section (a clang-built BPF object).
 * @throws CliError when the file cannot be read, or holds neither
 */
export function btfFromFile(path: string): Btf {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new CliError(`cannot read BTF file '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      cause: e,
    });
  }
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    const elf = parseElf(bytes);
    const section = elf.section('.BTF');
    if (!section) throw new CliError(`ELF file '${path}' has no .BTF section`);
    return Btf.parse(elf.data(section));
  }
  const magic = bytes.byteLength >= 2 ? bytes[0]! | (bytes[1]! << 8) : 0;
  const swapped = bytes.byteLength >= 2 ? (bytes[0]! << 8) | bytes[1]! : 0;
  if (magic !== BTF_MAGIC && swapped !== BTF_MAGIC) {
    throw new CliError(`'${path}' is neither raw BTF (magic 0x${BTF_MAGIC.toString(16)}) nor an ELF object`);
  }
  const dir = `${KERNEL_BTF_DIR}/`;
  if (path.startsWith(dir) && path !== `${dir}vmlinux`) return Btf.parse(bytes, { base: kernelBtf() });
  return Btf.parse(bytes);
}
