import { readFileSync } from 'node:fs';
import { kernelBtf } from '@ts-ebpf/btf/kernel';
import { exit, mov, R0, R1, R2, stx } from '@ts-ebpf/dsl';
import { BpfMap, MapType, u32, u64 } from '@ts-ebpf/maps';
import { Program, VerifierError } from '@ts-ebpf/programs';
import { describeKernel, LoopbackNetns } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  callback,
  countingCc,
  defineStructOps,
  describeStructOps,
  fixedWindowCc,
  kernelField,
  kernelRenoCc,
  minimalCc,
  renoCc,
  type StructOpsType,
  socketArg,
  TCP_SOCK,
} from '../src/index.js';
import { LoadedStructOps } from '../src/kernel.js';
import { tcpFlow } from './tcp-flow.js';

const tag = process.pid % 10000;
const cc = (what: string) => `tso${what}${tag}`;
const TRANSFER = 16 << 20;
const available = () =>
  readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);

let ops: StructOpsType;
let ns: LoopbackNetns;
beforeAll(() => {
  ops = describeStructOps(kernelBtf(), 'tcp_congestion_ops');
  // An Ethernet-sized MTU: with loopback's 64 KiB the initial window holds 640 KiB and a sender
  // is seldom limited by its congestion window.
  ns = new LoopbackNetns('sops', { mtu: 1500 });
});
afterAll(() => ns?.[Symbol.dispose]());

describeKernel('dsl-struct-ops: TCP congestion control written in TypeScript', () => {
  it('counts each callback into a map while a connection moves data', async () => {
    const name = cc('c');
    const members = ops.callbacks.size + ops.data.size;
    using counts = BpfMap.create({ type: MapType.ARRAY, key: u32, value: u64, maxEntries: members });
    const decl = countingCc(ops, minimalCc(name), 'counts', ['init', 'set_state', 'cwnd_event', 'release']);
    using loaded = LoadedStructOps.load(defineStructOps(ops, decl), { maps: { counts } });
    expect([...loaded.programs.keys()].sort()).toEqual(
      ['cong_avoid', 'cwnd_event', 'init', 'release', 'set_state', 'ssthresh', 'undo_cwnd'].sort(),
    );
    {
      using _link = loaded.register();
      expect(available()).toContain(name);
      const flow = await tcpFlow(ns.path, name, TRANSFER);
      expect(flow.congestion).toBe(name);
      await flow.close();
    }
    expect(available()).not.toContain(name);
    const count = (m: string) => counts.get(ops.callbacks.get(m)!.index) ?? 0n;
    expect(count('init')).toBeGreaterThanOrEqual(1n);
    expect(count('cong_avoid')).toBeGreaterThan(0n);
    expect(count('release')).toBeGreaterThanOrEqual(1n);
    expect(count('cwnd_event')).toBeGreaterThan(0n); // CA_EVENT_TX_START at least
    // ssthresh and undo_cwnd run only on loss / undo, which loopback does not have.
    expect(count('get_info')).toBe(0n);
  });

  it('the fixed-window CC holds tcpi_snd_cwnd at its value', async () => {
    const name = cc('f');
    using loaded = LoadedStructOps.load(defineStructOps(ops, fixedWindowCc(name, 7)));
    using _link = loaded.register();
    const flow = await tcpFlow(ns.path, name, TRANSFER);
    await flow.close();
    expect(flow.congestion).toBe(name);
    expect(new Set(flow.cwnd)).toEqual(new Set([7]));
  });

  it.each([
    ['reno', renoCc],
    ['kernel reno', kernelRenoCc],
    ['minimal', minimalCc],
  ] as const)('%s grows the window in slow start', async (_what, template) => {
    const name = cc(_what.replace(' ', '').slice(0, 4));
    using loaded = LoadedStructOps.load(defineStructOps(ops, template(name)));
    using _link = loaded.register();
    const flow = await tcpFlow(ns.path, name, TRANSFER);
    await flow.close();
    expect(flow.congestion).toBe(name);
    expect(flow.ssthresh).toBeGreaterThan(1000); // still in slow start: no loss on loopback
    // From the initial window (TCP_INIT_CWND, 10) up, one packet per ACKed packet.
    expect(Math.max(...flow.cwnd)).toBeGreaterThan(20);
  });

  it('unregisters while a connection still uses it: the socket keeps it, new ones cannot pick it', async () => {
    const name = cc('u');
    using loaded = LoadedStructOps.load(defineStructOps(ops, minimalCc(name)));
    const link = loaded.register();
    const flow = await tcpFlow(ns.path, name, 1 << 20);
    try {
      link.close();
      loaded.close();
      expect(available()).not.toContain(name);
      expect(flow.congestionNow()).toBe(name); // the socket holds the ops until it closes
      await expect(tcpFlow(ns.path, name, 1024)).rejects.toThrow(/ENOENT|No such file/);
    } finally {
      await flow.close();
    }
    link.close(); // idempotent
  });

  it('replaces registered ops through the link (same name), and registers by map update', async () => {
    const name = cc('r');
    using first = LoadedStructOps.load(defineStructOps(ops, minimalCc(name)));
    using second = LoadedStructOps.load(defineStructOps(ops, fixedWindowCc(name, 5)));
    using link = first.register();
    const before = await tcpFlow(ns.path, name, TRANSFER);
    await before.close();
    expect(Math.max(...before.cwnd)).toBeGreaterThan(5);
    link.replace(second.structOps, first.structOps);
    const after = await tcpFlow(ns.path, name, TRANSFER);
    await after.close();
    expect(new Set(after.cwnd)).toEqual(new Set([5]));
    link.close();
    expect(available()).not.toContain(name);

    const legacyName = cc('m');
    using legacy = LoadedStructOps.load(defineStructOps(ops, fixedWindowCc(legacyName, 6)), { link: false });
    {
      using _l = legacy.register();
      expect(available()).toContain(legacyName);
      const flow = await tcpFlow(ns.path, legacyName, 1 << 20);
      await flow.close();
      expect(new Set(flow.cwnd)).toEqual(new Set([6]));
    }
    expect(available()).not.toContain(legacyName);
  });

  it('reads BTF-typed tcp_sock fields and writes the writable ones (the verifier accepts them)', () => {
    const name = cc('w');
    const reads = ['snd_cwnd', 'snd_ssthresh', 'srtt_us', 'packets_out', 'icsk_ca_state', 'icsk_ca_priv[3]'];
    const writes = [
      'snd_cwnd_cnt',
      'icsk_ca_priv[0]',
      'icsk_ca_priv[12]',
      'snd_ssthresh',
      'ecn_flags',
      'sk_pacing_rate',
      'sk_pacing_status',
      'snd_cwnd_stamp',
      'app_limited',
      'icsk_ack.pending',
    ];
    const decl = minimalCc(name);
    const def = defineStructOps(ops, {
      ...decl,
      callbacks: {
        ...decl.callbacks,
        init: (cb) => [
          socketArg(cb, R1),
          ...reads.flatMap((f) => cb.load(TCP_SOCK, f, R2, R1)),
          mov(R2, 0),
          ...writes.map((f) => cb.store(TCP_SOCK, f, R1, R2)),
          cb.ret(),
        ],
        set_state: (cb) => [cb.arg('new_state', R0), exit()],
      },
    });
    using loaded = LoadedStructOps.load(def);
    expect(loaded.programs.get('init')!.fd).toBeGreaterThan(0);
  });

  it('the kernel refuses the write store() refuses (srtt_us), so the rule matches the kernel', () => {
    const cb = callback(ops, 'init');
    const srtt = kernelField(ops.btf, TCP_SOCK, 'srtt_us');
    const raw = cb.build([socketArg(cb, R1), mov(R2, 0), stx('w', R1, R2, srtt.offset), cb.ret()]);
    expect(() => Program.load(raw)).toThrow(VerifierError);
  });
});
