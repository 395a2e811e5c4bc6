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

/** The `.kconfig` map's contents and the place of each extern in it. */
export interface KconfigData {
  contents: Uint8Array;
  externs: Map<string, KconfigExtern>;
}

function encode(
  name: string,
  raw: string | undefined,
  btf: Btf,
  typeId: number,
  out: DataView,
  at: number,
): void {
  const t = resolveType(btf, typeId);
  const size = sizeOf(btf, typeId);
  const fail = (why: string): never => {
    throw new KconfigError(name, why);
  };
  if (raw === undefined) return; // weak and absent: zero
  if (t.kind === 'enum' && t.name === 'libbpf_tristate') {
    const v =
      raw === 'y'
        ? Tristate.YES
        : raw === 'm'
          ? Tristate.MODULE
          : raw === 'n'
            ? Tristate.NO
            : fail(`'${raw}' is not a tristate`);
    out.setUint32(at, v, btf.byteOrder === 'little');
    return;
  }
  if (t.kind === 'int' && t.bool) {
    if (raw === 'm') fail('is a module option, declare it as enum libbpf_tristate');
    out.setUint8(at, raw === 'y' ? 1 : raw === 'n' ? 0 : fail(`'${raw}' is not a bool`));
    return;
  }
  if (t.kind === 'array') {
    const elem = resolveType(btf, t.type);
    if (elem.kind !== 'int' || elem.size !== 1) fail('arrays must be char arrays');
    const m = /^"(.*)"$/.exec(raw) ?? fail(`'${raw}' is not a string`);
    const bytes = new TextEncoder().encode(m[1]!.replace(/\\(.)/g, '$1'));
    for (let i = 0; i < Math.min(bytes.length, size - 1); i++) out.setUint8(at + i, bytes[i]!);
    return;
  }
  if (t.kind === 'int' || t.kind === 'enum') {
    if (raw === 'y' || raw === 'n') {
      out.setUint8(at, raw === 'y' ? 1 : 0);
      return;
    }
    let v: bigint;
    try {
      v = BigInt(raw);
    } catch {
      v = fail(`'${raw}' is not an integer`);
    }
    if (size === 8) out.setBigUint64(at, BigInt.asUintN(64, v), btf.byteOrder === 'little');
    else if (size === 4) out.setUint32(at, Number(BigInt.asUintN(32, v)), btf.byteOrder === 'little');
    else if (size === 2) out.setUint16(at, Number(BigInt.asUintN(16, v)), btf.byteOrder === 'little');
    else if (size === 1) out.setUint8(at, Number(BigInt.asUintN(8, v)));
    else fail(`integer of ${size} bytes`);
    return;
  }
  fail(`unsupported type ${t.kind}`);
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
  if (!datasec) return { contents: new Uint8Array(0), externs };
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
  const placed: { name: string; typeId: number; offset: number }[] = [];
  for (const d of declared) {
    const at = offsets.get(d.name)!;
    externs.set(d.name, { name: d.name, offset: at, size: d.size, weak: isWeak(d.name) });
    placed.push({ name: d.name, typeId: d.typeId, offset: at });
  }
  const storage = new ArrayBuffer(offset);
  const contents = new Uint8Array(storage);
  const view = new DataView(storage);
  for (const p of placed) {
    const raw = p.name === 'LINUX_KERNEL_VERSION' ? String(kernelVersionCode) : config.get(p.name);
    if (raw === undefined && !externs.get(p.name)!.weak) {
      throw new KconfigError(p.name, "is not set in this kernel's config (declare it __weak to allow that)");
    }
    encode(p.name, raw, btf, p.typeId, view, p.offset);
  }
  return { contents, externs };
}
