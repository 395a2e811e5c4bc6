import { attachXdp } from '@ts-ebpf/programs';
import { BpfMapCreateFlag, BpfProgLoadFlag, onlineNumaNodes } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy, VethPair } from '@ts-ebpf/test-utils';
import { beforeAll, expect, it, onTestFinished } from 'vitest';
import { loadCollection, loadCollectionSpec, NameNotFoundError, SpecEditError } from '../src/index.js';
import { compileSource } from './compile.js';

// Maps and programs for libbpf's other pre-load setters: key size, NUMA node, map_extra,
// autocreate, program flags and per-program log levels.
const SOURCE = `
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_xdp_get_buff_len)(void *ctx) = (void *)188;
struct { __uint(type, 1); __uint(max_entries, 16); __uint(key_size, 4); __uint(value_size, 8); } sized SEC(".maps");
struct { __uint(type, 1); __uint(max_entries, 16); __type(key, u32); __type(value, u64); } typed SEC(".maps");
struct { __uint(type, 30); __uint(max_entries, 16); __type(value, u32); } bloom SEC(".maps");
struct { __uint(type, 2); __uint(max_entries, 1); __type(key, u32); __type(value, u64); } spare SEC(".maps");
SEC("xdp") int uses_spare(void *ctx) { u32 k = 0; return bpf_map_lookup_elem(&spare, &k) ? 2 : 1; }
SEC("xdp") int buff_len(void *ctx) { return bpf_xdp_get_buff_len(ctx); }
SEC("xdp.frags") int with_frags(void *ctx) { return 2; }
u32 calls;
SEC("socket") int filter(void *ctx) { calls++; return 0; }
char LICENSE[] SEC("license") = "GPL";
`;

let bytes: Buffer;
const only = (...programs: string[]) => ({ programs });

describeKernel(
  'pre-load setters: key size, NUMA node, map_extra, autocreate; program flags, log level',
  () => {
    beforeAll(() => {
      bytes = compileSource('settings', SOURCE);
    });

    it('setKeySize: a map sized without BTF types takes it; a BTF-typed one needs withoutBtfTypes', () => {
      const spec = loadCollectionSpec(bytes);
      spec.adjust.map('sized').setKeySize(8);
      expect(() => spec.adjust.map('typed').setKeySize(8)).toThrow(
        /map 'typed': keySize is 8, which does not fit its BTF key type .*\(4 bytes\): set it with \{ withoutBtfTypes: true \}/,
      );
      spec.adjust.map('typed').setKeySize(16, { withoutBtfTypes: true });
      expect(() => spec.adjust.map('sized').setKeySize(-1)).toThrow(/map 'sized': keySize is -1/);
      expect(() => spec.adjust.map('sized').setKeySize(2.5)).toThrow(SpecEditError);
      expect(() => spec.adjust.map('bloom').setKeySize(4)).toThrow(
        /map 'bloom': keySize is 4, but a bloom_filter map has no keys/,
      );
      using c = loadCollection(spec, only('filter'));
      expect(c.map('sized').info().keySize).toBe(8);
      const typed = c.map('typed').info();
      expect([typed.keySize, typed.btfKeyTypeId]).toEqual([16, 0]);
      c.map('sized').set(new Uint8Array(8).fill(1), new Uint8Array(8).fill(2));
      expect(c.map('sized').get(new Uint8Array(8).fill(1))).toEqual(new Uint8Array(8).fill(2));
    });

    it('setNumaNode creates the map on an online node, with BPF_F_NUMA_NODE; other nodes are refused first', () => {
      const nodes = onlineNumaNodes();
      const spec = loadCollectionSpec(bytes);
      spec.adjust.map('sized').setNumaNode(nodes[0]!);
      const absent = Math.max(...nodes) + 1;
      expect(() => spec.adjust.map('typed').setNumaNode(absent)).toThrow(
        new RegExp(`map 'typed': numaNode is ${absent}, which is no online NUMA node`),
      );
      expect(() => spec.adjust.map('typed').setNumaNode(-1)).toThrow(/map 'typed': numaNode is -1/);
      using c = loadCollection(spec, only('filter'));
      expect(c.map('sized').info().mapFlags & BpfMapCreateFlag.NUMA_NODE).toBe(BpfMapCreateFlag.NUMA_NODE);
      expect(c.map('typed').info().mapFlags & BpfMapCreateFlag.NUMA_NODE).toBe(0);
    });

    it('setMapExtra sets a bloom filter’s hash count, seen in the map’s info; values the type refuses are caught first', () => {
      const spec = loadCollectionSpec(bytes);
      spec.adjust.map('bloom').setMapExtra(3);
      expect(() => spec.adjust.map('bloom').setMapExtra(16)).toThrow(
        /map 'bloom': mapExtra \(hash functions\) is 16: a bloom filter has at most 15/,
      );
      expect(() => spec.adjust.map('typed').setMapExtra(1n)).toThrow(
        /map 'typed': mapExtra is 1, but a hash map takes none \(only bloom_filter and arena maps do\)/,
      );
      expect(() => spec.adjust.map('bloom').setMapExtra(-1)).toThrow(/map 'bloom': mapExtra is -1/);
      expect(() => spec.adjust.map('bloom').setMapExtra(1.5)).toThrow(/map 'bloom': mapExtra is 1.5/);
      using c = loadCollection(spec, only('filter'));
      expect(c.map('bloom').info().mapExtra).toBe(3n);
    });

    it('setAutocreate(false): the map is not created; a program using it is refused before anything is made', () => {
      const spec = loadCollectionSpec(bytes);
      spec.adjust.map('spare').setAutocreate(false);
      {
        using c = loadCollection(spec, only('filter'));
        expect(thrownBy(() => c.map('spare'))).toBeInstanceOf(NameNotFoundError);
        expect([...c.maps.keys()]).not.toContain('spare');
      }
      const fds = openFds();
      const e = thrownBy(() => loadCollection(spec, only('filter', 'uses_spare')));
      expect(e).toBeInstanceOf(SpecEditError);
      expect((e as Error).message).toMatch(
        /^map 'spare': autocreate is false, but program 'uses_spare' uses it \(instruction \d+\)/,
      );
      expect(leakedFds(fds)).toEqual([]);
      expect(() => spec.adjust.map('spare').setAutocreate('no' as unknown as boolean)).toThrow(
        /map 'spare': autocreate is no: expected true or false/,
      );
      expect(() => spec.adjust.map('.bss').setAutocreate(false)).toThrow(SpecEditError);
    });

    it('setFlags(BPF_F_XDP_HAS_FRAGS): the program attaches to a veth whose peer’s MTU is beyond a page', () => {
      const veth = new VethPair('frg', 231).create();
      onTestFinished(() => veth.destroy());
      veth.inNs(`ip link set ${veth.peer} mtu 9000`);
      const spec = loadCollectionSpec(bytes);
      const edit = spec.adjust.program('buff_len');
      expect(edit.flags).toBe(0);
      {
        // Without the flag, veth refuses (ERANGE) a program that cannot see a frame's fragments.
        using plain = loadCollection(spec, only('buff_len'));
        expect(() => attachXdp(plain.program('buff_len'), veth.host, { mode: 'drv' })).toThrow(/ERANGE/);
      }
      edit.setFlags(BpfProgLoadFlag.XDP_HAS_FRAGS);
      expect(edit.flags).toBe(BpfProgLoadFlag.XDP_HAS_FRAGS);
      // The section's own flags are replaced, as bpf_program__set_flags replaces them.
      expect(spec.adjust.program('with_frags').flags).toBe(BpfProgLoadFlag.XDP_HAS_FRAGS);
      spec.adjust.program('with_frags').setFlags(0);
      using c = loadCollection(spec, only('buff_len', 'with_frags'));
      using link = attachXdp(c.program('buff_len'), veth.host, { mode: 'drv' });
      expect(link).toBeDefined();
      link.close();
      expect(() => attachXdp(c.program('with_frags'), veth.host, { mode: 'drv' })).toThrow(/ERANGE/);
    });

    it('setFlags refuses flags the program type does not take, before the kernel', () => {
      const spec = loadCollectionSpec(bytes);
      expect(() => spec.adjust.program('buff_len').setFlags(BpfProgLoadFlag.SLEEPABLE)).toThrow(
        /program 'buff_len': flags is 0x10: BPF_F_SLEEPABLE is for .* programs, and this is a xdp program/,
      );
      expect(() => spec.adjust.program('filter').setFlags(BpfProgLoadFlag.XDP_HAS_FRAGS)).toThrow(
        /program 'filter': flags is 0x20: BPF_F_XDP_HAS_FRAGS is for xdp programs, and this is a socket_filter program/,
      );
      expect(() => spec.adjust.program('filter').setFlags(1 << 20)).toThrow(
        /program 'filter': flags is 0x100000: bits 0x100000 are no BPF_F_\* program load flag/,
      );
      expect(() => spec.adjust.program('filter').setFlags(-1)).toThrow(SpecEditError);
      // A type changed after the flags is checked at load.
      spec.adjust.program('with_frags').setType(1 /* socket_filter */);
      expect(() => loadCollection(spec, only('with_frags'))).toThrow(
        /program 'with_frags': flags is 0x20: BPF_F_XDP_HAS_FRAGS is for xdp programs/,
      );
    });

    it('setLogLevel gives that program the verifier’s log, over options.logLevel', () => {
      const spec = loadCollectionSpec(bytes);
      spec.adjust.program('buff_len').setLogLevel(1);
      {
        using c = loadCollection(spec, only('buff_len', 'filter'));
        expect(c.program('buff_len').verifierLog).toMatch(/processed \d+ insns/);
        expect(c.program('filter').verifierLog).toBe('');
      }
      spec.adjust.program('buff_len').setLogLevel(0);
      using c = loadCollection(spec, { ...only('buff_len', 'filter'), logLevel: 1 });
      expect(c.program('buff_len').verifierLog).toBe('');
      expect(c.program('filter').verifierLog).toMatch(/processed \d+ insns/);
      expect(() => spec.adjust.program('filter').setLogLevel(16)).toThrow(/program 'filter': logLevel is 16/);
      expect(() => spec.adjust.program('filter').setLogLevel(1.5)).toThrow(SpecEditError);
    });
  },
);
