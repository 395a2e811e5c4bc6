import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { u32, u64 } from '@ts-ebpf/maps';
import { InterfaceNotFoundError, queryXdp } from '@ts-ebpf/programs';
import { getpid } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DefinitionError, ScriptError, script } from '../src/index.js';

const veth = new VethPair('mco', 233);
let dir = '';
let object: Buffer;

/** Compiles fixtures/<name> with clang for the BPF target; the object's bytes as readFileSync gives them. */
function compile(name: string): Buffer {
  const out = join(dir, name.replace(/\.c$/, '.o'));
  const src = new URL(`./fixtures/${name}`, import.meta.url).pathname;
  execFileSync('clang-19', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    '-idirafter',
    '/usr/include/x86_64-linux-gnu',
    '-c',
    src,
    '-o',
    out,
  ]);
  return readFileSync(out);
}

const calls = (n: number) => {
  for (let i = 0; i < n; i++) getpid();
};

describeKernel('macros: script.fromObject', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-macros-obj-'));
    object = compile('count.bpf.c');
    veth.create();
  });
  afterAll(() => {
    veth.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('attaches by section and by an explicit spec; typed map handles; closed as a whole', () => {
    const fds = openFds();
    {
      using s = script.fromObject(object, { attach: { on_packet: { kind: 'xdp', interface: veth.host } } });
      expect(Object.keys(s.programs).sort()).toEqual(['on_getpid', 'on_packet']);
      expect(s.links.on_getpid?.info()).toMatchObject({ type: 'perf_event', tracepoint: 'sys_enter_getpid' });
      const getpids = s.map('getpid_calls', { key: u32, value: u64 });
      calls(4);
      expect(getpids.get(0)).toBeGreaterThanOrEqual(4n);
      veth.sendToHost(3);
      expect(s.map('packets', { key: u32, value: u64 }).get(0)).toBeGreaterThanOrEqual(3n);
      expect(queryXdp(veth.host).progId).toBe(s.programs.on_packet!.info().id);
    }
    expect(queryXdp(veth.host).progId).toBe(0);
    expect(leakedFds(fds)).toEqual([]);
  });

  it('section targets, load-only programs and autoAttach: false', () => {
    {
      using s = script.fromObject(object, {
        targets: { interface: veth.host },
        attach: { on_getpid: false },
      });
      expect(Object.keys(s.links)).toEqual(['on_packet']);
    }
    using quiet = script.fromObject(object, { autoAttach: false });
    expect(Object.keys(quiet.links)).toEqual([]);
    expect(quiet.programs.on_getpid!.closed).toBe(false);
  });

  it('a failing attach closes the object: ScriptError with the attach error, no fd left', () => {
    const fds = openFds();
    let thrown: unknown;
    try {
      script.fromObject(object, { attach: { on_packet: { kind: 'xdp', interface: 'no-such-if0' } } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ScriptError);
    expect((thrown as ScriptError).step).toBe("attach program 'on_packet' (xdp)");
    expect((thrown as ScriptError).cause).toBeInstanceOf(InterfaceNotFoundError);
    expect(leakedFds(fds)).toEqual([]);
  });

  it('an attach entry for a program the object lacks is refused before anything is attached', () => {
    const fds = openFds();
    let thrown: unknown;
    try {
      script.fromObject(object, { attach: { on_nothing: { kind: 'raw_tp', name: 'sys_enter' } } });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ScriptError);
    expect((thrown as ScriptError).cause).toBeInstanceOf(DefinitionError);
    expect((thrown as Error).message).toContain('on_nothing');
    expect(leakedFds(fds)).toEqual([]);
  });
});
