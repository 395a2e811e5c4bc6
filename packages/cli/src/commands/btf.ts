import { type Btf, dumpC } from '@ts-ebpf/btf';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import type { Args } from '../args.js';
import { btfTypeJson, ownTypeIds } from '../btf-json.js';
import { btfById } from '../btf-object.js';
import { btfFromFile } from '../btf-source.js';
import { commandGroup, type Subcommand } from '../command.js';
import { toJson } from '../json.js';
import type { Output } from '../output.js';

/** Types written per chunk of JSON output (vmlinux has ~100 000). */
const CHUNK = 2048;

/** Reads `[id ID | file PATH]`: the BTF to dump, vmlinux when neither is given. */
function readSource(args: Args): Btf {
  if (args.take('id')) return btfById(args.id('the BTF object id'));
  if (args.take('file')) return btfFromFile(args.next('the BTF file path'));
  args.refuseOption(args.peek());
  if (!args.done) throw args.error(`unexpected argument '${args.peek()}': give id ID or file PATH`);
  return kernelBtf();
}

function writeJson(out: Output, btf: Btf): void {
  const ids = [...ownTypeIds(btf)];
  let text = '{"types":[';
  for (let i = 0; i < ids.length; i += CHUNK) {
    text += ids
      .slice(i, i + CHUNK)
      .map((id) => toJson(btfTypeJson(btf, id)))
      .join(',');
    if (i + CHUNK < ids.length) text += ',';
    out.raw(text);
    text = '';
  }
  out.raw(`${text}]}\n`);
}

const dump: Subcommand = {
  words: ['dump'],
  args: '(c|json) [id ID | file PATH]',
  summary: 'BTF as a C header (c) or as bpftool -j btf dump prints it (json); vmlinux by default',
  details:
    'file PATH: raw BTF (/sys/kernel/btf/*; module BTF is read on top of vmlinux) or an ELF object\'s .BTF section.\n`c` prints C text and takes no --json; `json` is always JSON ({"types": [{ "id", "kind", "name", … }]}).',
  run(args, out) {
    const format = args.next('the format (c or json)');
    if (format !== 'c' && format !== 'json') throw args.error(`unknown format '${format}': c or json`);
    if (format === 'c' && args.flags.json)
      throw args.error("'btf dump c' prints C; for JSON use 'btf dump json'");
    const btf = readSource(args);
    args.end();
    if (format === 'json') {
      writeJson(out, btf);
      return;
    }
    // Split BTF (a module's): its own types and what they need from the base.
    const ids = btf.base ? [...ownTypeIds(btf)] : undefined;
    out.raw(dumpC(btf, ids, { header: true }));
  },
};

/** `ts-ebpf btf`: dump BTF as C or JSON. */
export const btfCommand = commandGroup('btf', 'dump BTF type information', [dump]);
