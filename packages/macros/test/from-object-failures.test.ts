import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectionVerifierError } from '@ts-ebpf/elf';
import { BpfMap, MapType, u32, u64 } from '@ts-ebpf/maps';
import { AttachError, Program } from '@ts-ebpf/programs';
import { ensureBpffs } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it, onTestFinished, vi } from 'vitest';
import { DefinitionError, ScriptError, script } from '../src/index.js';
import { compileFixture } from './support.js';

let dir = '';
let object: Buffer;
// A pin root of this test's that no load made yet: fromObject creates it for the pinned map.
let root = '';
let n = 0;

describeKernel('macros: script.fromObject failures', () => {
  beforeAll(() => {
    ensureBpffs();
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-macros-fail-'));
    object = compileFixture('pinned.bpf.c', dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const freshRoot = () => {
    root = `/sys/fs/bpf/ts-ebpf-macros-fo-${process.pid}-${n++}`;
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    return root;
  };

  it('an attach name the object lacks is a DefinitionError naming it, before any map or pin is made', () => {
    const pinRoot = freshRoot();
    const fds = openFds();
    const load = vi.spyOn(Program, 'load');
    onTestFinished(() => load.mockRestore());
    // The object's program 'bad' fails the verifier: a load would report that first.
    const e = thrownBy(() => script.fromObject(object, { pinRoot, attach: { nonexist: false } }));
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).field).toBe('attach.nonexist');
    expect((e as Error).message).toMatch(/no program of the object \(good, no_target, bad\)/);
    expect(load).not.toHaveBeenCalled();
    expect(existsSync(pinRoot)).toBe(false);
    expect(leakedFds(fds)).toEqual([]);
  });

  it('an attach name of a program options.programs leaves out says so', () => {
    const e = thrownBy(() =>
      script.fromObject(object, { pinRoot: freshRoot(), programs: ['good'], attach: { bad: false } }),
    );
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).field).toBe('attach.bad');
    expect((e as Error).message).toMatch(/options\.programs leaves it out \(loaded: good\)/);
  });

  it('an attach value that is no spec, section or false is a DefinitionError naming the entry', () => {
    const fds = openFds();
    for (const value of [true, 'sections', null, 0]) {
      const e = thrownBy(() =>
        script.fromObject(object, {
          pinRoot: freshRoot(),
          programs: ['good'],
          autoAttach: false,
          attach: { good: value as never },
        }),
      );
      expect(e).toBeInstanceOf(DefinitionError);
      expect((e as DefinitionError).field).toBe('attach.good');
      expect((e as Error).message).toContain(String(value));
    }
    expect(leakedFds(fds)).toEqual([]);
  });

  it('a failing section attach removes the pin and the pin root the load made', () => {
    const pinRoot = freshRoot();
    const fds = openFds();
    const e = thrownBy(() => script.fromObject(object, { pinRoot, programs: ['good', 'no_target'] }));
    expect(e).toBeInstanceOf(ScriptError);
    expect((e as ScriptError).step).toBe("attach program 'no_target' (section raw_tp/no_such_raw_tp)");
    expect((e as ScriptError).cause).toBeInstanceOf(AttachError);
    expect((e as ScriptError).cleanupErrors).toEqual([]);
    expect(existsSync(pinRoot)).toBe(false);
    expect(leakedFds(fds)).toEqual([]);
  });

  it('a verifier rejection removes the pin the load made, and leaves the pin root it found', () => {
    const pinRoot = freshRoot();
    mkdirSync(pinRoot);
    // The xdp program 'bad' is given an interface: its section check passes, the verifier refuses it.
    const e = thrownBy(() => script.fromObject(object, { pinRoot, targets: { interface: 'lo' } }));
    expect(e).toBeInstanceOf(ScriptError);
    expect((e as ScriptError).cause).toBeInstanceOf(CollectionVerifierError);
    expect(readdirSync(pinRoot)).toEqual([]);
  });

  it('a pin reused from before stays when the script fails', () => {
    const pinRoot = freshRoot();
    using before = BpfMap.create({
      type: MapType.ARRAY,
      key: u32,
      value: u64,
      maxEntries: 1,
      name: 'fo_pinned',
      pinning: { path: `${pinRoot}/fo_pinned` },
    });
    before.set(0, 7n);
    const e = thrownBy(() => script.fromObject(object, { pinRoot, programs: ['good', 'no_target'] }));
    expect(e).toBeInstanceOf(ScriptError);
    using after = BpfMap.fromPin(`${pinRoot}/fo_pinned`, { key: u32, value: u64 });
    expect(after.get(0)).toBe(7n);
  });
});
