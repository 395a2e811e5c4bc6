import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import {
  AssemblyError,
  assemble,
  be,
  bpf,
  ContextAccessError,
  call,
  DisassemblyError,
  DuplicatePluginError,
  definePlugin,
  disassemble,
  exit,
  HelperNotAllowedError,
  ja,
  ldImm64,
  ldMapFd,
  loadContext,
  mark,
  mov,
  ParseError,
  PluginError,
  PluginRegistry,
  PluginSectionError,
  parse,
  pluginSection,
  program,
  R0,
  R1,
  R10,
  reg,
  storeContext,
  TemplateError,
} from '../src/index.js';
import { sampleSocketPlugin } from './support/sample-plugin.js';

/** Bytes of `r1 = 1 << 40 ll; exit` with one byte changed. */
function ldImm64Bytes(at: number, value: number): Uint8Array {
  const b = assemble([ldImm64(R1, 1n << 40n), exit()], { byteOrder: 'little' });
  b[at] = value;
  return b;
}

describe('dsl: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'calling a misspelt helper suggests the nearest name',
      act: () => call('bpf_map_lookup_elm'),
      error: AssemblyError,
      names: ["'bpf_map_lookup_elm'", /did you mean '(bpf_)?map_lookup_elem'/],
    },
    {
      what: 'a misspelt helper in bpf text is suggested as the text writes helpers, with bpf_',
      act: () =>
        assemble(bpf`call bpf_map_lookup_elm
        r0 = 0
        exit`),
      error: AssemblyError,
      names: ["undefined label 'bpf_map_lookup_elm'", "did you mean 'bpf_map_lookup_elem'?"],
    },
    {
      what: 'jumping to a label that does not exist',
      act: () => assemble([ja('nowhere'), exit()]),
      error: AssemblyError,
      names: ["undefined label 'nowhere'", 'instruction #0'],
    },
    {
      what: 'the same label twice',
      act: () => assemble(program(mark('out'), mov(R0, 0), mark('out'), exit())),
      error: AssemblyError,
      names: ["duplicate label 'out'", 'instruction #1'],
    },
    {
      what: 'a label at the end with no instruction after it',
      act: () => program(mov(R0, 0), exit(), mark('end')),
      error: AssemblyError,
      names: ["label 'end'"],
    },
    {
      what: 'an immediate beyond 32 bits',
      act: () => assemble([mov(R0, 2 ** 32), exit()]),
      error: AssemblyError,
      names: ['immediate 4294967296', 'instruction #0'],
    },
    {
      what: 'a register number above r10',
      act: () => reg(11),
      error: AssemblyError,
      names: ['r11'],
    },
    {
      what: 'writing the frame pointer',
      act: () => assemble([mov(R10, 0), exit()]),
      error: AssemblyError,
      names: ['r10', 'instruction #0'],
    },
    {
      what: 'a byte swap of 8 bits',
      act: () => be(R1, 8 as 16),
      error: AssemblyError,
      names: ['not 8'],
    },
    {
      what: 'a map load whose map is not given',
      act: () => assemble([ldMapFd(R1, 'events'), exit()]),
      error: AssemblyError,
      names: ["map 'events'"],
    },
    {
      what: 'assembler text given to assemble',
      act: () => assemble('r0 = 0; exit' as never),
      error: AssemblyError,
      names: ['not text (parse it with parse or bpf``)'],
    },
    {
      what: 'undefined among the instructions given to assemble',
      act: () => assemble([mov(R0, 0), undefined as never, exit()]),
      error: AssemblyError,
      names: ['instruction #1 (undefined): not an instruction'],
    },
    {
      what: 'a false condition left in a program fragment',
      act: () => program(mov(R0, 0), [mov(R1, 1), false as never], exit()),
      error: AssemblyError,
      names: ['program part #1.1 is false'],
    },
    {
      what: 'instruction bytes that are not a multiple of 8',
      act: () => disassemble(new Uint8Array(12)),
      error: DisassemblyError,
      names: ['length 12', 'at byte 8'],
    },
    {
      what: 'an ld_imm64 without its second slot',
      act: () => disassemble(ldImm64Bytes(0, 0x18).subarray(0, 8)),
      error: DisassemblyError,
      names: ['missing its second slot', 'at byte 0'],
    },
    {
      what: 'an ld_imm64 second slot with reserved fields set',
      act: () => disassemble(ldImm64Bytes(9, 0x13), { byteOrder: 'little' }),
      error: DisassemblyError,
      names: ['at byte 8', 'reserved fields', 'registers 0x13'],
    },
    {
      what: 'an unknown opcode in bytes',
      act: () => disassemble(Uint8Array.of(0x95, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0)),
      error: DisassemblyError,
      names: ['at byte 8', '0xff'],
    },
    {
      what: 'an object without fd in the bpf template',
      act: () => bpf`r0 = 0; r1 = ${{ name: 'events' }}; exit`,
      error: TemplateError,
      names: ['interpolation #1', 'keys {name}'],
    },
    {
      what: 'undefined in the bpf template',
      act: () => bpf`r0 = ${0}; r1 = ${undefined}; exit`,
      error: TemplateError,
      names: ['interpolation #2', 'undefined'],
    },
    {
      what: 'assembler text that does not parse names the line',
      act: () => parse('r0 = 1\nr0 = banana\nexit'),
      error: ParseError,
      names: ['line 2', 'r0 = banana'],
    },
    {
      what: 'assembler text with register r12 names the line and register',
      act: () => parse('r0 = 1\nexit\nr12 = 1'),
      error: ParseError,
      names: ['line 3', 'r12'],
    },
    {
      what: 'registering a plugin whose name a registry already has',
      act: () => new PluginRegistry([sampleSocketPlugin, sampleSocketPlugin]),
      error: DuplicatePluginError,
      names: ["plugin 'sample_socket'", 'the name'],
    },
    {
      what: 'registering a second plugin for a section',
      act: () =>
        new PluginRegistry([sampleSocketPlugin, definePlugin({ ...sampleSocketPlugin, name: 'my_socket' })]),
      error: DuplicatePluginError,
      names: ["plugin 'my_socket'", "section 'socket'", "plugin 'sample_socket'"],
    },
    {
      what: 'a plugin naming a section that is not libbpf one',
      act: () => definePlugin({ ...sampleSocketPlugin, sections: ['sockett'] }),
      error: PluginError,
      names: ["plugin 'sample_socket'", "'sockett'"],
    },
    {
      what: 'a section the plugin does not have',
      act: () => pluginSection(sampleSocketPlugin, 'xdp'),
      error: PluginSectionError,
      names: ["plugin 'sample_socket'", "section 'xdp'"],
    },
    {
      what: 'a return code the plugin does not have (it returned 0)',
      act: () => pluginSection(sampleSocketPlugin, 'socket').ret('SK_REDIRECT' as 'DROP'),
      error: PluginError,
      names: ["plugin 'sample_socket'", "section 'socket'", '"SK_REDIRECT"', 'DROP'],
    },
    {
      what: 'sectionReturns naming a section the plugin does not have',
      act: () =>
        definePlugin({ ...sampleSocketPlugin, sectionReturns: { 'sk_skb/stream_parser': { codes: {} } } }),
      error: PluginError,
      names: ["plugin 'sample_socket'", 'sectionReturns', "'sk_skb/stream_parser'"],
    },
    {
      what: 'sectionReturns both having and refusing a code',
      act: () =>
        definePlugin({
          ...sampleSocketPlugin,
          sectionReturns: { socket: { codes: { DROP: 0 }, refused: { DROP: 'it drops' } } },
        }),
      error: PluginError,
      names: ["plugin 'sample_socket'", "'socket'", 'both has and refuses DROP'],
    },
    {
      what: 'an inherited property taken for a return code',
      act: () => pluginSection(sampleSocketPlugin, 'socket').ret('toString' as 'DROP'),
      error: PluginError,
      names: ['"toString"'],
    },
    {
      what: 'a helper the program type may not call, refused before load',
      act: () => pluginSection(sampleSocketPlugin, 'socket').build([call('xdp_adjust_head'), exit()]),
      error: HelperNotAllowedError,
      names: [
        'helper bpf_xdp_adjust_head#44',
        'SOCKET_FILTER',
        'instruction #1 (call bpf_xdp_adjust_head#44)',
      ],
    },
    {
      what: 'a helper id no helper has, refused before load with the word the kernel uses',
      act: () =>
        pluginSection(sampleSocketPlugin, 'socket').build([
          { code: 0x85, dst: 0, src: 0, off: 0, imm: 9999 },
          exit(),
        ]),
      error: HelperNotAllowedError,
      names: ['helper unknown#9999', 'SOCKET_FILTER', 'instruction #1 (call 9999)'],
    },
    {
      what: 'a malformed helper call names the helper it calls',
      act: () => assemble([{ code: 0x85, dst: 0, src: 0, off: 1, imm: 1 }, exit()]),
      error: AssemblyError,
      names: ['instruction #0 (call bpf_map_lookup_elem#1)', 'call offset must be 0'],
    },
    {
      what: 'reading a context field the program type may not read',
      act: () => pluginSection(sampleSocketPlugin, 'socket').load('data', R0),
      error: ContextAccessError,
      names: ['struct __sk_buff.data', "section 'socket'"],
    },
    {
      what: 'writing a read-only context field',
      act: () => storeContext(sampleSocketPlugin, 'len', R0),
      error: ContextAccessError,
      names: ['struct __sk_buff.len', 'write'],
    },
    {
      what: 'a context field that does not exist',
      act: () => loadContext(sampleSocketPlugin, 'lenght' as 'len', R0),
      error: ContextAccessError,
      names: ["no field 'lenght'"],
    },
  ]);
});
