import { type Btf, type BtfType, resolveType } from '@ts-ebpf/btf';
import { type ElfFile, SymbolType } from '@ts-ebpf/elf-reader';
import { ElfError } from './errors.js';
import type { KconfigData } from './kconfig.js';

const KIND_INT = 1;
const KIND_FUNC = 12;
const KIND_VAR = 14;
const KIND_DATASEC = 15;
const LINKAGE_STATIC = 0;
const LINKAGE_GLOBAL = 1;
const LINKAGE_EXTERN = 2;
const INT_SIGNED = 1;
/** `st_other & 3` of a symbol: `STV_INTERNAL`, `STV_HIDDEN`. */
const VISIBILITY_INTERNAL = 1;
const VISIBILITY_HIDDEN = 2;
/** Offsets in `struct btf_header`. */
const HDR_LEN = 4;
const TYPE_OFF = 8;
const TYPE_LEN = 12;
const STR_OFF = 16;
const STR_LEN = 20;
/** The placeholder variable that stands for kfuncs in `.ksyms` (the kernel wants VARs there). */
const PLACEHOLDER_NAME = 'ts_ebpf_kfunc_placeholder';
const PLACEHOLDER_SIZE = 4;

/** Records and strings to append to the type and string sections. */
interface Appended {
  /** Type id of the first appended record. */
  readonly firstId: number;
  readonly records: number[][];
  readonly strings: string[];
  /** The placeholder VAR's id, once made. */
  placeholder: number | undefined;
  /** The 4-byte int type placeholders and typeless ksyms take, once found or made. */
  placeholderInt: number | undefined;
  /** The string offset of the placeholder's name, once appended. */
  placeholderName: number | undefined;
}

/**
 * A copy of an object's `.BTF` the kernel accepts, fixed up the way libbpf does
 * before BTF_LOAD: clang leaves DATASEC sizes and variable offsets at zero (the
 * ELF symbols hold them), externs carry a linkage the kernel refuses, sections such
 * as `.ksyms` exist only in BTF, and kfuncs declared `__ksym` sit in `.ksyms` as FUNCs
 * where the kernel accepts only VARs (each becomes a 4-byte placeholder variable), and
 * global functions of hidden visibility are made static (verified in their callers' context).
 * Never writes into `btf.bytes`.
 */
export function fixupObjectBtf(btf: Btf, elf: ElfFile, kconfig?: KconfigData): Uint8Array {
  return fixObjectBtf(btf, elf, kconfig).bytes;
}

/** An object's BTF fixed up for the kernel, and what the fix-up learnt of its data sections. */
export interface FixedObjectBtf {
  /** The BTF to load. */
  readonly bytes: Uint8Array;
  /** Each DATASEC by name (the first of a name): its type id and its size as fixed up. */
  readonly datasecs: ReadonlyMap<string, { readonly id: number; readonly size: number }>;
}

/** {@link fixupObjectBtf}, with the id and fixed size of every DATASEC (no second parse to find them). */
export function fixObjectBtf(btf: Btf, elf: ElfFile, kconfig?: KconfigData): FixedObjectBtf {
  const storage = new ArrayBuffer(btf.bytes.byteLength);
  const out = new Uint8Array(storage);
  out.set(btf.bytes);
  const v = new DataView(storage);
  const le = btf.byteOrder === 'little';
  const appended: Appended = {
    firstId: btf.typeCount,
    records: [],
    strings: [],
    placeholder: undefined,
    placeholderInt: undefined,
    placeholderName: undefined,
  };
  const datasecs = new Map<string, { id: number; size: number }>();
  const context: DatasecContext = { btf, elf, v, kconfig, appended };
  const hidden = new Set(
    elf.symbols
      .filter(
        (s) =>
          s.type === SymbolType.FUNC &&
          (s.visibility === VISIBILITY_HIDDEN || s.visibility === VISIBILITY_INTERNAL),
      )
      .map((s) => s.name),
  );

  for (let id = btf.firstId; id < btf.typeCount; id++) {
    const at = btf.recordOffset(id);
    const info = v.getUint32(at + 4, le);
    const kind = (info >>> 24) & 0x1f;
    if (kind === KIND_FUNC && (info & 0xffff) === LINKAGE_EXTERN) {
      v.setUint32(at + 4, (info & 0xffff0000) | LINKAGE_STATIC, le);
      nameParams(context, v.getUint32(at + 8, le));
    } else if (
      kind === KIND_FUNC &&
      (info & 0xffff) === LINKAGE_GLOBAL &&
      hidden.size > 0 &&
      // The name alone: decoding every global function (each program's) to read it cost more.
      hidden.has(btf.nameOf(id))
    ) {
      // As libbpf: a global function of hidden or internal visibility (usdt.bpf.h's
      // `__weak __hidden bpf_usdt_arg`) is verified as static, in its caller's context.
      v.setUint32(at + 4, (info & 0xffff0000) | LINKAGE_STATIC, le);
    } else if (kind === KIND_VAR && v.getUint32(at + 12, le) === LINKAGE_EXTERN) {
      v.setUint32(at + 12, LINKAGE_GLOBAL, le);
      // A typeless ksym (`extern const void x __ksym`) is a VAR of void, which the kernel
      // refuses: as libbpf, it becomes a 4-byte int (the program sees only its address).
      if (isTypelessKsym(btf, btf.type(id))) v.setUint32(at + 8, placeholderInt(context), le);
    } else if (kind === KIND_DATASEC) {
      const { name, size } = fixDatasec(context, at, info & 0xffff);
      if (!datasecs.has(name)) datasecs.set(name, { id, size });
    }
  }
  const bytes = appended.records.length > 0 || appended.strings.length > 0 ? append(btf, out, appended) : out;
  return { bytes, datasecs };
}

interface DatasecContext {
  btf: Btf;
  elf: ElfFile;
  v: DataView;
  kconfig: KconfigData | undefined;
  appended: Appended;
}

/** Fixes the DATASEC record at `at`; returns its name and the size it now has. */
function fixDatasec(c: DatasecContext, at: number, vlen: number): { name: string; size: number } {
  const { btf, elf, v } = c;
  const le = btf.byteOrder === 'little';
  const name = btf.string(v.getUint32(at, le));
  const section = elf.section(name);
  // The values of the section's named symbols: where its variables are. A name several symbols
  // share (static variables of one name from objects linked together) keeps every value.
  const symbolValue = new Map<string, number | number[]>();
  if (section && name !== '.kconfig')
    for (const sym of elf.symbols) {
      if (sym.section !== section.index || !sym.name) continue;
      const seen = symbolValue.get(sym.name);
      const value = Number(sym.value);
      if (seen === undefined) symbolValue.set(sym.name, value);
      else symbolValue.set(sym.name, [...(typeof seen === 'number' ? [seen] : seen), value]);
    }
  let next = 0;
  for (let i = 0; i < vlen; i++) {
    const entry = at + 12 + i * 12;
    const variable = btf.type(v.getUint32(entry, le));
    let size = v.getUint32(entry + 8, le);
    if (variable.kind === 'func') {
      if (name !== '.ksyms')
        throw new ElfError(`BTF section ${name} holds function ${variable.name}; only .ksyms may`);
      v.setUint32(entry, placeholderVar(c), le);
      size = PLACEHOLDER_SIZE;
      v.setUint32(entry + 8, size, le);
    } else if (isTypelessKsym(btf, variable)) {
      size = PLACEHOLDER_SIZE; // the variable is made a 4-byte int
      v.setUint32(entry + 8, size, le);
    }
    let offset: number | undefined;
    if (name === '.kconfig') offset = c.kconfig?.externs.get(variable.name)?.offset;
    else if (section)
      offset = symbolOffset(symbolValue.get(variable.name), v.getUint32(entry + 4, le), variable.name, name);
    if (offset === undefined) {
      if (section && name !== '.kconfig')
        throw new ElfError(`BTF variable ${variable.name} of ${name} has no symbol`);
      offset = Math.ceil(next / 8) * 8; // sections that live only in BTF (.ksyms): lay out in order
    }
    v.setUint32(entry + 4, offset, le);
    next = Math.max(next, offset + size);
  }
  sortByOffset(v, at + 12, vlen, le);
  const size =
    name === '.kconfig' && c.kconfig ? c.kconfig.contents.byteLength : section ? section.size : next;
  const fixed = Math.max(size, next, 1);
  v.setUint32(at + 8, fixed, le);
  return { name, size: fixed };
}

/**
 * The offset of variable `name` of section `section`, whose symbols have `values`: its one
 * symbol's; of several (static variables of one name, from objects linked into one), the
 * offset the DATASEC entry gives (`given`: a linker writes each variable's).
 * @throws ElfError when `given` is none of several symbols' values: which is meant is unknown
 */
function symbolOffset(
  values: number | number[] | undefined,
  given: number,
  name: string,
  section: string,
): number | undefined {
  if (values === undefined || typeof values === 'number') return values;
  if (values.includes(given)) return given;
  throw new ElfError(
    `BTF variable ${name} of ${section} is at offset ${given}, where none of the ${values.length} symbols of its name is (${values.join(', ')})`,
  );
}

/**
 * Sorts a DATASEC's `btf_var_secinfo` entries by offset, as the kernel wants them and as
 * libbpf does: `.kconfig` externs are laid out in another order than declared.
 */
function sortByOffset(v: DataView, first: number, count: number, le: boolean): void {
  let sorted = true;
  for (let i = 1; i < count && sorted; i++)
    sorted = v.getUint32(first + i * 12 + 4, le) >= v.getUint32(first + (i - 1) * 12 + 4, le);
  if (sorted) return;
  const entries: [number, number, number][] = [];
  for (let i = 0; i < count; i++) {
    const e = first + i * 12;
    entries.push([v.getUint32(e, le), v.getUint32(e + 4, le), v.getUint32(e + 8, le)]);
  }
  entries.sort((a, b) => a[1] - b[1]);
  entries.forEach(([type, offset, size], i) => {
    const e = first + i * 12;
    v.setUint32(e, type, le);
    v.setUint32(e + 4, offset, le);
    v.setUint32(e + 8, size, le);
  });
}

/**
 * Names the unnamed parameters of an extern function's prototype: clang leaves them
 * unnamed in declarations, and the kernel refuses a FUNC whose parameters have no names.
 */
function nameParams(c: DatasecContext, protoId: number): void {
  const { btf, v } = c;
  const le = btf.byteOrder === 'little';
  if (protoId < btf.firstId || btf.type(protoId).kind !== 'func_proto') return;
  const at = btf.recordOffset(protoId);
  const vlen = v.getUint32(at + 4, le) & 0xffff;
  for (let i = 0; i < vlen; i++) {
    const param = at + 12 + i * 8;
    if (v.getUint32(param, le) === 0 && v.getUint32(param + 4, le) !== 0)
      v.setUint32(param, placeholderName(c), le);
  }
}

/** The string offset of the placeholder's name, appending it on first use. */
function placeholderName(c: DatasecContext): number {
  c.appended.placeholderName ??= newString(c, PLACEHOLDER_NAME);
  return c.appended.placeholderName;
}

/**
 * Whether `variable` is a typeless kernel-symbol extern (`extern const void name __ksym;`): an
 * extern VAR whose type is void under its qualifiers and typedefs. libbpf resolves such a symbol
 * by name in `/proc/kallsyms`, not in the kernel's BTF.
 */
export function isTypelessKsym(btf: Btf, variable: BtfType): boolean {
  return (
    variable.kind === 'var' &&
    variable.linkage === 'extern' &&
    resolveType(btf, variable.type).kind === 'void'
  );
}

/** The names of the typeless kernel-symbol externs of the object's `.ksyms` section. */
export function typelessKsymNames(btf: Btf): Set<string> {
  const names = new Set<string>();
  const ksyms = btf.find('.ksyms', 'datasec');
  for (const entry of ksyms?.vars ?? []) {
    const variable = btf.type(entry.type);
    if (isTypelessKsym(btf, variable)) names.add(variable.name);
  }
  return names;
}

/** The id of a 4-byte int type: the object's `int`, else one appended on first use. */
function placeholderInt(c: DatasecContext): number {
  const a = c.appended;
  if (a.placeholderInt !== undefined) return a.placeholderInt;
  a.placeholderInt = c.btf.findAll('int', 'int').find((t) => t.size === PLACEHOLDER_SIZE)?.id;
  if (a.placeholderInt === undefined) {
    a.placeholderInt = a.firstId + a.records.length;
    a.records.push([newString(c, 'int'), (KIND_INT << 24) >>> 0, PLACEHOLDER_SIZE, (INT_SIGNED << 24) | 32]);
  }
  return a.placeholderInt;
}

/** The id of the placeholder VAR (a 4-byte int), appending it on first use. */
function placeholderVar(c: DatasecContext): number {
  const a = c.appended;
  if (a.placeholder !== undefined) return a.placeholder;
  const intId = placeholderInt(c);
  a.placeholder = a.firstId + a.records.length;
  a.records.push([placeholderName(c), (KIND_VAR << 24) >>> 0, intId, LINKAGE_GLOBAL]);
  return a.placeholder;
}

/** The string-section offset a string appended now will have. */
function newString(c: DatasecContext, s: string): number {
  const a = c.appended;
  let at = c.btf.header.strLen;
  for (const earlier of a.strings) at += new TextEncoder().encode(earlier).byteLength + 1;
  a.strings.push(s);
  return at;
}

/** `out` with the appended type records after its types and the appended strings after its strings. */
function append(btf: Btf, out: Uint8Array, a: Appended): Uint8Array {
  const le = btf.byteOrder === 'little';
  const h = btf.header;
  const records = a.records.flat();
  const strings = new TextEncoder().encode(a.strings.map((s) => `${s}\0`).join(''));
  const typeLen = h.typeLen + records.length * 4;
  const strLen = h.strLen + strings.byteLength;
  const storage = new ArrayBuffer(h.hdrLen + typeLen + strLen);
  const result = new Uint8Array(storage);
  const v = new DataView(storage);
  result.set(out.subarray(0, h.hdrLen));
  result.set(out.subarray(h.hdrLen + h.typeOff, h.hdrLen + h.typeOff + h.typeLen), h.hdrLen);
  for (let i = 0; i < records.length; i++) v.setUint32(h.hdrLen + h.typeLen + i * 4, records[i]!, le);
  result.set(out.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen), h.hdrLen + typeLen);
  result.set(strings, h.hdrLen + typeLen + h.strLen);
  v.setUint32(HDR_LEN, h.hdrLen, le);
  v.setUint32(TYPE_OFF, 0, le);
  v.setUint32(TYPE_LEN, typeLen, le);
  v.setUint32(STR_OFF, typeLen, le);
  v.setUint32(STR_LEN, strLen, le);
  return result;
}
