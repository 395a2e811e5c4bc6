import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { bpf } from '@ts-ebpf/dsl';
import { MapType, u32, u64 } from '@ts-ebpf/maps';
import {
  BpfProgType,
  NetlinkError,
  queryXdp,
  TracepointNotFoundError,
  VerifierError,
} from '@ts-ebpf/programs';
import { ensureBpffs, ObjectClosedError } from '@ts-ebpf/syscall';
import { describeKernel, leakedFds, openFds, thrownBy, VethPair } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { defineMap, defineProgram, ScriptError, script } from '../src/index.js';
import { counter, countThenReturn } from './support.js';

const veth = new VethPair('mcl', 232);
const pinDir = `/sys/fs/bpf/ts-ebpf-macros-${process.pid}`;
const XDP_PASS = 2;

const qdiscs = () => veth.inNs(`tc qdisc show dev ${veth.peer}`);

const xdpCount = defineProgram({
  maps: { counts: counter },
  type: BpfProgType.XDP,
  build: ({ counts }) => countThenReturn(counts.fd, XDP_PASS),
});
const tcCount = defineProgram({
  maps: { counts: counter },
  type: BpfProgType.SCHED_CLS,
  build: ({ counts }) => countThenReturn(counts.fd, 0),
});
// r0 is never set: the verifier refuses the program.
const rejected = defineProgram({ type: BpfProgType.XDP, build: () => bpf`exit` });

describeKernel('macros: script lifecycle', () => {
  beforeAll(() => {
    veth.create();
    ensureBpffs();
  });
  afterAll(() => {
    veth.destroy();
    rmSync(pinDir, { recursive: true, force: true });
  });

  it('a verifier rejection in the middle: the VerifierError as cause, no fd, link or pin left', () => {
    const pinned = defineMap({
      type: MapType.HASH,
      key: u32,
      value: u64,
      pinning: { path: `${pinDir}/halfway` },
    });
    const fds = openFds();
    const e = thrownBy(() =>
      script({
        maps: { pinned },
        programs: { first: xdpCount, bad: rejected, last: tcCount },
        attach: { first: { kind: 'xdp', interface: veth.host } },
      }),
    );
    expect(e).toBeInstanceOf(ScriptError);
    const err = e as ScriptError;
    expect(err.step).toBe("load program 'bad'");
    expect(err.cause).toBeInstanceOf(VerifierError);
    expect(err.message).toContain((err.cause as Error).message);
    expect(err.cleanupErrors).toEqual([]);
    expect(err.errors).toEqual([err.cause]);
    // A bpf_link lives while an fd or a pin holds it: no fd left and no pin left is no link left
    // (the system's list of link ids also holds other processes' links, made and ended meanwhile).
    expect(leakedFds(fds)).toEqual([]);
    expect(existsSync(`${pinDir}/halfway`)).toBe(false);
    expect(queryXdp(veth.host).progId).toBe(0);
  });

  it('a failed script removes the bpffs directories it made for a pin, and only those', () => {
    const top = `/sys/fs/bpf/ts-ebpf-macros-newdir-${process.pid}`;
    onTestFinished(() => rmSync(top, { recursive: true, force: true }));
    mkdirSync(pinDir, { recursive: true });
    const pinned = (path: string) =>
      defineMap({ type: MapType.HASH, key: u32, value: u64, pinning: { path } });
    const e = thrownBy(() =>
      script({
        maps: { fresh: pinned(`${top}/sub/m`), found: pinned(`${pinDir}/found/m`) },
        programs: { bad: rejected },
      }),
    );
    expect(e).toBeInstanceOf(ScriptError);
    expect(existsSync(top)).toBe(false);
    // pinDir was there before: kept, with nothing the script made left in it.
    expect(readdirSync(pinDir)).toEqual([]);
  });

  it('an attach failing in the middle: the xdp link and the tc qdisc made before it are gone', () => {
    const tracer = defineProgram({
      type: BpfProgType.TRACEPOINT,
      build: () => bpf`r0 = 0; exit`,
      attach: { kind: 'tracepoint', category: 'syscalls', name: 'sys_enter_no_such_call' },
    });
    const fds = openFds();
    const e = thrownBy(() =>
      script({
        programs: { xdp: xdpCount, tc: tcCount, tracer },
        attach: {
          xdp: { kind: 'xdp', interface: veth.host },
          tc: { kind: 'tc', interface: veth.peer, direction: 'ingress', netns: `/run/netns/${veth.ns}` },
        },
      }),
    );
    expect(e).toBeInstanceOf(ScriptError);
    expect((e as ScriptError).step).toBe("attach program 'tracer' (tracepoint)");
    expect((e as ScriptError).cause).toBeInstanceOf(TracepointNotFoundError);
    // A bpf_link lives while an fd or a pin holds it, and this script pins nothing: no fd left is
    // no link left (the system's list of link ids holds other processes' links too).
    expect(leakedFds(fds)).toEqual([]);
    expect(queryXdp(veth.host).progId).toBe(0);
    expect(qdiscs()).not.toContain('clsact');
  });

  it('close goes on past a failing step, closes the rest and reports that step error', () => {
    const fds = openFds();
    const s = script({
      programs: { xdp: xdpCount, tc: tcCount },
      attach: {
        xdp: { kind: 'xdp', interface: veth.host },
        tc: { kind: 'tc', interface: veth.peer, direction: 'ingress', netns: `/run/netns/${veth.ns}` },
      },
    });
    // Someone else removes the qdisc: detaching the tc filter can only fail.
    veth.inNs(`tc qdisc del dev ${veth.peer} clsact`);
    const e = thrownBy(() => s.close());
    expect(e).toBeInstanceOf(ScriptError);
    expect((e as ScriptError).step).toBe('close');
    expect((e as ScriptError).cause).toBeInstanceOf(NetlinkError);
    expect(s.closed).toBe(true);
    // everything else was closed all the same
    expect(queryXdp(veth.host).progId).toBe(0);
    expect(leakedFds(fds)).toEqual([]);
    expect(() => s.programs.xdp.fd).toThrow(ObjectClosedError);
    s.close(); // idempotent, and quiet the second time
  });

  it('a script made and closed keeps the pins it made; a second script reuses the pinned map', () => {
    const shared = defineMap({
      type: MapType.ARRAY,
      key: u32,
      value: u64,
      maxEntries: 4,
      pinning: { path: `${pinDir}/kept` },
    });
    {
      using s = script({ maps: { shared } });
      s.maps.shared.set(1, 42n);
    }
    expect(existsSync(`${pinDir}/kept`)).toBe(true);
    {
      using again = script({ maps: { shared } });
      expect(again.maps.shared.get(1)).toBe(42n);
    }
    rmSync(`${pinDir}/kept`);
  });
});
