import { existsSync, mkdirSync, rmdirSync, rmSync } from 'node:fs';
import { BpfMap } from '@ts-ebpf/maps';
import { attachCgroup, kernelBtf, VerifierError } from '@ts-ebpf/programs';
import { BpfAttachType, BpfMapType, BpfProgType } from '@ts-ebpf/syscall';
import { describeKernel } from '@ts-ebpf/test-utils';
import { expect, it, onTestFinished } from 'vitest';
import { loadCollection, loadCollectionSpec, SpecEditError } from '../src/index.js';
import { compileFixture } from './compile.js';

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const object = compileFixture('adjust.bpf.c');
const BPF_F_NO_PREALLOC = 1;
const only = (...programs: string[]) => ({ programs });

describeKernel('open, adjust, load', () => {
  it('setValueSize: a map without BTF types takes the new size; a BTF-typed one needs withoutBtfTypes', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.map('sized').setValueSize(24);
    expect(() => spec.adjust.map('counts').setValueSize(16)).toThrow(SpecEditError);
    expect(() => spec.adjust.map('counts').setValueSize(16)).toThrow(
      /map 'counts': valueSize is 16, which does not fit its BTF value type .*\(8 bytes\)/,
    );
    spec.adjust.map('counts').setValueSize(16, { withoutBtfTypes: true });
    using c = loadCollection(spec, only('on_xdp'));
    expect(c.map('sized').info().valueSize).toBe(24);
    const counts = c.map('counts').info();
    expect(counts.valueSize).toBe(16);
    expect(counts.btfValueTypeId).toBe(0);
    // The program still runs against the resized map.
    expect(c.program('on_xdp').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
    expect(c.map('counts').get(u32(0))![0]).toBe(1);
  });

  it('setMaxEntries and setType change the created map; conflicting types are refused before load', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.map('counts').setMaxEntries(64);
    spec.adjust.map('sized').setType(BpfMapType.LRU_HASH).setMaxEntries(1000);
    expect(() => spec.adjust.map('counts').setType(BpfMapType.RINGBUF)).toThrow(/map 'counts': keySize is 4/);
    expect(() => spec.adjust.map('outer').setType(BpfMapType.HASH)).toThrow(/inner map/);
    expect(() => spec.adjust.map('sized').setType(BpfMapType.ARRAY_OF_MAPS)).toThrow(/needs an inner map/);
    expect(() => spec.adjust.map('sized').setType(9999)).toThrow(
      /map 'sized': type is 9999, which is no map type/,
    );
    expect(() => spec.adjust.map('counts').setMaxEntries(0)).toThrow(/maxEntries is 0/);
    expect(() => spec.adjust.map('counts').setMaxEntries(-1)).toThrow(SpecEditError);
    using c = loadCollection(spec, only('on_xdp'));
    expect(c.map('counts').info().maxEntries).toBe(64);
    const sized = c.map('sized').info();
    expect([sized.type, sized.maxEntries]).toEqual([BpfMapType.LRU_HASH, 1000]);
  });

  it('setFlags, and edits of a legacy `maps` definition', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.map('sized').setFlags(BPF_F_NO_PREALLOC);
    spec.adjust.map('legacy').setMaxEntries(100).setValueSize(12).setType(BpfMapType.LRU_HASH);
    expect(() => spec.adjust.map('legacy').setType(BpfMapType.QUEUE)).toThrow(/map 'legacy': keySize is 4/);
    expect(() => spec.adjust.map('legacy').setValueSize(0)).toThrow(/map 'legacy': valueSize is 0/);
    using c = loadCollection(spec, only('uses_legacy'));
    expect(c.map('sized').info().mapFlags & BPF_F_NO_PREALLOC).toBe(BPF_F_NO_PREALLOC);
    const legacy = c.map('legacy').info();
    expect([legacy.type, legacy.maxEntries, legacy.valueSize]).toEqual([BpfMapType.LRU_HASH, 100, 12]);
    expect(c.program('uses_legacy').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  });

  it('setInnerMap: the map-in-map is created with the given template', () => {
    using template = BpfMap.create({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 });
    const spec = loadCollectionSpec(object);
    spec.adjust.map('outer').setInnerMap(template);
    expect(() => spec.adjust.map('counts').setInnerMap(template)).toThrow(/innerMap is set, but a array map/);
    using c = loadCollection(spec, only('on_xdp'));
    using fits = BpfMap.create({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 });
    using objectShaped = BpfMap.create({ type: BpfMapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    c.map('outer').set(u32(0), u32(fits.fd));
    expect(() => c.map('outer').set(u32(1), u32(objectShaped.fd))).toThrow();
  });

  it('setPinPath pins the map there', () => {
    const dir = `/sys/fs/bpf/ts-ebpf-adjust-${process.pid}`;
    mkdirSync(dir, { recursive: true });
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const spec = loadCollectionSpec(object);
    spec.adjust.map('counts').setPinPath(`${dir}/counts`);
    expect(() => spec.adjust.map('counts').setPinPath('relative/path')).toThrow(
      /pinPath is "relative\/path"/,
    );
    using c = loadCollection(spec, only('on_xdp'));
    expect(existsSync(`${dir}/counts`)).toBe(true);
    using pinned = BpfMap.fromPin(`${dir}/counts`);
    expect(pinned.info().id).toBe(c.map('counts').info().id);
  });

  it('a .data.<name> section grows with its trailing array, and the verifier sees the new size', () => {
    const before = Uint8Array.from(object);
    // buf[3] lies beyond the one-element array the object defines: refused as compiled.
    expect(() => loadCollection(object, { ...only('read_buf'), constants: { idx: 3 } })).toThrow(
      VerifierError,
    );
    const spec = loadCollectionSpec(object);
    expect(() => spec.adjust.map('.data.buf').setValueSize(10)).toThrow(/the size must be 4 \+ n × 4/);
    expect(() => spec.adjust.map('.rodata').setValueSize(8)).toThrow(/idx, is not an array/);
    expect(() => spec.adjust.map('.data.buf').setMaxEntries(2)).toThrow(/data section's map/);
    spec.adjust.map('.data.buf').setValueSize(4 + 8 * 4);
    expect(spec.dataSections.get('.data.buf')!.variables.get('buf')).toEqual({ offset: 4, size: 32 });
    using c = loadCollection(spec, { ...only('read_buf'), constants: { idx: 3 } });
    expect(c.dataMaps.get('.data.buf')!.info().valueSize).toBe(36);
    expect(c.variable('buf').size).toBe(32);
    // The initial element is kept, the new ones are zero.
    expect(c.variable('buf').get()).toEqual(Uint8Array.from([5, 0, 0, 0, ...new Uint8Array(28)]));
    expect(c.program('read_buf').testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    c.variable('buf').set(
      Uint8Array.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, ...new Uint8Array(16)]),
    );
    expect(c.program('read_buf').testRun({ data: new Uint8Array(64) }).retval).toBe(9);
    // The object's bytes are untouched.
    expect(Uint8Array.from(object)).toEqual(before);
  });

  it('setAutoload(false) leaves a program out; naming it in options.programs is refused', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.program('left_out').setAutoload(false);
    spec.adjust.program('read_buf').setAutoload(false);
    spec.adjust.program('on_enter').setAutoload(false);
    using c = loadCollection(spec);
    expect([...c.programs.keys()].sort()).toEqual(['on_connect', 'on_xdp', 'retyped', 'uses_legacy']);
    expect(() => loadCollection(spec, only('left_out'))).toThrow(
      /program 'left_out': autoload is false, but options.programs names the program/,
    );
    // The same spec loads again, now with the program back.
    spec.adjust.program('left_out').setAutoload(true);
    using again = loadCollection(spec, only('left_out'));
    expect(again.program('left_out').testRun({ data: new Uint8Array(64) }).retval).toBe(1);
  });

  it('SEC("?xdp") (libbpf: not loaded unless asked for) is an xdp program with autoload off', () => {
    const spec = loadCollectionSpec(compileFixture('optional.bpf.c'));
    const optional = spec.programs.get('on_request')!;
    expect(optional.section).toBe('xdp');
    expect(optional.autoload).toBe(false);
    expect(optional.sectionDef.progType).toBe(BpfProgType.XDP);
    expect(spec.programs.get('always')!.autoload).toBeUndefined();
    {
      using c = loadCollection(spec);
      expect([...c.programs.keys()]).toEqual(['always']);
    }
    spec.adjust.program('on_request').setAutoload(true);
    using c = loadCollection(spec);
    expect(c.program('on_request').testRun({ data: new Uint8Array(64) }).retval).toBe(1);
    expect(c.program('always').testRun({ data: new Uint8Array(64) }).retval).toBe(2);
  });

  it('setType loads the program as another type', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.program('retyped').setType(BpfProgType.SCHED_CLS);
    expect(() => spec.adjust.program('retyped').setType(4242)).toThrow(/program 'retyped': type is 4242/);
    using c = loadCollection(spec, only('retyped'));
    expect(c.program('retyped').info().type).toBe(BpfProgType.SCHED_CLS);
  });

  it('setExpectedAttachType: the program attaches as the new type; a type the kernel refuses is caught first', () => {
    const cgroup = `/sys/fs/cgroup/unified/ts-ebpf-adjust-${process.pid}`;
    mkdirSync(cgroup, { recursive: true });
    onTestFinished(() => rmdirSync(cgroup));
    {
      using c = loadCollection(object, only('on_connect'));
      expect(() =>
        attachCgroup(c.program('on_connect'), cgroup, { attachType: BpfAttachType.CGROUP_INET6_CONNECT }),
      ).toThrow();
    }
    const spec = loadCollectionSpec(object);
    spec.adjust.program('on_connect').setExpectedAttachType(BpfAttachType.CGROUP_INET6_CONNECT);
    {
      using c = loadCollection(spec, only('on_connect'));
      using link = attachCgroup(c.program('on_connect'), cgroup, {
        attachType: BpfAttachType.CGROUP_INET6_CONNECT,
      });
      expect(link.fd).toBeGreaterThan(0);
    }
    spec.adjust.program('on_connect').setExpectedAttachType(BpfAttachType.XDP);
    expect(() => loadCollection(spec, only('on_connect'))).toThrow(
      /program 'on_connect': expectedAttachType is xdp, which the kernel refuses for cgroup_sock_addr programs/,
    );
    expect(() => spec.adjust.program('on_connect').setExpectedAttachType(777)).toThrow(SpecEditError);
  });

  it('setAttachTarget retargets a tp_btf program; programs without targets refuse one', () => {
    const spec = loadCollectionSpec(object);
    spec.adjust.program('on_enter').setAttachTarget('sys_exit');
    expect(() => spec.adjust.program('on_xdp').setAttachTarget('sys_exit')).toThrow(
      /program 'on_xdp': attachTarget "sys_exit": xdp programs have no attach target/,
    );
    expect(() => spec.adjust.program('on_enter').setAttachTarget('')).toThrow(/expected a kernel BTF name/);
    using c = loadCollection(spec, only('on_enter'));
    expect(c.program('on_enter').info().attachBtfId).toBe(
      kernelBtf().find('btf_trace_sys_exit', 'typedef')!.id,
    );
  });

  it('unknown names are refused naming what there is', () => {
    const spec = loadCollectionSpec(object);
    expect(() => spec.adjust.map('nope')).toThrow(
      /no map 'nope' in the object \(maps: counts, sized, inner1, outer/,
    );
    expect(() => spec.adjust.program('nope')).toThrow(/no program 'nope'/);
  });
});
