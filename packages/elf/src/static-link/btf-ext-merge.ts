/**
 * The `.BTF.ext` of the output of {@link linkObjects}: every input's func_info, line_info and
 * CO-RE relocation records, grouped by output section, each record's instruction offset moved
 * to where its section's part went, type ids renumbered and strings (file names, source
 * lines, access strings) placed in the output's BTF string table.
 */
import { BTF_MAGIC, CoreReloKind, parseBtfExt, type StringTable } from '@ts-ebpf/btf';
import type { ByteOrder } from '@ts-ebpf/uapi';
import { LinkError } from '../errors.js';
import type { MergedBtf } from './btf-merge.js';
import type { LinkInput } from './inputs.js';
import type { SectionLayout } from './layout.js';

/** Records of one kind by output section name; each record is its 32-bit words. */
type Records = Map<string, number[][]>;

const HEADER_LEN = 32;
/** The record sizes written: the kernel's `bpf_func_info`, `bpf_line_info`, `bpf_core_relo`. */
const RECORD_SIZES = [8, 16, 16] as const;

/**
 * Collects the inputs' `.BTF.ext` records, adding their strings to `strings` (the table the
 * output BTF is then written with), and encodes them; undefined when no input has any.
 * @throws LinkError for records of a section that is not linked
 */
export function mergeBtfExt(
  inputs: readonly LinkInput[],
  layout: SectionLayout,
  btf: MergedBtf,
  strings: StringTable,
  order: ByteOrder,
): Uint8Array | undefined {
  const funcs: Records = new Map();
  const lines: Records = new Map();
  const relos: Records = new Map();
  let any = false;
  for (const input of inputs) {
    const section = input.elf.section('.BTF.ext');
    if (!section || !input.btf) continue;
    any = true;
    const ext = parseBtfExt(input.elf.data(section), input.btf);
    const offsetOf = (name: string): number => {
      const s = input.elf.section(name);
      const part = s && layout.part(input, s.index);
      if (!part)
        throw new LinkError(`${input.name}: .BTF.ext has records for section ${name}, which is not linked`, [
          input.name,
        ]);
      return part.offset;
    };
    const add = (into: Records, name: string, record: number[]) => {
      const list = into.get(name);
      if (list) list.push(record);
      else into.set(name, [record]);
    };
    for (const { section: name, records } of ext.funcInfo) {
      const at = offsetOf(name);
      for (const r of records) add(funcs, name, [r.insnOff + at, btf.idOf(input, r.typeId)]);
    }
    for (const { section: name, records } of ext.lineInfo) {
      const at = offsetOf(name);
      for (const r of records)
        add(lines, name, [
          r.insnOff + at,
          strings.add(r.fileName),
          strings.add(r.line),
          ((r.lineNumber << 10) | r.column) >>> 0,
        ]);
    }
    for (const { section: name, records } of ext.coreRelos) {
      const at = offsetOf(name);
      for (const r of records) {
        const kind = typeof r.kind === 'number' ? r.kind : CoreReloKind.indexOf(r.kind);
        add(relos, name, [r.insnOff + at, btf.idOf(input, r.typeId), strings.add(r.accessString), kind]);
      }
    }
  }
  if (!any) return undefined;
  // sections in output order, so that the same inputs always give the same bytes
  const sectionOrder = layout.sections.map((m) => m.name);
  const blocks = [funcs, lines, relos].map((records, k) =>
    encodeBlock(records, sectionOrder, RECORD_SIZES[k]!, strings, order),
  );
  const le = order === 'little';
  const total = HEADER_LEN + blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, le);
  out[2] = 1;
  v.setUint32(4, HEADER_LEN, le);
  let at = 0;
  blocks.forEach((b, k) => {
    v.setUint32(8 + k * 8, at, le);
    v.setUint32(12 + k * 8, b.length, le);
    out.set(b, HEADER_LEN + at);
    at += b.length;
  });
  return out;
}

/** One info block: the record size, then each section's name, count and records (empty for none). */
function encodeBlock(
  records: Records,
  sectionOrder: readonly string[],
  recordSize: number,
  strings: StringTable,
  order: ByteOrder,
): Uint8Array {
  const names = sectionOrder.filter((n) => records.has(n));
  if (names.length === 0) return new Uint8Array(0);
  let size = 4;
  for (const n of names) size += 8 + records.get(n)!.length * recordSize;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  const le = order === 'little';
  v.setUint32(0, recordSize, le);
  let p = 4;
  for (const n of names) {
    const list = records.get(n)!;
    v.setUint32(p, strings.add(n), le);
    v.setUint32(p + 4, list.length, le);
    p += 8;
    for (const r of list)
      for (const word of r) {
        v.setUint32(p, word, le);
        p += 4;
      }
  }
  return out;
}
