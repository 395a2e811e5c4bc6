import { alignOf, type Btf, resolveType, sizeOf } from '@ts-ebpf/btf';
import { KconfigError } from './errors.js';

/** libbpf's `enum libbpf_tristate`. */
export const Tristate = { NO: 0, YES: 1, MODULE: 2 } as const;

/** Parses kernel config text (`/proc/config.gz` unpacked): `CONFIG_X=value` lines; `# CONFIG_Y is not set` is `n`. */
export function parseKconfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (set) out.set(set[1]!, set[2]!);
    const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (unset) out.set(unset[1]!, 'n');
  }
  return out;
}

/** An extern variable of the object's `.kconfig` section and where it was placed. */
export interface KconfigExtern {
  name: string;
  offset: number;
  size: number;
  /** Declared `__weak`: a missing option reads as zero instead of failing. */
  weak: boolean;
}

/**
 * A `.kconfig` extern's value as the loader resolved it, by the extern's C type: `bool` a
 * boolean; `enum libbpf_tristate` a number, a {@link Tristate}; a `char` array a string (up to
 * its NUL); an integer or enum of 1, 2 or 4 bytes a number, of 8 bytes a bigint (signed as C
 * declares it). A one-byte integer (`char`) of a `y`, `m` or `n` option holds that letter's
 * code, as libbpf fills it; wider integers take numeric options only. A `__weak` extern this kernel's config does not set holds zero: `false`, `0`,
 * `0n` or `''`.
 */
export type KconfigValue = boolean | number | bigint | string;

/** The `.kconfig` map's contents and the place of each extern in it. */
export interface KconfigData {
  contents: Uint8Array;
  externs: Map<string, KconfigExtern>;
  /** Each extern's value as `contents` holds it (frozen), by name. */
  values: Readonly<Record<string, KconfigValue>>;
}

/** How an extern's C type holds its value (the kinds of C type libbpf fills). */
type Shape =
  | { kind: 'tristate' }
  | { kind: 'bool' }
  | { kind: 'chars'; size: number }
  | { kind: 'int'; size: 1 | 2 | 4 | 8; signed: boolean };

/** The shape of extern `name` of BTF type `typeId`. @throws KconfigError for a type libbpf does not fill */
function shapeOf(name: string, btf: Btf, typeId: number): Shape {
  const t = resolveType(btf, typeId);
  const fail = (why: string): never => {
    throw new KconfigError(name, why);
  };
  if (t.kind === 'enum' && t.name === 'libbpf_tristate') return { kind: 'tristate' };
  if (t.kind === 'int' && t.bool) return { kind: 'bool' };
  if (t.kind === 'array') {
    const elem = resolveType(btf, t.type);
    if (elem.kind !== 'int' || elem.size !== 1) fail('arrays must be char arrays');
    return { kind: 'chars', size: sizeOf(btf, typeId) };
  }
  if (t.kind === 'int' || t.kind === 'enum') {
    const size = t.size;
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return fail(`integer of ${size} bytes`);
    return { kind: 'int', size, signed: t.signed };
  }
  return fail(`unsupported type ${t.kind}`);
}

/**
 * The JavaScript type of the value of a `.kconfig` extern of BTF type `typeId` of `btf`, as
 * {@link Collection.kconfig} gives it ({@link KconfigValue}): what `ts-ebpf gen` types it as.
 * @param name - the extern's name, for the error
 * @throws KconfigError for a type libbpf does not fill (a struct, an array of other than `char`)
 */
export function kconfigValueType(
  btf: Btf,
  typeId: number,
  name: string,
): 'boolean' | 'number' | 'bigint' | 'string' {
  const shape = shapeOf(name, btf, typeId);
  if (shape.kind === 'bool') return 'boolean';
  if (shape.kind === 'chars') return 'string';
  return shape.kind === 'int' && shape.size === 8 ? 'bigint' : 'number';
}

function encode(
  name: string,
  raw: string | undefined,
  shape: Shape,
  little: boolean,
  out: DataView,
  at: number,
): void {
  const fail = (why: string): never => {
    throw new KconfigError(name, why);
  };
  if (raw === undefined) return; // weak and absent: zero
  switch (shape.kind) {
    case 'tristate': {
      const v =
        raw === 'y'
          ? Tristate.YES
          : raw === 'm'
            ? Tristate.MODULE
            : raw === 'n'
              ? Tristate.NO
              : fail(`'${raw}' is not a tristate`);
      out.setUint32(at, v, little);
      return;
    }
    case 'bool':
      if (raw === 'm') fail('is a module option, declare it as enum libbpf_tristate');
      out.setUint8(at, raw === 'y' ? 1 : raw === 'n' ? 0 : fail(`'${raw}' is not a bool`));
      return;
    case 'chars': {
      const m = /^"(.*)"$/.exec(raw) ?? fail(`'${raw}' is not a string`);
      const bytes = new TextEncoder().encode(m[1]!.replace(/\\(.)/g, '$1'));
      for (let i = 0; i < Math.min(bytes.length, shape.size - 1); i++) out.setUint8(at + i, bytes[i]!);
      return;
    }
    case 'int': {
      if (raw === 'y' || raw === 'n' || raw === 'm') {
        // as libbpf: a one-byte integer (a `char`) holds the letter itself; a wider one none
        if (shape.size !== 1)
          fail(
            `'${raw}' is a bool or tristate value: declare the extern as bool, enum libbpf_tristate or char`,
          );
        out.setUint8(at, raw.charCodeAt(0));
        return;
      }
      let v: bigint;
      try {
        v = BigInt(raw);
      } catch {
        v = fail(`'${raw}' is not an integer`);
      }
      const size = shape.size;
      // As libbpf (is_kcfg_value_in_range): a value the integer cannot hold is refused, not cut.
      const bits = BigInt(size * 8);
      const [min, max] =
        size === 8
          ? [-(1n << 63n), (1n << 64n) - 1n]
          : shape.signed
            ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n]
            : [0n, (1n << bits) - 1n];
      if (v < min || v > max)
        fail(
          `'${raw}' does not fit its ${shape.signed ? 'signed' : 'unsigned'} ${size}-byte integer (${min}..${max}): declare the extern with a wider type`,
        );
      if (size === 8) out.setBigUint64(at, BigInt.asUintN(64, v), little);
      else if (size === 4) out.setUint32(at, Number(BigInt.asUintN(32, v)), little);
      else if (size === 2) out.setUint16(at, Number(BigInt.asUintN(16, v)), little);
      else out.setUint8(at, Number(BigInt.asUintN(8, v)));
    }
  }
}

/** The value of an extern of `shape` at `at` of `view`, as {@link KconfigValue} describes it. */
function decode(shape: Shape, little: boolean, view: DataView, at: number): KconfigValue {
  switch (shape.kind) {
    case 'tristate':
      return view.getUint32(at, little);
    case 'bool':
      return view.getUint8(at) !== 0;
    case 'chars': {
      const bytes = new Uint8Array(view.buffer, view.byteOffset + at, shape.size);
      const end = bytes.indexOf(0);
      return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
    }
    case 'int': {
      const { size, signed } = shape;
      if (size === 8) return signed ? view.getBigInt64(at, little) : view.getBigUint64(at, little);
      if (size === 4) return signed ? view.getInt32(at, little) : view.getUint32(at, little);
      if (size === 2) return signed ? view.getInt16(at, little) : view.getUint16(at, little);
      return signed ? view.getInt8(at) : view.getUint8(at);
    }
  }
}

/**
 * Lays out the `.kconfig` externs of the object BTF as libbpf does (by alignment,
 * largest first, then by size, smallest first, then by name; each at its alignment; the
 * map value ends where the last extern does) and fills them from the kernel config, in
 * the byte order of the object's BTF. The same layout as libbpf's gives the same
 * instructions (extern offsets are immediates).
 * `LINUX_KERNEL_VERSION` is filled from `kernelVersionCode`.
 */
export function buildKconfig(
  btf: Btf,
  config: Map<string, string>,
  kernelVersionCode: number,
  isWeak: (name: string) => boolean,
): KconfigData {
  const datasec = btf.find('.kconfig', 'datasec');
  const externs = new Map<string, KconfigExtern>();
  if (!datasec) return { contents: new Uint8Array(0), externs, values: Object.freeze({}) };
  const declared: { name: string; typeId: number; size: number; align: number }[] = [];
  for (const v of datasec.vars) {
    const variable = btf.type(v.type);
    if (variable.kind !== 'var') continue;
    const size = sizeOf(btf, variable.type);
    declared.push({ name: variable.name, typeId: variable.type, size, align: alignOf(btf, variable.type) });
  }
  const layout = [...declared].sort(
    (a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  let offset = 0;
  const offsets = new Map<string, number>();
  for (const d of layout) {
    offset = Math.ceil(offset / d.align) * d.align;
    offsets.set(d.name, offset);
    offset += d.size;
  }
  // Filled (and a missing option reported) in declaration order.
  const placed: { name: string; shape: Shape; offset: number }[] = [];
  for (const d of declared) {
    const at = offsets.get(d.name)!;
    externs.set(d.name, { name: d.name, offset: at, size: d.size, weak: isWeak(d.name) });
    placed.push({ name: d.name, shape: shapeOf(d.name, btf, d.typeId), offset: at });
  }
  const storage = new ArrayBuffer(offset);
  const contents = new Uint8Array(storage);
  const view = new DataView(storage);
  const little = btf.byteOrder === 'little';
  for (const p of placed) {
    const raw = p.name === 'LINUX_KERNEL_VERSION' ? String(kernelVersionCode) : config.get(p.name);
    if (raw === undefined && !externs.get(p.name)!.weak) {
      throw new KconfigError(p.name, "is not set in this kernel's config (declare it __weak to allow that)");
    }
    encode(p.name, raw, p.shape, little, view, p.offset);
  }
  const values: Record<string, KconfigValue> = {};
  for (const p of placed) values[p.name] = decode(p.shape, little, view, p.offset);
  return { contents, externs, values: Object.freeze(values) };
}
