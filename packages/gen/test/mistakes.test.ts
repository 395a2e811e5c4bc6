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
]);
