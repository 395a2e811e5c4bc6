import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalog } from '@ts-ebpf/test-utils';
import { afterAll } from 'vitest';
import {
  GenArgumentError,
  GenError,
  generateBindings,
  parseGenArguments,
  UnsupportedTypeError,
} from '../src/index.js';
import { compileFixture } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-gen-'));
const opaque = readFileSync(compileFixture('opaque.bpf.c', dir));
const opaqueMap = readFileSync(compileFixture('opaque.bpf.c', dir, ['OPAQUE_MAP']));
const withoutBtf = readFileSync(compileFixture('opaque.bpf.c', dir, [], { debug: false }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

catalog([
  {
    what: 'an unknown option',
    act: () => parseGenArguments(['prog.o', '--nmae', 'X']),
    error: GenArgumentError,
    names: ['--nmae', 'unknown option'],
  },
  {
    what: '-o without its value',
    act: () => parseGenArguments(['prog.o', '-o']),
    error: GenArgumentError,
    names: ['-o', 'needs a value'],
  },
  {
    what: 'no object file',
    act: () => parseGenArguments(['--embed']),
    error: GenArgumentError,
    names: ['<object.o>', 'missing'],
  },
  {
    what: 'two object files',
    act: () => parseGenArguments(['a.o', 'b.o']),
    error: GenArgumentError,
    names: ['b.o', 'a.o'],
  },
  {
    what: '--embed with --reference',
    act: () => parseGenArguments(['a.o', '-o', 'a.ts', '--embed', '--reference']),
    error: GenArgumentError,
    names: ['--reference', '--embed'],
  },
  {
    what: '--keep-debug with --reference (the module reads the file as it is)',
    act: () => parseGenArguments(['a.o', '-o', 'a.ts', '--reference', '--keep-debug']),
    error: GenArgumentError,
    names: ['--keep-debug', '--embed'],
  },
  {
    what: '--reference without -o',
    act: () => parseGenArguments(['a.o', '--reference']),
    error: GenArgumentError,
    names: ['--reference', '-o'],
  },
  {
    what: 'an object without BTF (compiled without -g)',
    act: () => generateBindings(withoutBtf, { name: 'Opaque', source: 'opaque.bpf.o' }),
    error: GenError,
    names: ['opaque.bpf.o', 'no .BTF', 'clang -g'],
  },
  {
    what: '--type of a struct the object only declares',
    act: () => generateBindings(opaque, { name: 'Opaque', types: ['opaque'] }),
    error: UnsupportedTypeError,
    names: ['struct opaque', 'forward declaration'],
  },
  {
    what: 'a map whose value is a struct the object only declares',
    act: () => generateBindings(opaqueMap, { name: 'Opaque' }),
    error: UnsupportedTypeError,
    names: ['struct opaque', 'map opaque_values value', 'forward declaration'],
  },
  {
    what: '--type with a kind word that is not struct, union, enum or typedef',
    act: () => generateBindings(opaque, { name: 'Opaque', types: ['widget opaque'] }),
    error: GenArgumentError,
    names: ['--type widget opaque', "unknown kind 'widget'"],
  },
  {
    what: '--type of a type the object does not have',
    act: () => generateBindings(opaque, { name: 'Opaque', types: ['struct missing'] }),
    error: UnsupportedTypeError,
    names: ['struct missing', 'no such type', 'const struct missing *unused __attribute__((unused));'],
  },
  {
    what: '--type of a misspelt type: the name the object has, suggested',
    act: () => generateBindings(opaque, { name: 'Opaque', types: ['struct opaqe'] }),
    error: UnsupportedTypeError,
    names: ['struct opaqe', "no such type (did you mean 'opaque'?)"],
  },
  {
    what: 'a class name that is a global the module uses (it was renamed Map2 without a word)',
    act: () => generateBindings(opaque, { name: 'Map' }),
    error: GenArgumentError,
    names: ['--name Map', 'class name Map', 'global'],
  },
  {
    what: 'a class name that a codec the module imports has (u8)',
    act: () => generateBindings(opaque, { name: 'u8' }),
    error: GenArgumentError,
    names: ['--name u8', 'imports'],
  },
  {
    what: 'a class name that is a keyword',
    act: () => generateBindings(opaque, { name: 'class' }),
    error: GenArgumentError,
    names: ['--name class', 'keyword'],
  },
  {
    what: '--type of a typedef of an int (nothing was declared, without a word)',
    act: () => generateBindings(opaque, { name: 'Opaque', types: ['__u32'] }),
    error: GenArgumentError,
    names: ['--type __u32', '__u32 is a number with the codec u32', 'no declaration of its own'],
  },
  {
    what: 'a class name without a letter or digit (it was called Anon)',
    act: () => generateBindings(opaque, { name: '' }),
    error: GenArgumentError,
    names: ['--name', 'no letter or digit'],
  },
]);
