import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Btf } from '@ts-ebpf/btf';
import { BpfMap, MapSpecError } from '@ts-ebpf/maps';
import {
  AttachError,
  InterfaceNotFoundError,
  TracepointNotFoundError,
  VerifierError,
} from '@ts-ebpf/programs';
import {
  BpfArgumentError,
  BpfAttachType,
  BpfMapType,
  BpfSyscallError,
  ObjectClosedError,
  startHelperThreads,
  stopHelperThreads,
} from '@ts-ebpf/syscall';
import { catalog, describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  AttachOptionsError,
  type AttachTargets,
  attachBySection,
  DataRelocationError,
  ElfError,
  ElfTargetError,
  KconfigError,
  KernelSymbolNotFoundError,
  loadCollection,
  loadCollectionAsync,
  loadCollectionSpec,
  MapCreateError,
  NameNotFoundError,
  ObjectBtfError,
  parseElf,
  readUsdtNotes,
  SectionAttachError,
  SpecEditError,
  UnknownSectionError,
  UsdtAttachError,
  UsdtSpecError,
  type UsdtTarget,
  VariableValueError,
} from '../src/index.js';
import { compileFixture } from './compile.js';
import { CORPUS_DIR, CorpusBuild } from './corpus/build.js';

const SOURCES = {
  'unknown-section.bpf.c': `#include "common.h"
SEC("mystery/thing") int odd_one(void *ctx) { return 0; }
SEC("xdp") int fine(struct xdp_md *ctx) { return XDP_PASS; }
`,
  'pointer-in-data.bpf.c': `#include "common.h"
int counter = 1;
int *counter_at = &counter;
SEC("xdp") int reads_pointer(struct xdp_md *ctx) { return counter_at ? XDP_PASS : XDP_DROP; }
`,
  'strings-in-rodata.bpf.c': `#include "common.h"
const char *const names[] = { "first", "second" };
SEC("xdp") int names_first(struct xdp_md *ctx) { return names[0] ? XDP_PASS : XDP_DROP; }
`,
  'empty-hash.bpf.c': `#include "common.h"
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 0);
  __type(key, u32);
  __type(value, u64);
} empty_hash SEC(".maps");
SEC("xdp") int use_it(struct xdp_md *ctx) {
  u32 k = 0;
  return bpf_map_lookup_elem(&empty_hash, &k) ? XDP_DROP : XDP_PASS;
}
`,
  'kconfig-unknown.bpf.c': `#include "common.h"
extern int CONFIG_TS_EBPF_NO_SUCH_OPTION __kconfig;
SEC("xdp") int reads_config(struct xdp_md *ctx) { return CONFIG_TS_EBPF_NO_SUCH_OPTION ? XDP_DROP : XDP_PASS; }
`,
  'kfunc-missing.bpf.c': `#include "common.h"
extern void bpf_ts_ebpf_no_such_kfunc(void) __ksym;
SEC("xdp") int calls_missing(struct xdp_md *ctx) { bpf_ts_ebpf_no_such_kfunc(); return XDP_PASS; }
`,
  'ksym-missing.bpf.c': `#include "common.h"
extern const int ts_ebpf_no_such_var __ksym;
SEC("xdp") int reads_missing(struct xdp_md *ctx) { return *(int *)bpf_this_cpu_ptr(&ts_ebpf_no_such_var); }
`,
  'ksym-weak.bpf.c': `#include "common.h"
extern void bpf_ts_ebpf_no_such_kfunc(void) __ksym __weak;
extern const int ts_ebpf_no_such_var __ksym __weak;
SEC("xdp") int weak_ok(struct xdp_md *ctx) {
  /* what libbpf's bpf_ksym_exists() tests (this machine's libbpf headers predate it) */
  if (bpf_ts_ebpf_no_such_kfunc) { bpf_ts_ebpf_no_such_kfunc(); return 1; }
  if (&ts_ebpf_no_such_var) return 2 + *(int *)bpf_this_cpu_ptr(&ts_ebpf_no_such_var);
  return XDP_TX;
}
`,
  'attach-sections.bpf.c': `#include "common.h"
SEC("syscall") int by_hand(void *ctx) { return 0; }
SEC("tracepoint/no_category") int tp_flat(void *ctx) { return 0; }
SEC("tracepoint/ts_ebpf_none/nothing") int tp_none(void *ctx) { return 0; }
SEC("socket") int sock_filter(struct __sk_buff *skb) { return 0; }
SEC("kprobe/do_unlinkat+x") int bad_probe(void *ctx) { return 0; }
SEC("tc") int no_direction(struct __sk_buff *skb) { return 0; }
`,
  'usdt-sections.bpf.c': `#include "common.h"
#include <bpf/usdt.bpf.h>
long seen = 0;
SEC("usdt") int BPF_USDT(bare, int x) { seen = x; return 0; }
SEC("usdt/onlyname") int BPF_USDT(unreadable, int x) { seen = x; return 0; }
SEC("usdt//bin/true:tsebpf:none") int BPF_USDT(no_probe, int x) { seen = x; return 0; }
`,
};

let build: CorpusBuild;
const objects = new Map<string, Buffer>();
let sample: Buffer;
let bigEndian: Buffer;
let badAccess: Buffer;
let mapsObject: Buffer;
let usdtTarget: string;
let highByteTarget: string;

beforeAll(() => {
  build = new CorpusBuild();
  for (const [name, source] of Object.entries(SOURCES))
    objects.set(name, build.object(name, { source, includeAfter: ['/usr/include/x86_64-linux-gnu'] }));
  usdtTarget = join(build.dir, 'usdt-target');
  execFileSync('gcc', [
    '-O2',
    '-o',
    usdtTarget,
    join(CORPUS_DIR, 'usdt-target.c'),
    join(CORPUS_DIR, 'usdt-target-sem.c'),
  ]);
  // The same binary with its sem probe's argument rewritten to a high-byte register.
  const bytes = new Uint8Array(readFileSync(usdtTarget));
  const sem = readUsdtNotes(parseElf(bytes), usdtTarget).find((n) => n.name === 'sem')!;
  const at = Buffer.from(bytes).indexOf(`${sem.args}\0`);
  bytes.set(new TextEncoder().encode('1@%ah'.padEnd(sem.args.length, ' ')), at);
  highByteTarget = join(build.dir, 'usdt-target-ah');
  writeFileSync(highByteTarget, bytes);
  sample = compileFixture('sample.bpf.c');
  bigEndian = compileFixture('sample.bpf.c', 'bpfeb');
  badAccess = compileFixture('bad-access.bpf.c');
  mapsObject = compileFixture('maps.bpf.c');
}, 120_000);
afterAll(() => build?.cleanup());
// loadCollectionAsync's helper threads (each Node thread holds descriptors of its own) are
// started before any case takes its count of open descriptors, and ended with the file.
beforeAll(() => startHelperThreads(5));
afterAll(() => stopHelperThreads());

/** A copy of `sample` with `patch` applied to it. */
function patched(patch: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = new Uint8Array(sample);
  patch(b, new DataView(b.buffer));
  return b;
}

/** A copy of `sample` whose section `name` has `field` (offset in its header) set to `value`. */
function sectionField(name: string, field: number, value: bigint): Uint8Array {
  const elf = parseElf(sample);
  const at = elf.header.shoff + elf.section(name)!.index * 64 + field;
  return patched((_b, v) => v.setBigUint64(at, value, true));
}

/** `sample` with its BTF function `on_xdp` typed as the `.bss` DATASEC instead of a FUNC_PROTO. */
function badBtfFuncType(): Uint8Array {
  const elf = parseElf(sample);
  const btf = Btf.parse(loadCollectionSpec(sample).btf!);
  const func = elf.section('.BTF')!.offset + btf.recordOffset(btf.find('on_xdp', 'func')!.id);
  const datasec = btf.find('.bss', 'datasec')!.id;
  return patched((_b, v) => v.setUint32(func + 8, datasec, true));
}

/** Loads `bytes` and attaches its program `name` with `targets`; closes what it opened. */
function attachOne(bytes: Uint8Array, name: string, targets: AttachTargets): void {
  using c = loadCollection(bytes, { programs: [name] });
  c.attach(targets, [name]);
}

/** Loads the usdt-sections object and attaches its program `bare` to `target`; closes what it opened. */
function usdtAttach(target: UsdtTarget): void {
  using c = loadCollection(objects.get('usdt-sections.bpf.c')!);
  c.attachUsdt('bare', target);
}

/** A collection of the sample object, loaded and closed. */
function closedCollection(): ReturnType<typeof loadCollection> {
  const c = loadCollection(sample);
  c.close();
  return c;
}

describeKernel('elf: mistakes a user makes', () => {
  catalog([
    {
      what: 'loading an x86-64 executable as a BPF object',
      act: () => loadCollection(readFileSync('/bin/true')),
      error: ElfTargetError,
      names: ['not a BPF object', 'X86-64'],
    },
    {
      what: 'loading a text file',
      act: () => loadCollection(Buffer.from('SEC("xdp") int f() { return 2; }\n'.repeat(4))),
      error: ElfError,
      names: ['not an ELF file'],
    },
    {
      what: 'loading the first 40 bytes of an object',
      act: () => loadCollection(sample.subarray(0, 40)),
      error: ElfError,
      names: ['truncated', 'ELF header'],
    },
    {
      what: 'loading an object cut short',
      act: () => loadCollectionSpec(sample.subarray(0, sample.byteLength - 200)),
      error: ElfError,
      names: ['truncated'],
    },
    {
      what: 'a 32-bit ELF object',
      act: () => loadCollectionSpec(patched((b) => void b.set([1], 4))),
      error: ElfError,
      names: ['ELF64'],
    },
    {
      what: "a section whose offset lies past the file's end",
      act: () => loadCollectionSpec(sectionField('xdp', 24, 1n << 40n)),
      error: ElfError,
      names: [/section \d+ \(xdp\) contents/],
    },
    {
      what: 'a code section that is not a whole number of instructions',
      act: () => loadCollectionSpec(sectionField('xdp', 32, 12n)),
      error: ElfError,
      names: ['xdp', 'not a whole number of instructions'],
    },
    {
      what: 'an object built with -target bpfeb loaded into this little-endian kernel',
      act: () => loadCollection(bigEndian),
      error: ElfTargetError,
      names: ['big-endian', 'bpfeb'],
    },
    {
      what: 'a program in a section of unknown type',
      act: () => loadCollectionSpec(objects.get('unknown-section.bpf.c')!),
      error: UnknownSectionError,
      names: ['mystery/thing', 'odd_one'],
    },
    {
      what: 'loadCollection of an object with an unknown section',
      act: () => loadCollection(objects.get('unknown-section.bpf.c')!),
      error: UnknownSectionError,
      names: ['mystery/thing', 'odd_one', 'skipUnknownSections'],
    },
    {
      what: 'a global pointer initialised with the address of another global',
      act: () => loadCollectionSpec(objects.get('pointer-in-data.bpf.c')!),
      error: DataRelocationError,
      names: ["variable 'counter_at' in .data", "address of 'counter'", 'at run time'],
    },
    {
      what: 'a constant array of string literals',
      act: () => loadCollection(objects.get('strings-in-rodata.bpf.c')!),
      error: DataRelocationError,
      names: ["variable 'names' in .rodata", 'address of', '.rodata.str'],
    },
    {
      what: 'options.programs naming a program the object lacks',
      act: () => loadCollection(sample, { programs: ['on_xdp', 'on_xpd'] }),
      error: NameNotFoundError,
      names: ["'on_xpd'", 'on_xdp', 'sample.bpf.c'],
    },
    {
      what: 'asking a collection for a map it does not have',
      act: () => {
        using c = loadCollection(sample);
        c.map('count');
      },
      error: NameNotFoundError,
      names: ["no map 'count'", 'counts'],
    },
    {
      what: 'asking a collection for a program it does not have',
      act: () => {
        using c = loadCollection(sample, { programs: ['on_xdp'] });
        c.program('on_getpid');
      },
      error: NameNotFoundError,
      names: ["no program 'on_getpid'", 'on_xdp'],
    },
    {
      what: 'asking a collection for a global variable it does not have',
      act: () => {
        using c = loadCollection(sample);
        c.variable('hit');
      },
      error: NameNotFoundError,
      names: ["no variable 'hit'", 'hits'],
    },
    {
      what: 'asking a closed collection for a map (it is closed with the collection)',
      act: () => closedCollection().map('counts'),
      error: ObjectClosedError,
      names: ['the collection of program(s)', 'on_xdp', 'is closed'],
    },
    {
      what: 'reading a global variable of a closed collection',
      act: () => closedCollection().variable('limit'),
      error: ObjectClosedError,
      names: ['the collection of program(s)', 'is closed'],
    },
    {
      what: 'attaching the programs of a closed collection',
      act: () => closedCollection().attach({ interface: 'lo' }),
      error: ObjectClosedError,
      names: ['the collection of program(s)', 'is closed'],
    },
    {
      what: 'attaching a program by a name the collection lacks',
      act: () => {
        using c = loadCollection(sample);
        c.attach({}, ['on_xdpp']);
      },
      error: NameNotFoundError,
      names: ["'on_xdpp'"],
    },
    {
      what: 'a constant for a variable the object lacks',
      act: () => loadCollection(sample, { constants: { limt: 3 } }),
      error: NameNotFoundError,
      names: ["'limt'", 'limit'],
    },
    {
      what: 'a constant too large for its variable',
      act: () => loadCollection(sample, { constants: { limit: 1n << 40n } }),
      error: VariableValueError,
      names: ['limit', 'does not fit'],
    },
    {
      what: 'a constant given as a string (an environment variable, say) is refused, not converted',
      act: () => loadCollection(sample, { constants: { limit: '12' as unknown as number } }),
      error: VariableValueError,
      names: ['limit', '"12" is not a number'],
    },
    {
      what: 'a constant whose value is undefined',
      act: () => loadCollection(sample, { constants: { limit: undefined as unknown as number } }),
      error: VariableValueError,
      names: ['limit', 'undefined is not a number'],
    },
    {
      what: 'a global variable set to a string',
      act: () => {
        using c = loadCollection(sample);
        c.variable('hits').set('1' as unknown as number);
      },
      error: VariableValueError,
      names: ['hits', '"1" is not a number'],
    },
    {
      what: 'writing a read-only global variable',
      act: () => {
        using c = loadCollection(sample);
        c.variable('limit').set(1);
      },
      error: VariableValueError,
      names: ['limit', 'read-only'],
    },
    {
      what: 'a program the verifier rejects keeps VerifierError and names the program',
      act: () => loadCollection(badAccess),
      error: VerifierError,
      names: ["verifier rejected program 'read_past_end'", 'outside of the allowed memory range'],
      cause: VerifierError,
    },
    {
      what: 'loadCollectionAsync of a program the verifier rejects: the same error as loadCollection',
      act: () => loadCollectionAsync(badAccess),
      error: VerifierError,
      names: ["verifier rejected program 'read_past_end'", 'outside of the allowed memory range'],
      cause: VerifierError,
    },
    {
      what: 'loadCollectionAsync with a concurrency of 0',
      act: () => loadCollectionAsync(sample, { concurrency: 0 }),
      error: BpfArgumentError,
      names: ['concurrency', '0 is not a thread count: give an integer from 1 to 64'],
    },
    {
      what: "loadCollectionAsync with the string '2' as concurrency: shown quoted, a string",
      act: () => loadCollectionAsync(sample, { concurrency: '2' as unknown as number }),
      error: BpfArgumentError,
      names: ['concurrency', '"2" is not a thread count'],
    },
    {
      what: 'loadCollectionAsync with a concurrency of 1.5',
      act: () => loadCollectionAsync(sample, { concurrency: 1.5 }),
      error: BpfArgumentError,
      names: ['concurrency', '1.5 is not a thread count'],
    },
    {
      what: 'loadCollectionAsync with a concurrency of 65',
      act: () => loadCollectionAsync(sample, { concurrency: 65 }),
      error: BpfArgumentError,
      names: ['concurrency', '65 is not a thread count'],
    },
    {
      what: 'loadCollectionAsync with threads (an option of loadCollection)',
      act: () => loadCollectionAsync(sample, { threads: 2 }),
      error: BpfArgumentError,
      names: ['threads', 'set options.concurrency, not options.threads'],
    },
    {
      what: 'loadCollection with threads 0',
      act: () => loadCollection(sample, { threads: 0 }),
      error: BpfArgumentError,
      names: ['threads', '0 is not a thread count: give an integer from 1 to 64'],
    },
    {
      what: 'a map that cannot be created (a hash map with max_entries 0, refused before the kernel)',
      act: () => loadCollection(objects.get('empty-hash.bpf.c')!),
      error: MapCreateError,
      names: ["map 'empty_hash': failed to create", 'type hash', 'max_entries 0'],
      cause: MapSpecError,
    },
    {
      what: 'a kconfig extern this kernel does not have',
      act: () => loadCollection(objects.get('kconfig-unknown.bpf.c')!),
      error: KconfigError,
      names: ['CONFIG_TS_EBPF_NO_SUCH_OPTION', 'not set', '__weak'],
    },
    {
      what: 'object BTF the kernel refuses',
      act: () => loadCollection(badBtfFuncType()),
      error: ObjectBtfError,
      names: ['sample.bpf.c', 'BTF log'],
      cause: BpfSyscallError,
    },
    {
      what: 'a program calling a kfunc this kernel lacks (not __weak)',
      act: () => loadCollection(objects.get('kfunc-missing.bpf.c')!),
      error: KernelSymbolNotFoundError,
      names: ['calls_missing', "kfunc) 'bpf_ts_ebpf_no_such_kfunc'", 'vmlinux BTF', '__weak'],
    },
    {
      what: 'a __ksym variable this kernel lacks (not __weak)',
      act: () => loadCollection(objects.get('ksym-missing.bpf.c')!),
      error: KernelSymbolNotFoundError,
      names: ['reads_missing', "'ts_ebpf_no_such_var'", 'vmlinux BTF'],
    },
    {
      what: 'a prog_array holding a program left out of options.programs',
      act: () => loadCollection(mapsObject, { programs: [] }),
      error: NameNotFoundError,
      names: ["'tail'", 'jumps[0]', 'options.programs'],
    },
    {
      what: 'attaching an xdp program without an interface',
      act: () => attachOne(sample, 'on_xdp', {}),
      error: AttachOptionsError,
      names: ['on_xdp', 'section xdp', "'interface'", 'missing'],
    },
    {
      what: 'attaching an xdp program to an interface that does not exist',
      act: () => attachOne(sample, 'on_xdp', { interface: 'tsebpfnone9' }),
      error: InterfaceNotFoundError,
      names: ['on_xdp', 'section xdp', "'tsebpfnone9'"],
      cause: InterfaceNotFoundError,
    },
    {
      what: 'attaching an xdp program to an interface name over 15 bytes',
      act: () => attachOne(sample, 'on_xdp', { interface: 'an-interface-name-too-long' }),
      error: AttachOptionsError,
      names: ['on_xdp', "'interface'", 'an-interface-name-too-long'],
      cause: BpfArgumentError,
    },
    {
      what: 'an interface given as an object',
      act: () => attachOne(sample, 'on_xdp', { interface: { name: 'lo' } as never }),
      error: AttachOptionsError,
      names: ['on_xdp', "'interface'", 'expected an interface name or index', '"lo"'],
    },
    {
      what: 'attaching a cgroup program without a cgroup',
      act: () => attachOne(sample, 'on_connect', {}),
      error: AttachOptionsError,
      names: ['on_connect', 'cgroup/connect4', "'cgroup'", 'missing'],
    },
    {
      what: 'attaching a cgroup program to a path that does not exist',
      act: () => attachOne(sample, 'on_connect', { cgroup: '/sys/fs/cgroup/ts-ebpf-no-such-group' }),
      error: AttachError,
      names: ['on_connect', 'cgroup/connect4', '/sys/fs/cgroup/ts-ebpf-no-such-group'],
      cause: AttachError,
    },
    {
      what: 'attaching a cgroup program to a regular file',
      act: () => attachOne(sample, 'on_connect', { cgroup: '/etc/hostname' }),
      error: AttachError,
      names: ['on_connect', 'cgroup/connect4', '/etc/hostname'],
      cause: AttachError,
    },
    {
      what: 'attaching a cgroup program to a directory that is not a cgroup',
      act: () => attachOne(sample, 'on_connect', { cgroup: '/tmp' }),
      error: AttachError,
      names: ['on_connect', 'cgroup/connect4', "'/tmp'", 'not on a cgroup v2 file system'],
      cause: AttachError,
    },
    {
      what: 'auto-attaching a bare tc program, which does not say ingress or egress',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'no_direction', { interface: 'lo' }),
      error: SectionAttachError,
      names: ['no_direction', 'section tc', 'does not say ingress or egress', 'tc/ingress'],
    },
    {
      what: 'auto-attaching a syscall program',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'by_hand', {}),
      error: SectionAttachError,
      names: ['by_hand', 'section syscall', 'no attach convention'],
    },
    {
      what: 'a tracepoint section without a category',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'tp_flat', {}),
      error: SectionAttachError,
      names: ['tp_flat', 'tracepoint/no_category', 'tracepoint/<category>/<name>'],
    },
    {
      what: 'a tracepoint section naming a tracepoint that does not exist',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'tp_none', {}),
      error: TracepointNotFoundError,
      names: ['tp_none', 'tracepoint/ts_ebpf_none/nothing', 'ts_ebpf_none'],
      cause: TracepointNotFoundError,
    },
    {
      what: 'a socket filter attached without a socket',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'sock_filter', {}),
      error: AttachOptionsError,
      names: ['sock_filter', 'section socket', "'socket'"],
    },
    {
      what: 'a socket given as a string',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'sock_filter', { socket: '3' as never }),
      error: AttachOptionsError,
      names: ['sock_filter', "'socket'", 'expected a socket fd', 'string 3'],
    },
    {
      what: 'a kprobe section whose offset is not a number',
      act: () => attachOne(objects.get('attach-sections.bpf.c')!, 'bad_probe', {}),
      error: SectionAttachError,
      names: ['bad_probe', 'kprobe/do_unlinkat+x', "'do_unlinkat+x'"],
    },
    {
      what: "a value size that does not fit the map's BTF value type",
      act: () => loadCollectionSpec(sample).adjust.map('counts').setValueSize(12),
      error: SpecEditError,
      names: ["map 'counts'", 'valueSize is 12', 'BTF value type', 'withoutBtfTypes'],
    },
    {
      what: 'turning an array map into a ring buffer',
      act: () => loadCollectionSpec(sample).adjust.map('counts').setType(BpfMapType.RINGBUF),
      error: SpecEditError,
      names: ["map 'counts'", 'keySize is 4'],
    },
    {
      what: 'an inner-map template for a map that holds no maps',
      act: () => {
        using inner = BpfMap.create({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
        loadCollectionSpec(sample).adjust.map('counts').setInnerMap(inner);
      },
      error: SpecEditError,
      names: ["map 'counts'", 'innerMap', 'holds no maps'],
    },
    {
      what: 'a program fd given as an inner-map template',
      act: () => {
        using c = loadCollection(sample, { programs: ['on_xdp'] });
        loadCollectionSpec(mapsObject).adjust.map('outer').setInnerMap(c.program('on_xdp'));
      },
      error: SpecEditError,
      names: ["map 'outer'", 'is a program, not a map'],
    },
    {
      what: 'resizing a data section whose last variable is no array',
      act: () => loadCollectionSpec(sample).adjust.map('.bss').setValueSize(16),
      error: SpecEditError,
      names: ["map '.bss'", 'hits, is not an array'],
    },
    {
      what: 'an attach target for an XDP program',
      act: () => loadCollectionSpec(sample).adjust.program('on_xdp').setAttachTarget('sys_enter'),
      error: SpecEditError,
      names: ["program 'on_xdp'", 'attachTarget', 'no attach target'],
    },
    {
      what: 'an expected attach type the kernel refuses for the program type, caught at load',
      act: () => {
        const spec = loadCollectionSpec(sample);
        spec.adjust.program('on_connect').setExpectedAttachType(BpfAttachType.CGROUP_INET_INGRESS);
        loadCollection(spec);
      },
      error: SpecEditError,
      names: ["program 'on_connect'", 'expectedAttachType is cgroup_inet_ingress', 'cgroup_sock_addr'],
    },
    {
      what: 'adjusting a map the object lacks',
      act: () => loadCollectionSpec(sample).adjust.map('count'),
      error: NameNotFoundError,
      names: ["'count'", 'counts'],
    },
    {
      what: 'auto-attaching a usdt program whose section names no probe',
      act: () => attachOne(objects.get('usdt-sections.bpf.c')!, 'bare', {}),
      error: SectionAttachError,
      names: ['bare', 'section usdt', 'usdt/<binary>:<provider>:<name>', 'attachUsdt'],
    },
    {
      what: 'a usdt section that is not <binary>:<provider>:<name>',
      act: () => attachOne(objects.get('usdt-sections.bpf.c')!, 'unreadable', {}),
      error: SectionAttachError,
      names: ['unreadable', 'usdt/onlyname', "'onlyname'"],
    },
    {
      what: 'attaching a usdt program through attachBySection, without its collection',
      act: () => {
        using c = loadCollection(objects.get('usdt-sections.bpf.c')!);
        attachBySection(c.program('bare'), c.spec.programs.get('bare')!);
      },
      error: SectionAttachError,
      names: ['bare', 'section usdt', 'collection.attachUsdt()'],
    },
    {
      what: 'a usdt section naming a probe the binary lacks',
      act: () => attachOne(objects.get('usdt-sections.bpf.c')!, 'no_probe', {}),
      error: NameNotFoundError,
      names: ["USDT probe 'tsebpf:none'", '/bin/true', 'none'],
    },
    {
      what: 'attachUsdt naming a probe the binary lacks lists the ones it has',
      act: () => usdtAttach({ binary: usdtTarget, provider: 'tsebpf', name: 'reg' }),
      error: NameNotFoundError,
      names: ["'tsebpf:reg'", usdtTarget, 'tsebpf:regs', 'tsebpf:sem'],
    },
    {
      what: 'attachUsdt to a binary that does not exist',
      act: () => usdtAttach({ binary: '/nonexistent/ts-ebpf-bin', provider: 'p', name: 'n' }),
      error: UsdtSpecError,
      names: ['p:n', '/nonexistent/ts-ebpf-bin', 'cannot read'],
      cause: Error,
    },
    {
      what: 'attachUsdt to a file that is not ELF',
      act: () => usdtAttach({ binary: '/etc/hostname', provider: 'p', name: 'n' }),
      error: UsdtSpecError,
      names: ['/etc/hostname', 'not a readable ELF64 file'],
      cause: ElfError,
    },
    {
      what: 'a USDT argument in a register usdt.bpf.h cannot read (%ah)',
      act: () => usdtAttach({ binary: highByteTarget, provider: 'tsebpf', name: 'sem' }),
      error: UsdtSpecError,
      names: ['tsebpf:sem', 'argument 0', "'1@%ah'", 'high-byte register'],
    },
    {
      what: 'a USDT cookie that is not a 64-bit integer',
      act: () => usdtAttach({ binary: usdtTarget, provider: 'tsebpf', name: 'sem', cookie: 1.5 }),
      error: UsdtAttachError,
      names: ['bare', 'cookie 1.5', '64-bit integer'],
    },
    {
      what: 'attachUsdt of a program whose object lacks usdt.bpf.h',
      act: () => {
        using c = loadCollection(objects.get('attach-sections.bpf.c')!, { programs: ['bad_probe'] });
        c.attachUsdt('bad_probe', { binary: usdtTarget, provider: 'tsebpf', name: 'sem' });
      },
      error: UsdtAttachError,
      names: ['bad_probe', '__bpf_usdt_specs', 'usdt.bpf.h'],
    },
  ]);
});

describeKernel('elf: __weak kernel symbols the kernel lacks', () => {
  it('resolve to 0, as in libbpf: the address tests false and the dead call is accepted', () => {
    using c = loadCollection(objects.get('ksym-weak.bpf.c')!);
    expect(c.program('weak_ok').testRun({ data: new Uint8Array(64) }).retval).toBe(3);
  });
});

describeKernel('elf: the documented ways past those refusals', () => {
  it('skipUnknownSections loads the rest and reports what it skipped', () => {
    const bytes = objects.get('unknown-section.bpf.c')!;
    expect(loadCollectionSpec(bytes, { skipUnknownSections: true }).skipped).toEqual([
      { name: 'odd_one', section: 'mystery/thing' },
    ]);
    using c = loadCollection(bytes, { skipUnknownSections: true });
    expect([...c.programs.keys()]).toEqual(['fine']);
    expect(c.spec.skipped.map((s) => s.name)).toEqual(['odd_one']);
    expect(c.program('fine').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  });

  it('withoutBtf loads an object whose BTF the kernel refuses, without func_info', () => {
    using c = loadCollection(badBtfFuncType(), { withoutBtf: true });
    const xdp = c.program('on_xdp');
    expect(xdp.testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(xdp.info().btfId).toBe(0);
  });

  it('with the object BTF accepted, programs carry it', () => {
    using c = loadCollection(sample);
    expect(c.program('on_xdp').info().btfId).toBeGreaterThan(0);
  });
});
