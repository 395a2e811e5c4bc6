/** The inputs of {@link linkObjects}: each object parsed, checked to be BPF and of one byte order. */
import { Btf } from '@ts-ebpf/btf';
import { type ElfFile, ET_REL, parseElf } from '@ts-ebpf/elf-reader';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { checkBpfTarget } from '../collection-spec.js';
import { LinkError } from '../errors.js';

/** One input object. */
export interface LinkInput {
  /** Its place in the inputs. */
  readonly index: number;
  /** How errors name it. */
  readonly name: string;
  readonly elf: ElfFile;
  /** Its `.BTF`, parsed (undefined without one). */
  readonly btf: Btf | undefined;
}

/**
 * Parses every input (reading, never writing, its bytes).
 * @throws LinkError naming the input that is no BPF object, is corrupt, or whose byte order
 * differs from the first's
 */
export function readInputs(
  objects: readonly Uint8Array[],
  names: readonly string[] | undefined,
): { inputs: LinkInput[]; byteOrder: ByteOrder } {
  if (objects.length === 0) throw new LinkError('no objects to link', []);
  if (names !== undefined && names.length !== objects.length)
    throw new LinkError(`${names.length} names given for ${objects.length} objects`, [...names]);
  const inputs: LinkInput[] = [];
  let byteOrder: ByteOrder | undefined;
  objects.forEach((bytes, index) => {
    const name = names?.[index] ?? `object #${index}`;
    let elf: ElfFile;
    let btf: Btf | undefined;
    try {
      checkBpfTarget(bytes);
      elf = parseElf(bytes);
      const section = elf.section('.BTF');
      btf = section ? Btf.parse(elf.data(section)) : undefined;
    } catch (e) {
      throw new LinkError(`${name} cannot be linked: ${(e as Error).message}`, [name], undefined, e);
    }
    if (elf.header.type !== ET_REL)
      throw new LinkError(`${name} is not a relocatable object (e_type ${elf.header.type}, expected 1)`, [
        name,
      ]);
    const order = elf.header.byteOrder;
    if (byteOrder !== undefined && order !== byteOrder)
      throw new LinkError(
        `${name} is ${order}-endian but ${inputs[0]!.name} is ${byteOrder}-endian: objects of one byte order only`,
        [name, inputs[0]!.name],
      );
    byteOrder = order;
    if (btf && btf.byteOrder !== order)
      throw new LinkError(`${name}: its .BTF is ${btf.byteOrder}-endian, its ELF ${order}-endian`, [name]);
    inputs.push({ index, name, elf, btf });
  });
  const withBtf = inputs.filter((i) => i.btf);
  if (withBtf.length > 0 && withBtf.length < inputs.length) {
    const without = inputs.find((i) => !i.btf)!;
    throw new LinkError(
      `${without.name} has no .BTF but ${withBtf[0]!.name} has: link objects all compiled with -g, or none`,
      [without.name, withBtf[0]!.name],
      '.BTF',
    );
  }
  return { inputs, byteOrder: byteOrder! };
}
