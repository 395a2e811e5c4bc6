import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachOptionsError } from '@ts-ebpf/elf';
import { type BpfMap, CodecError, perCpu, sum, u32, u64 } from '@ts-ebpf/maps';
import { InterfaceNotFoundError, Link, Program, queryXdp } from '@ts-ebpf/programs';
import { getpid } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it, onTestFinished, vi } from 'vitest';
import { DefinitionError, ScriptError, script } from '../src/index.js';
import { compileFixture } from './support.js';

const veth = new VethPair('mco', 233);
let dir = '';
let object: Buffer;
let usdtObject: Buffer;
let target = '';

// A target firing USDT probe zz:tick with its first command-line argument (no semaphore).
const TARGET = `
#include <sys/sdt.h>
#include <stdlib.h>
__attribute__((noinline)) void fire(long x) {
  DTRACE_PROBE1(zz, tick, x);
  __asm__ volatile("");
}
int main(int argc, char **argv) {
  fire(atol(argv[1]));
  return 0;
}
`;

const calls = (n: number) => {
  for (let i = 0; i < n; i++) getpid();
};

describeKernel('macros: script.fromObject', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-macros-obj-'));
    object = compileFixture('count.bpf.c', dir);
    usdtObject = compileFixture('usdt-args.bpf.c', dir);
    target = join(dir, 'usdt-target');
    writeFileSync(`${target}.c`, TARGET);
    execFileSync('gcc', ['-O1', '-o', target, `${target}.c`]);
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

  it('typed handles of a per-CPU map take perCpu(...); a plain value codec is refused naming the map', () => {
    const fds = openFds();
    {
      using s = script.fromObject(compileFixture('percpu.bpf.c', dir), { autoAttach: false });
      const plain = thrownBy(() => s.map('per_cpu_packets', { key: u32, value: u64 }));
      expect(plain).toBeInstanceOf(CodecError);
      expect((plain as Error).message).toMatch(
        /percpu_array map 'per_cpu_packets'.*perCpu\(\.\.\.\) value codec.*give perCpu\(u64\)/,
      );
      const packets: BpfMap<number, bigint[]> = s.map('per_cpu_packets', { key: u32, value: perCpu(u64) });
      for (let i = 0; i < 3; i++) s.programs.count_packet!.testRun({ data: new Uint8Array(64) });
      expect(sum(packets.get(0)!)).toBe(3n);
    }
    expect(leakedFds(fds)).toEqual([]);
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

  it("a section attach missing its target is refused before anything is loaded, with elf's check", () => {
    const fds = openFds();
    const load = vi.spyOn(Program, 'load');
    onTestFinished(() => load.mockRestore());
    // on_getpid (a tracepoint) could attach; on_packet (xdp) has no interface: nothing is made
    const e = thrownBy(() => script.fromObject(object));
    expect(e).toBeInstanceOf(ScriptError);
    expect((e as ScriptError).step).toBe("attach program 'on_packet' (section xdp)");
    expect((e as ScriptError).cause).toBeInstanceOf(AttachOptionsError);
    expect((e as Error).message).toContain(
      "program on_packet (section xdp): attach option 'interface': missing",
    );
    expect(load).not.toHaveBeenCalled();
    expect(leakedFds(fds)).toEqual([]);
    // a program left unattached (false) or given a spec is not checked by its section
    using s = script.fromObject(object, { attach: { on_packet: false } });
    expect(Object.keys(s.links)).toEqual(['on_getpid']);
  });

  it('an explicit usdt spec fills the argument specs: bpf_usdt_arg() of usdt.bpf.h reads the argument', () => {
    using s = script.fromObject(usdtObject, {
      attach: { bare: { kind: 'usdt', binary: target, provider: 'zz', name: 'tick' } },
    });
    execFileSync(target, ['4242']);
    expect(s.collection.variable('hits').getBigInt()).toBe(1n);
    expect(s.collection.variable('rc').getBigInt()).toBe(0n);
    expect(s.collection.variable('value').getBigInt()).toBe(4242n);
  });

  it('an explicit usdt spec for an object without usdt.bpf.h maps is refused before loading', () => {
    const fds = openFds();
    const e = thrownBy(() =>
      script.fromObject(object, {
        autoAttach: false,
        attach: { on_getpid: { kind: 'usdt', binary: target, provider: 'zz', name: 'tick' } },
      }),
    );
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).field).toBe('attach.on_getpid');
    expect((e as Error).message).toContain('__bpf_usdt_specs');
    expect(leakedFds(fds)).toEqual([]);
  });

  it('closes links strictly in reverse order of creation, section-attached ones included', () => {
    const closed: Link[] = [];
    const original = Link.prototype.close;
    const close = vi.spyOn(Link.prototype, 'close').mockImplementation(function (this: Link) {
      if (!closed.includes(this)) closed.push(this);
      original.call(this);
    });
    onTestFinished(() => close.mockRestore());
    // on_getpid (first in the object) by an explicit spec, on_packet after it by its section.
    const s = script.fromObject(object, {
      targets: { interface: veth.host },
      attach: { on_getpid: { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_getpid' } },
    });
    const made = [s.links.on_getpid, s.links.on_packet];
    s.close();
    expect(closed.filter((l) => made.includes(l))).toEqual(made.reverse());
  });
});
