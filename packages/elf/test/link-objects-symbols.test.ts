import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Btf } from '@ts-ebpf/btf';
import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LinkError, linkObjects, loadCollection, loadCollectionSpec } from '../src/index.js';
import { compileIn } from './compile.js';

const HEADER = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n#include <bpf/bpf_core_read.h>\n';

// A __weak default of a global function, which another object may override.
const CHOOSER = `${HEADER}
__weak __noinline int pick(int x) { return x + 1; }
__weak __u32 limit = 1;
__u32 got;
__u32 got_limit;
SEC("xdp") int chooser(struct xdp_md *ctx)
{
  got = pick(10);
  got_limit = limit;
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
// Its own program calls a static function and passes a static callback, both in its .text,
// which comes after CHOOSER's: the calls' and the function pointer's offsets move with it.
const OVERRIDE = `${HEADER}
__noinline int pick(int x) { return x + 100; }
__u32 limit = 5;
static __noinline int triple(int x) { return 3 * x; }
static long add_index(__u32 index, void *sum) { *(__u32 *)sum += index; return 0; }
const volatile __u32 base = 5;
__u32 tripled;
__u32 looped;
SEC("xdp") int other(struct xdp_md *ctx)
{
  __u32 sum = 0;
  tripled = triple(base);
  bpf_loop(4, add_index, &sum, 0);
  looped = sum;
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL"; // the same in both objects: the output holds one
`;

// Both objects read a kconfig extern (which stays extern); the library's function has a CO-RE
// relocation (the kernel's offset of task_struct.pid, 0 in the local type).
const MAIN = `${HEADER}
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern int pid_offset(void);
extern unsigned int lib_version(void);
__u32 version;
__u32 version_in_lib;
__u32 offset;
SEC("xdp") int main_prog(struct xdp_md *ctx)
{
  version = LINUX_KERNEL_VERSION;
  version_in_lib = lib_version();
  offset = pid_offset();
  return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
`;
const LIB = `${HEADER}
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
struct task_struct { int pid; } __attribute__((preserve_access_index));
__noinline int pid_offset(void) { return bpf_core_field_offset(struct task_struct, pid); }
__noinline unsigned int lib_version(void) { return LINUX_KERNEL_VERSION; }
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-link-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `program` of the collection of `bytes` once and reads `variables`. */
function runAndRead(bytes: Uint8Array, program: string, variables: string[]): bigint[] {
  using c = loadCollection(bytes);
  expect(c.program(program).testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  return variables.map((v) => c.variable(v).getBigInt());
}

describeKernel('linkObjects: symbols', () => {
  it('lets a strong definition override a __weak one, whichever object comes first', () => {
    const chooser = compileIn(dir, 'chooser', CHOOSER);
    const override = compileIn(dir, 'override', OVERRIDE);
    const read = ['got', 'got_limit'];
    expect(runAndRead(chooser, 'chooser', read)).toEqual([11n, 1n]);
    expect(runAndRead(linkObjects([chooser, override]), 'chooser', read)).toEqual([110n, 5n]);
    expect(runAndRead(linkObjects([override, chooser]), 'chooser', read)).toEqual([110n, 5n]);
    const linked = linkObjects([chooser, override]);
    expect(runAndRead(linked, 'other', ['tripled', 'looped'])).toEqual(
      [runAndRead(override, 'other', ['tripled', 'looped'])].flat(),
    );
    expect(runAndRead(linked, 'other', ['tripled', 'looped'])).toEqual([15n, 6n]);
  });

  it('refuses an extern whose prototype does not fit the definition, naming both objects', () => {
    const caller = compileIn(
      dir,
      'caller',
      `${HEADER}extern int add(int a, int b);
__u32 sum;
SEC("xdp") int call_add(struct xdp_md *ctx) { sum = add(1, 2); return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
`,
    );
    const callee = compileIn(dir, 'callee', `${HEADER}__noinline int add(int a) { return a; }\n`);
    expect(() => linkObjects([caller, callee], { names: ['caller.o', 'callee.o'] })).toThrow(
      /'add' of caller\.o does not match its definition in callee\.o: int \(int, int\) vs int \(int\) \(2 parameters vs 1\)/,
    );
    expect(() => linkObjects([caller, callee])).toThrow(LinkError);
  });

  it('declares a kfunc both objects call once, and loads it for both', () => {
    const kfuncUser = (name: string, license: string) => `${HEADER}
extern void *bpf_cast_to_kern_ctx(void *) __ksym;
__u64 ${name}_cast;
SEC("xdp") int ${name}(struct xdp_md *ctx)
{
  ${name}_cast = bpf_cast_to_kern_ctx(ctx) != 0;
  return XDP_PASS;
}
${license}
`;
    const linked = linkObjects([
      compileIn(dir, 'kfunc_a', kfuncUser('kfunc_a', 'char LICENSE[] SEC("license") = "GPL";')),
      compileIn(dir, 'kfunc_b', kfuncUser('kfunc_b', '')),
    ]);
    const btf = Btf.parse(loadCollectionSpec(linked).btf!);
    expect(btf.findIds('bpf_cast_to_kern_ctx', 'func')).toHaveLength(1);
    expect(btf.get('.ksyms', 'datasec').vars).toHaveLength(1);
    expect(runAndRead(linked, 'kfunc_a', ['kfunc_a_cast'])).toEqual([1n]);
    expect(runAndRead(linked, 'kfunc_b', ['kfunc_b_cast'])).toEqual([1n]);
  });

  it('keeps kernel externs extern, carries CO-RE relocations and line info of both objects', () => {
    const linked = linkObjects([compileIn(dir, 'main', MAIN), compileIn(dir, 'lib', LIB)]);
    const spec = loadCollectionSpec(linked);
    const undefinedNames = spec.elf.symbols.filter((s) => s.section === 0 && s.name).map((s) => s.name);
    expect(undefinedNames).toEqual(['LINUX_KERNEL_VERSION']);
    const [version, inLib, offset] = runAndRead(linked, 'main_prog', ['version', 'version_in_lib', 'offset']);
    expect(version).toBeGreaterThan(0n);
    expect(inLib).toBe(version);
    expect(offset).toBeGreaterThan(0n); // the kernel's offset: the CO-RE relocation was applied

    using c = loadCollection(linked);
    const prog = c.program('main_prog');
    expect(prog.funcInfo().map((f) => f.name)).toEqual(['main_prog', 'lib_version', 'pid_offset']);
    const files = new Set(prog.lineInfo().map((l) => l.file.replace(/.*\//, '')));
    expect([...files].sort()).toEqual(['lib.bpf.c', 'main.bpf.c']);
  });
});
