import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { expect, it } from 'vitest';
import {
  checkSectionAttach,
  loadCollection,
  loadCollectionSpec,
  USDT_SPEC_SIZE,
  USDT_SPECS_MAP,
  UsdtAttachError,
} from '../src/index.js';
import { compileSource } from './compile.js';

// A program of a usdt/<binary>:<provider>:<name> section whose object defines usdt.bpf.h's spec
// map with 8-byte values instead of struct __bpf_usdt_spec, and an xdp program beside it.
const object = compileSource(
  'usdt_bad_specs',
  `
struct {
  __uint(type, 2); /* BPF_MAP_TYPE_ARRAY */
  __uint(max_entries, 16);
  __type(key, int);
  __type(value, u64);
} __bpf_usdt_specs SEC(".maps");
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
u64 seen = 0;
char LICENSE[] SEC("license") = "GPL";
SEC("usdt//bin/true:tsebpf:probe") int on_probe(void *ctx)
{
  int id = 0;
  u64 *spec = bpf_map_lookup_elem(&__bpf_usdt_specs, &id);
  if (spec) seen = *spec;
  return 0;
}
SEC("xdp") int on_xdp(void *ctx) { return 2; }
`,
);
const WRONG = `program on_probe: cannot attach to a USDT probe: map ${USDT_SPECS_MAP} has values of 8 bytes, not the ${USDT_SPEC_SIZE} of struct __bpf_usdt_spec (libbpf's usdt.bpf.h)`;

describeKernel('the maps of USDT programs, checked before anything is attached', () => {
  it('loadCollection refuses a usdt program whose spec map has another value size, creating nothing', () => {
    const before = openFds();
    const e = thrownBy(() => loadCollection(object));
    expect(e).toBeInstanceOf(UsdtAttachError);
    expect((e as UsdtAttachError).program).toBe('on_probe');
    expect((e as Error).message).toBe(WRONG);
    expect(leakedFds(before)).toEqual([]);
  });

  it('checkSectionAttach refuses it too, before the load; programs without usdt are loaded and run', () => {
    const spec = loadCollectionSpec(object);
    expect(() => checkSectionAttach(spec, ['on_probe'])).toThrow(WRONG);
    using c = loadCollection(object, { programs: ['on_xdp'] });
    expect(c.program('on_xdp').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  });

  it('checks the definition as edited: a spec map resized to struct __bpf_usdt_spec loads', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.map(USDT_SPECS_MAP).setValueSize(USDT_SPEC_SIZE, { withoutBtfTypes: true });
    expect(() => checkSectionAttach(spec, ['on_probe'])).not.toThrow();
    using c = loadCollection(spec);
    expect(c.map(USDT_SPECS_MAP).valueSize).toBe(USDT_SPEC_SIZE);
    expect([...c.programs.keys()]).toEqual(['on_probe', 'on_xdp']);
  });
});
