import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBpfC, describeKernel, runTsChild, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, expect, it } from 'vitest';
import {
  CollectionVerifierError,
  KallsymsError,
  KernelSymbolNotFoundError,
  loadCollection,
} from '../src/index.js';

// Typeless kernel-symbol externs (`extern const void name __ksym;`): libbpf loads each as the
// symbol's address from /proc/kallsyms, a plain 64-bit constant.

const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-ksym-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Compiles the BPF C `source` (a fixture's path or the text of one) and returns the object's path. */
function compile(name: string, source: string): string {
  const src = join(dir, `${name}.bpf.c`);
  writeFileSync(src, source);
  const out = join(dir, `${name}.o`);
  compileBpfC(src, out);
  return out;
}

const fixture = readFileSync(new URL('./fixtures/ksym-typeless.bpf.c', import.meta.url), 'utf8');
const HEAD = `#define SEC(name) __attribute__((section(name), used))
#define __ksym __attribute__((section(".ksyms")))
typedef unsigned long long u64;
char _license[] SEC("license") = "GPL";
u64 out = 1;
`;

/** Every line of /proc/kallsyms naming `name`: its addresses (read here, apart from the loader). */
function kallsymsAddresses(name: string): bigint[] {
  const found: bigint[] = [];
  for (const line of readFileSync('/proc/kallsyms', 'latin1').split('\n')) {
    const [address, , symbol] = line.split(/[ \t]/);
    if (symbol === name) found.push(BigInt(`0x${address}`));
  }
  return found;
}

describeKernel('elf: typeless __ksym externs', () => {
  it('load the address /proc/kallsyms gives, and 0 for a weak one it lacks', () => {
    using c = loadCollection(readFileSync(compile('typeless', fixture)));
    expect(c.program('read_addresses').testRun({}).retval).toBe(0);
    const [stext] = kallsymsAddresses('_stext');
    expect(stext).toBeGreaterThan(0n);
    expect(c.variable('stext_addr').getBigInt()).toBe(stext);
    // __start_BTF … __stop_BTF is the vmlinux BTF the kernel shows in /sys/kernel/btf/vmlinux.
    expect(c.variable('btf_size').getBigInt()).toBe(BigInt(statSync('/sys/kernel/btf/vmlinux').size));
    expect(c.variable('missing_addr').getBigInt()).toBe(0n);
  });

  it('refuse a strong one /proc/kallsyms lacks before any program is loaded', () => {
    // The first program is one the verifier refuses: a load in declaration order would fail there.
    const object = compile(
      'missing',
      `${HEAD}
extern const void ts_ebpf_no_such_symbol __ksym;
SEC("syscall") int first(void *ctx) { return *(volatile int *)0; }
SEC("syscall") int second(void *ctx) { out = (u64)&ts_ebpf_no_such_symbol; return 0; }
`,
    );
    expect(() => loadCollection(readFileSync(object), { programs: ['first'] })).toThrow(
      CollectionVerifierError,
    );
    const e = thrownBy(() => loadCollection(readFileSync(object)));
    expect(e).toBeInstanceOf(KernelSymbolNotFoundError);
    expect(e).toMatchObject({ program: 'second', symbol: 'ts_ebpf_no_such_symbol', kind: 'ksym' });
    expect((e as Error).message).toMatch(/'ts_ebpf_no_such_symbol'.*\/proc\/kallsyms.*__weak/);
  });

  it('refuse a name /proc/kallsyms gives several addresses', () => {
    // A static symbol several files define: which one is meant cannot be told.
    const counts = new Map<string, Set<string>>();
    for (const line of readFileSync('/proc/kallsyms', 'latin1').split('\n')) {
      const [address, , symbol] = line.split(/[ \t]/);
      if (!symbol || !/^[A-Za-z_]\w*$/.test(symbol)) continue;
      const set = counts.get(symbol) ?? new Set();
      set.add(address!);
      counts.set(symbol, set);
    }
    const [name, addresses] = [...counts].find(([, a]) => a.size > 1)!;
    const object = compile(
      'ambiguous',
      `${HEAD}
extern const void ${name} __ksym;
SEC("syscall") int read_it(void *ctx) { out = (u64)&${name}; return 0; }
`,
    );
    const e = thrownBy(() => loadCollection(readFileSync(object)));
    expect(e).toBeInstanceOf(KallsymsError);
    expect(e).toMatchObject({ symbol: name });
    expect((e as Error).message).toContain(`at ${addresses.size} addresses`);
    expect((e as Error).message).toContain('ambiguous');
  });

  it('refuse to load 0 for every symbol when the kernel hides its addresses (kptr_restrict)', () => {
    // Without CAP_SYSLOG (and kernel.perf_event_paranoid above 1), /proc/kallsyms reads all zeros.
    const object = compile('hidden', fixture);
    const r = runTsChild(new URL('./fixtures/ksym-hidden-child.ts', import.meta.url), [object], 60_000, [
      'setpriv',
      '--bounding-set=-syslog',
      '--inh-caps=-syslog',
    ]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { shown: boolean; thrown?: { name: string; message: string } };
    expect(out.shown, 'the child, without CAP_SYSLOG, still sees kernel addresses').toBe(false);
    expect(out.thrown).toMatchObject({ name: 'KallsymsError', symbol: '_stext' });
    expect(out.thrown!.message).toMatch(/every address in \/proc\/kallsyms reads 0.*kptr_restrict/);
  });
});
