import { rmSync } from 'node:fs';
import { BpfMap, MapNotFoundError, MapType, u32 } from '@ts-ebpf/maps';
import { BpfProgType, NotAProgramError, Program } from '@ts-ebpf/programs';
import { ensureBpffs, NotFoundError } from '@ts-ebpf/syscall';
import { catalog, describeKernel, returns } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll } from 'vitest';
import { Args } from '../src/args.js';
import { btfById } from '../src/btf-object.js';
import { btfFromFile } from '../src/btf-source.js';
import {
  CliError,
  EntryNotFoundError,
  ObjectNotFoundError,
  UsageError,
  WrongObjectKindError,
} from '../src/errors.js';
import { checkLength, readBytes } from '../src/hex.js';
import { deleteEntry, lookupEntry } from '../src/map-entries.js';
import { openLink, openMap, openProgram, readRef } from '../src/targets.js';
import { uniquePin } from './run.js';

describeKernel('mistakes: typed errors of the ts-ebpf command line', () => {
  let map: BpfMap<number, number>;
  let program: Program;
  const mapPin = uniquePin('mistake-map');
  const progPin = uniquePin('mistake-prog');

  beforeAll(() => {
    ensureBpffs();
    map = BpfMap.create({ type: MapType.HASH, name: 'cli_mistakes', key: u32, value: u32, maxEntries: 2 });
    map.pin(mapPin);
    program = Program.load({
      type: BpfProgType.SOCKET_FILTER,
      name: 'cli_mistake',
      instructions: returns(0),
    });
    program.pin(progPin);
  });

  afterAll(() => {
    rmSync(mapPin, { force: true });
    rmSync(progPin, { force: true });
    map?.close();
    program?.close();
  });

  catalog([
    {
      what: 'a program id nothing has',
      act: () => openProgram({ id: 4294967295 }),
      error: ObjectNotFoundError,
      names: ['no program has id 4294967295'],
      cause: NotFoundError,
    },
    {
      what: 'a link id nothing has',
      act: () => openLink({ id: 4294967295 }),
      error: ObjectNotFoundError,
      names: ['no link has id 4294967295'],
      cause: NotFoundError,
    },
    {
      what: 'a BTF object id nothing has',
      act: () => btfById(4294967295),
      error: ObjectNotFoundError,
      names: ['no BTF object has id 4294967295'],
      cause: NotFoundError,
    },
    {
      what: 'a map id nothing has',
      act: () => openMap({ id: 4294967295 }),
      error: MapNotFoundError,
      names: ['map id 4294967295'],
    },
    {
      what: 'a map pinned where a program is expected',
      act: () => openProgram({ pinned: mapPin }),
      error: NotAProgramError,
      names: [mapPin],
    },
    {
      what: 'a program pinned where a link is expected',
      act: () => openLink({ pinned: progPin }),
      error: WrongObjectKindError,
      names: [progPin, 'not a link', 'program'],
    },
    {
      what: 'a BTF file that does not exist',
      act: () => btfFromFile('/nonexistent/prog.bpf.o'),
      error: CliError,
      names: ['/nonexistent/prog.bpf.o', 'ENOENT'],
    },
    {
      what: 'a BTF file that is neither BTF nor ELF',
      act: () => btfFromFile('/proc/self/status'),
      error: CliError,
      names: ['/proc/self/status', 'neither raw BTF'],
    },
    {
      what: 'a key of the wrong length',
      act: () => {
        const args = new Args(['1', '0'], 'ts-ebpf map lookup MAP key BYTES');
        checkLength(args, 'key', readBytes(args, 'key', []), [4]);
      },
      error: UsageError,
      names: ['key has 2 bytes; this map takes 4'],
    },
    {
      what: 'a byte past 255',
      act: () => readBytes(new Args(['0x100'], 'ts-ebpf map lookup MAP key BYTES'), 'key', []),
      error: UsageError,
      names: ["'0x100' is not a byte"],
    },
    {
      what: 'an object named neither by id nor by path',
      act: () => readRef(new Args(['my_map'], 'ts-ebpf map show MAP'), 'map'),
      error: UsageError,
      names: ["'my_map' names no map"],
    },
    {
      what: 'a key the map does not hold, looked up',
      act: () => {
        using m = openMap({ id: map.info().id });
        lookupEntry(m, new Uint8Array([9, 0, 0, 0]), 'map cli_mistakes');
      },
      error: EntryNotFoundError,
      names: ['map cli_mistakes has no entry with key 09 00 00 00'],
    },
    {
      what: 'a key the map does not hold, deleted',
      act: () => {
        using m = openMap({ pinned: mapPin });
        deleteEntry(m, new Uint8Array([7, 0, 0, 0]), 'map cli_mistakes');
      },
      error: EntryNotFoundError,
      names: ['map cli_mistakes has no entry with key 07 00 00 00'],
    },
  ]);
});
