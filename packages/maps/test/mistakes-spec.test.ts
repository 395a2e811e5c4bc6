// Specs the kernel refuses for their map type, caught by BpfMap.create before it asks the kernel
// (each was a bare MapCreateError EINVAL "the kernel refused these arguments").
import { readFileSync } from 'node:fs';
import { BpfMapCreateFlag } from '@ts-ebpf/syscall';
import { catalog, describeKernel, type Mistake } from '@ts-ebpf/test-utils';
import { BpfMap, MapSpecError, MapType, mapTypeName } from '../src/index.js';

const { NO_PREALLOC, STACK_BUILD_ID } = BpfMapCreateFlag;
const depth = Number(readFileSync('/proc/sys/kernel/perf_event_max_stack', 'utf8'));

/** A map's type, key size, value size, and (when not 4 and 0) its maxEntries and flags. */
type Request = [type: number, keySize: number, valueSize: number, maxEntries?: number, flags?: number];

/** The map `r` asks for, named 'm', refused with a MapSpecError naming it and holding `names`. */
function refused(what: string, r: Request, names: string[]): Mistake {
  const [type, keySize, valueSize, maxEntries = 4, flags = 0] = r;
  return {
    what,
    act: () => BpfMap.create({ type, keySize, valueSize, maxEntries, flags, name: 'm' }),
    error: MapSpecError,
    names: [`${mapTypeName(type)} map 'm'`, ...names],
  };
}

const key8 = ['keySize is 8', '4-byte keys'];
const fd8 = ['valueSize is 8', 'is 4 bytes, an fd'];
const v16 = ['valueSize is 16', 'is 4 or 8 bytes'];
const T = MapType;

describeKernel('map mistakes: specs a map type does not take (error catalog)', () => {
  const cases: [string, Request, string[]][] = [
    ['an array with an 8-byte key', [T.ARRAY, 8, 8], key8],
    ['a per-CPU array with an 8-byte key', [T.PERCPU_ARRAY, 8, 8], key8],
    ['a devmap hash with an 8-byte key', [T.DEVMAP_HASH, 8, 4], key8],
    ['a prog array with 8-byte values', [T.PROG_ARRAY, 4, 8], fd8],
    ['a perf event array with 8-byte values', [T.PERF_EVENT_ARRAY, 4, 8], fd8],
    ['a cgroup array with 8-byte values', [T.CGROUP_ARRAY, 4, 8], fd8],
    ['a sockmap with 16-byte values', [T.SOCKMAP, 4, 16], [...v16, 'a socket fd']],
    ['a devmap with 16-byte values', [T.DEVMAP, 4, 16], [...v16, 'an ifindex']],
    ['a cpumap with 16-byte values', [T.CPUMAP, 4, 16], [...v16, 'a queue size']],
    ['an LPM trie without BPF_F_NO_PREALLOC', [T.LPM_TRIE, 8, 4], ['flags 0x0', 'lack BPF_F_NO_PREALLOC']],
    ['a hash of maps without an inner map', [T.HASH_OF_MAPS, 4, 4], ['innerMap is missing', 'template']],
    ['an array of maps without an inner map', [T.ARRAY_OF_MAPS, 4, 4], ['innerMap is missing']],
    [
      'a struct_ops map without a vmlinux value type',
      [T.STRUCT_OPS, 4, 8, 1],
      ['btf', 'StructOpsMap.create'],
    ],
    [
      'a task storage with maxEntries 4',
      [T.TASK_STORAGE, 4, 8, 4, NO_PREALLOC],
      ['maxEntries is 4', 'with 0'],
    ],
    ['a task storage without BPF_F_NO_PREALLOC', [T.TASK_STORAGE, 4, 8, 0], ['lack BPF_F_NO_PREALLOC']],
    ['a ring buffer with a value size', [T.RINGBUF, 0, 8, 4096], ['valueSize is 8', 'created with 0']],
    ['a hash map with a fractional maxEntries', [T.HASH, 4, 8, 1.5], ['maxEntries is 1.5', 'an integer']],
    ['a hash map with a negative maxEntries', [T.HASH, 4, 8, -1], ['maxEntries is -1', 'an integer']],
    ['a queue with a key size', [T.QUEUE, 4, 8], ['keySize is 4', 'they have no keys']],
    ['a bloom filter with a key size', [T.BLOOM_FILTER, 4, 8], ['keySize is 4', 'they have no keys']],
    [
      'a stack trace map whose value is not whole u64 frames',
      [T.STACK_TRACE, 4, 12],
      ['valueSize is 12', 'u64 instruction pointers', 'multiple of 8 bytes'],
    ],
    [
      'a stack trace map deeper than kernel.perf_event_max_stack',
      [T.STACK_TRACE, 4, (depth + 1) * 8],
      [`at most ${depth} u64`, 'perf_event_max_stack', `${depth * 8} bytes`],
    ],
    [
      'a build-id stack trace map whose value is not whole build-id frames',
      [T.STACK_TRACE, 4, 16, 4, STACK_BUILD_ID],
      ['valueSize is 16', 'bpf_stack_build_id', 'multiple of 32 bytes'],
    ],
    [
      'a stack trace map with a flag it does not take',
      [T.STACK_TRACE, 4, 16, 4, NO_PREALLOC],
      [
        'flags 0x1 hold BPF_F_NO_PREALLOC',
        'take only BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_STACK_BUILD_ID',
      ],
    ],
  ];
  catalog(cases.map(([what, r, names]) => refused(what, r, names)));
});
