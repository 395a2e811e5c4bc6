import { MappedMemory, Prot } from '@ts-ebpf/syscall';
import { type ByteOrder, describeValue, HOST_BYTE_ORDER } from '@ts-ebpf/uapi';
import type { DataSectionSpec } from './collection-spec.js';
import { NameNotFoundError, VariableValueError } from './errors.js';

/** A value for a global variable: raw bytes, or a number/bigint/boolean written in its size, in the object's byte order. */
export type VariableValue = Uint8Array | number | bigint | boolean;

/**
 * Encodes `value` into exactly `size` bytes, integers in byte order `order` (default little).
 * @throws VariableValueError when it does not fit, or is not a number, bigint, boolean or
 * Uint8Array (a string such as an environment variable's `"42"` is refused, not converted)
 */
export function encodeVariable(
  name: string,
  size: number,
  value: VariableValue,
  order: ByteOrder = 'little',
): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.byteLength !== size)
      throw new VariableValueError(name, `is ${size} bytes, got ${value.byteLength}`);
    return value;
  }
  if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'boolean')
    throw new VariableValueError(
      name,
      `${describeValue(value)} is not a number, bigint, boolean or Uint8Array (convert a string first)`,
    );
  const storage = new ArrayBuffer(size);
  const out = new Uint8Array(storage);
  const v = new DataView(storage);
  const big = typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? Number(value) : value);
  if (typeof value === 'number' && !Number.isInteger(value))
    throw new VariableValueError(name, `${value} is not an integer`);
  const bits = BigInt(size * 8);
  if (size > 8 || big >= 1n << bits || big < -(1n << (bits - 1n))) {
    throw new VariableValueError(name, `${value} does not fit in ${size} bytes`);
  }
  const u = BigInt.asUintN(size * 8, big);
  for (let i = 0; i < size; i++)
    v.setUint8(order === 'little' ? i : size - 1 - i, Number((u >> BigInt(8 * i)) & 0xffn));
  return out;
}

function findVariable(sections: Iterable<DataSectionSpec>, name: string) {
  for (const s of sections) {
    const v = s.variables.get(name);
    if (v) return { section: s, ...v };
  }
  return undefined;
}

/**
 * Copies of the data sections with `constants` written into them (before
 * load: `const volatile` globals in `.rodata` become constants the verifier sees).
 * @throws NameNotFoundError for an unknown variable; VariableValueError for a value of the wrong size
 */
export function rewriteConstants(
  sections: Map<string, DataSectionSpec>,
  constants: Record<string, VariableValue>,
  order: ByteOrder = 'little',
): Map<string, DataSectionSpec> {
  const out = new Map<string, DataSectionSpec>();
  for (const [name, s] of sections) out.set(name, { ...s, contents: new Uint8Array(s.contents) });
  for (const [name, value] of Object.entries(constants)) {
    const v = findVariable(out.values(), name);
    if (!v) {
      const names = [...sections.values()].flatMap((s) => [...s.variables.keys()]);
      throw new NameNotFoundError(
        'variable',
        name,
        names,
        [...sections.keys()].join(', ') || 'any data section',
      );
    }
    v.section.contents.set(encodeVariable(name, v.size, value, order), v.offset);
  }
  return out;
}

/**
 * A global variable of a loaded object, read and written through the data
 * section's mmapped array map: no system call per access.
 */
export class GlobalVariable {
  readonly name: string;
  readonly size: number;
  readonly #memory: MappedMemory;
  readonly #offset: number;

  /** @internal */
  constructor(name: string, memory: MappedMemory, offset: number, size: number) {
    this.name = name;
    this.#memory = memory;
    this.#offset = offset;
    this.size = size;
  }

  /** A copy of the variable's current bytes. */
  get(): Uint8Array {
    return this.#memory.reader().copy(this.#offset, this.#offset + this.size);
  }

  /** The value as an unsigned integer in this kernel's byte order (sizes 1, 2, 4, 8). */
  getBigInt(): bigint {
    let out = 0n;
    const b = this.get();
    if (HOST_BYTE_ORDER === 'little')
      for (let i = b.length - 1; i >= 0; i--) out = (out << 8n) | BigInt(b[i]!);
    else for (const byte of b) out = (out << 8n) | BigInt(byte);
    return out;
  }

  /** Writes the variable (the program sees it at once). */
  set(value: VariableValue): void {
    if (!this.#memory.writable) throw new VariableValueError(this.name, 'lives in a read-only section');
    this.#memory.bytes.set(encodeVariable(this.name, this.size, value, HOST_BYTE_ORDER), this.#offset);
  }
}

/** Maps a data-section map's value into this process (read-write, or read-only for frozen sections). */
export function mapDataSection(fd: number, size: number, writable: boolean): MappedMemory {
  return MappedMemory.map({
    length: Math.max(size, 1),
    prot: writable ? Prot.READ | Prot.WRITE : Prot.READ,
    fd,
  });
}
