import { Btf, BtfBuilder, BtfError, dumpC, fieldPath, parseBtfExt } from '@ts-ebpf/btf';
import { loadBtf, loadKernelBtf } from '@ts-ebpf/btf/kernel';
import { catalog } from '@ts-ebpf/test-utils';
import { describe } from 'vitest';
import { sampleBuilder } from './sample.js';

const sample = sampleBuilder().build({ byteOrder: 'little' });

/** Little-endian sample BTF with one byte (or 32-bit word) changed. */
function patched(at: number, word: number): Uint8Array {
  const b = sampleBuilder().toBytes({ byteOrder: 'little' });
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, word, true);
  return b;
}

describe('btf: plausible mistakes get typed errors that name their subject', () => {
  catalog([
    {
      what: 'parsing a truncated BTF header',
      act: () => Btf.parse(Uint8Array.of(0x9f, 0xeb, 1, 0, 24)),
      error: BtfError,
      names: ['BTF header is truncated'],
    },
    {
      what: 'parsing bytes that are not BTF (bad magic)',
      act: () => Btf.parse(new TextEncoder().encode('\x7fELF this is an object file')),
      error: BtfError,
      names: ['bad magic number 0x457f'],
    },
    {
      what: 'parsing a BTF version this library does not know',
      act: () => {
        const b = sampleBuilder().toBytes({ byteOrder: 'little' });
        b[2] = 2;
        return Btf.parse(b);
      },
      error: BtfError,
      names: ['unsupported BTF version 2'],
    },
    {
      what: 'a type name offset outside the string section',
      // the name offset of type 1 is the first word after the 24-byte header
      act: () => Btf.parse(patched(24, 0x00ffffff)).type(1),
      error: BtfError,
      names: ['string offset 16777215 is outside the string section', 'byte offset 24'],
    },
    {
      what: 'a type that refers to a type id that does not exist names the type, the field and the byte',
      act: () => {
        const ptr = [...sample.types()].find((t) => t.kind === 'ptr')!.id;
        // the target of a PTR is the record's third word
        const at = sample.recordOffset(ptr) + 8;
        return dumpC(Btf.parse(patched(at, 9999)));
      },
      error: BtfError,
      names: [/ptr \(id \d+\): type refers to type id 9999, which does not exist/, 'byte offset'],
    },
    {
      what: 'asking for a type id that does not exist',
      act: () => sample.type(9999),
      error: BtfError,
      names: ['type id 9999'],
    },
    {
      what: 'asking for a type name that does not exist',
      act: () => sample.get('nodes', 'struct'),
      error: BtfError,
      names: ["struct named 'nodes'"],
    },
    {
      what: 'a lookup by a misspelt kind (an untyped caller) names the kind instead of matching any',
      act: () => sample.get('node', 'structure' as 'struct'),
      error: BtfError,
      names: ["unknown BTF kind 'structure'", 'struct, union'],
    },
    {
      what: 'a lookup of a named type as void (id 0 has no name) finds nothing',
      act: () => sample.get('int', 'void'),
      error: BtfError,
      names: ["no void named 'int'"],
    },
    {
      what: 'a field path with a misspelt field names the path',
      act: () => fieldPath(sample, 'node.valeu'),
      error: BtfError,
      names: ["field path 'node.valeu'", "no field 'valeu'"],
      cause: BtfError,
    },
    {
      what: 'a field path through a pointer with . names the path',
      act: () => fieldPath(sample, sample.get('node', 'struct').id, '.next.value'),
      error: BtfError,
      names: ["'.next.value'", "write '->value'"],
      cause: BtfError,
    },
    {
      what: 'a builder pointer to a type id that does not exist',
      act: () => {
        const b = new BtfBuilder();
        b.int('int', 4);
        b.ptr(42);
        return b.toBytes();
      },
      error: BtfError,
      names: ['ptr (id 2)', 'type id 42'],
    },
    {
      what: 'a builder struct member whose type id does not exist (added raw)',
      act: () => {
        const b = new BtfBuilder();
        b.add({
          kind: 'struct',
          name: 'pair',
          size: 8,
          members: [{ name: 'a', type: 7, bitOffset: 0, bitfieldSize: 0 }],
        });
        return b.build();
      },
      error: BtfError,
      names: ["struct 'pair' (id 1)", "member 0 'a'", 'type id 7'],
    },
    {
      what: 'a builder enum value beyond 32 bits',
      act: () => {
        const b = new BtfBuilder();
        b.enum('flags', { HIGH: 2 ** 33 });
        return b.toBytes();
      },
      error: BtfError,
      names: ["enum 'flags'", 'HIGH = 8589934592'],
    },
    {
      what: 'a builder enum value its signedness would read back as another number',
      act: () => {
        const b = new BtfBuilder();
        b.enum('e', { NEG: -1, BIG: 0xffffffff }); // signed (NEG): BIG would read back as -1
        return b.toBytes();
      },
      error: BtfError,
      names: ["enum 'e'", 'BIG = 4294967295', 'signed 32-bit'],
    },
    {
      what: 'a builder negative value in an unsigned enum64',
      act: () => {
        const b = new BtfBuilder();
        b.enum64('w', { NEG: -1n }, { signed: false });
        return b.toBytes();
      },
      error: BtfError,
      names: ["enum64 'w'", 'NEG = -1', 'unsigned 64-bit'],
    },
    {
      what: 'a builder int of 3 bytes',
      act: () => new BtfBuilder().int('u24', 3),
      error: BtfError,
      names: ["int 'u24'", 'size 3'],
    },
    {
      what: 'a builder struct name the kernel refuses (not an identifier)',
      act: () => new BtfBuilder().struct('my-struct', []),
      error: BtfError,
      names: ["struct 'my-struct' (id 1)", "name 'my-struct' is not an identifier"],
    },
    {
      what: 'a builder member name the kernel refuses',
      act: () => {
        const b = new BtfBuilder();
        b.struct('s', [{ name: '1st', type: b.int('int', 4, { signed: true }) }]);
      },
      error: BtfError,
      names: ["struct 's' (id 2)", "member 0 '1st' name '1st' is not an identifier"],
    },
    {
      what: 'a builder typedef without a name',
      act: () => {
        const b = new BtfBuilder();
        b.typedef('', b.int('int', 4, { signed: true }));
      },
      error: BtfError,
      names: ['typedef (id 2)', 'a typedef needs a name'],
    },
    {
      what: 'a builder const with a name (added raw)',
      act: () => {
        const b = new BtfBuilder();
        b.add({ kind: 'const', name: 'c', type: b.int('int', 4, { signed: true }) });
      },
      error: BtfError,
      names: ["const 'c' (id 2)", "cannot have a name (it has 'c')"],
    },
    {
      what: 'a builder float of a size the kernel refuses',
      act: () => new BtfBuilder().float('f24', 3),
      error: BtfError,
      names: ["float 'f24' (id 1)", 'size 3 is not a float size'],
    },
    {
      what: 'a builder enum of a size the kernel refuses',
      act: () => new BtfBuilder().enum('e', { A: 1 }, { size: 3 }),
      error: BtfError,
      names: ["enum 'e' (id 1)", 'size 3 is not an enum size'],
    },
    {
      what: 'a builder extern variable (the kernel takes static and global ones)',
      act: () => {
        const b = new BtfBuilder();
        b.var('cfg', b.int('int', 4, { signed: true }), 'extern');
      },
      error: BtfError,
      names: ["var 'cfg' (id 2)", 'no extern var'],
    },
    {
      what: 'a builder union member away from offset 0',
      act: () => {
        const b = new BtfBuilder();
        b.union('u', [{ name: 'a', type: b.int('int', 4, { signed: true }), bitOffset: 8 }], 4);
      },
      error: BtfError,
      names: ["union 'u' (id 2)", "member 0 'a' is at bit 8"],
    },
    {
      what: 'a builder struct given a size its members do not fit in',
      act: () => {
        const b = new BtfBuilder();
        b.struct('s', [{ name: 'a', type: b.int('int', 4, { signed: true }) }], 2);
        return b.toBytes();
      },
      error: BtfError,
      names: ["struct 's' (id 2)", "member 0 'a' ends at bit 32, past the end of 2 bytes"],
    },
    {
      what: 'a builder variable over a cycle of typedefs names the variable',
      act: () => {
        const b = new BtfBuilder();
        const loop = b.typedef('loop_a', b.nextId + 1);
        b.typedef('loop_b', loop);
        b.var('v', loop);
        return b.toBytes();
      },
      error: BtfError,
      names: ["var 'v' (id 3)", 'cycle'],
      cause: BtfError,
    },
    {
      what: 'a builder struct member of type void names the struct and member',
      act: () => new BtfBuilder().struct('s', [{ name: 'a', type: 0 }]),
      error: BtfError,
      names: ["struct 's' (id 1)", "member 0 'a'", 'void'],
      cause: BtfError,
    },
    {
      what: 'a builder func over a type that is no func_proto',
      act: () => {
        const b = new BtfBuilder();
        b.func('f', b.int('int', 4, { signed: true }));
        return b.toBytes();
      },
      error: BtfError,
      names: ["func 'f' (id 2)", 'not a func_proto'],
    },
    {
      what: 'a builder func whose parameters have no names',
      act: () => {
        const b = new BtfBuilder();
        const int = b.int('int', 4, { signed: true });
        b.func('f', b.funcProto(int, [{ name: '', type: int }]));
        return b.toBytes();
      },
      error: BtfError,
      names: ["func 'f' (id 3)", 'parameter 0', 'has no name'],
    },
    {
      what: 'a builder data section entry that is no var',
      act: () => {
        const b = new BtfBuilder();
        b.datasec('.data', [{ type: b.int('int', 4, { signed: true }), offset: 0, size: 4 }]);
        return b.toBytes();
      },
      error: BtfError,
      names: ["datasec '.data' (id 2)", 'variable 0 is type 1, a int, not a var'],
    },
    {
      what: 'a builder decl_tag on a kind that cannot be tagged',
      act: () => {
        const b = new BtfBuilder();
        b.declTag('tag', b.int('int', 4, { signed: true }));
        return b.toBytes();
      },
      error: BtfError,
      names: ["decl_tag 'tag' (id 2)", 'tags type 1, a int'],
    },
    {
      what: 'setting the members of a base type through a split builder',
      act: () => new BtfBuilder(sample).setMembers(sample.get('node', 'struct').id, []),
      error: BtfError,
      names: [`type ${sample.get('node', 'struct').id} was not added by this builder`],
    },
    {
      what: 'split BTF in a byte order other than its base',
      act: () => {
        const b = new BtfBuilder(sample);
        b.ptr(1);
        return b.toBytes({ byteOrder: 'big' });
      },
      error: BtfError,
      names: ['little-endian like its base'],
    },
    {
      what: 'parsing BTF asked to be in the host order when it is not',
      act: () => Btf.parse(sampleBuilder().toBytes({ byteOrder: 'big' }), { byteOrder: 'little' }),
      error: BtfError,
      names: ['big-endian', 'little-endian data was expected'],
    },
    {
      what: 'parsing split BTF without its base',
      act: () => {
        const b = new BtfBuilder(sample);
        b.ptr(b.struct('on_top', [{ name: 'n', type: sample.get('int', 'int').id }]));
        return Btf.parse(b.toBytes());
      },
      error: BtfError,
      names: ['string section does not start with an empty string', 'split', '{ base }'],
    },
    {
      what: 'loading split BTF into the kernel (BPF_BTF_LOAD takes no base)',
      act: () => {
        const b = new BtfBuilder(sample);
        b.ptr(sample.get('node', 'struct').id);
        loadBtf(b).close();
      },
      error: BtfError,
      names: ['split BTF', 'BPF_BTF_LOAD', 'base'],
    },
    {
      what: 'parsing .BTF.ext that is not BTF.ext',
      act: () => parseBtfExt(new Uint8Array(32), sample),
      error: BtfError,
      names: ['BTF.ext has a bad magic number'],
    },
    {
      what: 'loading kernel BTF by a module name that is a path',
      act: () => loadKernelBtf('../../../etc/hostname'),
      error: BtfError,
      names: ["'../../../etc/hostname' is not a kernel module name"],
    },
    {
      what: 'loading the kernel BTF of a module that is not loaded',
      act: () => loadKernelBtf('ts_ebpf_no_such_module'),
      error: BtfError,
      names: ["kernel module 'ts_ebpf_no_such_module'", '/sys/kernel/btf/ts_ebpf_no_such_module', 'loaded'],
      cause: Error,
    },
  ]);
});
