import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedHelpers, BpfAttachType, BpfFunc, BpfProgType } from '@ts-ebpf/uapi';
import { describe, expect, it } from 'vitest';
import * as d from '../src/index.js';
import { run } from './support/tools.js';

const { R0, R1, R2, R6 } = d;

/** Offsets and sizes of struct __sk_buff fields, as gcc computes them from linux/bpf.h. */
function headerLayout(fields: string[]): Map<string, [number, number]> {
  const dir = mkdtempSync(join(tmpdir(), 'dsl-skb-'));
  try {
    const src = join(dir, 'layout.c');
    const lines = fields.map(
      (f) =>
        `printf("%s %zu %zu\\n", "${f}", offsetof(struct __sk_buff, ${f}), sizeof(((struct __sk_buff *)0)->${f}));`,
    );
    writeFileSync(
      src,
      `#include <stdio.h>\n#include <stddef.h>\n#include <linux/bpf.h>\nint main(void) {\n${lines.join('\n')}\nprintf("size %zu 0\\n", sizeof(struct __sk_buff));\nreturn 0;\n}\n`,
    );
    const exe = join(dir, 'layout');
    expect(run('gcc', [src, '-o', exe]).stderr).toBe('');
    const out = new Map<string, [number, number]>();
    for (const line of run(exe, []).stdout.trim().split('\n')) {
      const [name, off, size] = line.split(' ');
      out.set(name!, [Number(off), Number(size)]);
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function testPlugin(name: string, sections: string[]): d.DslPlugin {
  return d.definePlugin({
    name,
    sections,
    context: { type: 'struct xdp_md', size: 24, fields: { data: d.contextField(0, 4, { kind: 'packet' }) } },
    returnCodes: { XDP_PASS: 2 },
    templates: {},
  });
}

describe('plugin registry', () => {
  it('is an instance: nothing is registered at import, two registries share nothing', () => {
    const a = new d.PluginRegistry();
    const b = new d.PluginRegistry([d.socketFilterPlugin]);
    expect(a.list()).toEqual([]);
    expect(b.list()).toEqual([d.socketFilterPlugin]);
    expect(b.get('socket_filter')).toBe(d.socketFilterPlugin);
    expect(a.get('socket_filter')).toBeUndefined();
  });

  it('refuses a duplicate name or a section another plugin has', () => {
    const r = new d.PluginRegistry([d.socketFilterPlugin, testPlugin('xdp-a', ['xdp', 'xdp/devmap'])]);
    expect(() => r.register(d.socketFilterPlugin)).toThrow(d.DuplicatePluginError);
    expect(() => r.register(testPlugin('xdp-b', ['xdp.frags', 'xdp/devmap']))).toThrow(
      /plugin 'xdp-b' cannot be registered: section 'xdp\/devmap' already belongs to plugin 'xdp-a'/,
    );
    // Nothing of the refused plugin was registered.
    expect(r.forSection('xdp.frags')).toBeUndefined();
    expect(r.list().map((p) => p.name)).toEqual(['socket_filter', 'xdp-a']);
  });

  it('finds the plugin section for an ELF section name', () => {
    const r = new d.PluginRegistry([testPlugin('tp', ['tp'])]);
    const s = r.forSection('tp/sched/sched_switch')!;
    expect(s.plugin.name).toBe('tp');
    expect(s.section).toBe('tp');
    expect(s.def.progType).toBe(d.ProgramType.TRACEPOINT);
    expect(r.forSection('xdp')).toBeUndefined();
    expect(r.forSection('.text')).toBeUndefined();
  });

  it('refuses a plugin whose section is not a libbpf section name', () => {
    expect(() => testPlugin('bad', ['xdpp'])).toThrow(/plugin 'bad': 'xdpp' is not a section name/);
    expect(() => d.pluginSection(d.socketFilterPlugin, 'xdp')).toThrow(
      /plugin 'socket_filter' has no section 'xdp' \(it has 'socket'\)/,
    );
  });
});

describe('a plugin with prologue, epilogue and per-section access', () => {
  const plugin = d.definePlugin({
    name: 'tc-like',
    sections: ['tc', 'tcx/ingress'],
    context: {
      type: 'struct __sk_buff',
      size: 192,
      fields: {
        mark: d.contextField(8, 4, { write: ['tcx/ingress'] }),
        data: d.contextField(76, 4, { kind: 'packet' }),
      },
    },
    returnCodes: { TC_ACT_OK: 0, TC_ACT_SHOT: 2 },
    prologue: () => [d.mov(R6, R1)],
    epilogue: () => [d.mark('done'), d.exit()],
    templates: {},
  });

  it('builds prologue, body and epilogue in order, with the attach type of the section', () => {
    const s = d.pluginSection(plugin, 'tcx/ingress');
    const built = s.build([d.mov(R0, plugin.returnCodes.TC_ACT_OK), d.ja('done')]);
    expect(d.format(built.instructions)).toBe('r6 = r1\nr0 = 0\ngoto done\ndone:\nexit\n');
    expect(built).toMatchObject({
      type: BpfProgType.SCHED_CLS,
      expectedAttachType: BpfAttachType.TCX_INGRESS,
    });
    expect(d.pluginSection(plugin, 'tc').build([d.mov(R0, 0)]).expectedAttachType).toBeUndefined();
  });

  it('checks writes per section', () => {
    expect(d.pluginSection(plugin, 'tcx/ingress').store('mark', R2, R6)).toEqual(d.stx('w', R6, R2, 8));
    expect(() => d.pluginSection(plugin, 'tc').store('mark', R2)).toThrow(
      /tc-like programs of section 'tc' may not write struct __sk_buff.mark/,
    );
    // Without a section: allowed when some section may.
    expect(d.storeContext(plugin, 'mark', R2)).toEqual(d.stx('w', R1, R2, 8));
    expect(d.allows(['tc'], 'tc')).toBe(true);
    expect(d.allows(['tc'], 'tcx/ingress')).toBe(false);
    expect(d.allows([], undefined)).toBe(false);
  });
});

describe('fresh labels', () => {
  it('gives each fragment call its own labels, so one fragment can be used twice', () => {
    const clamp = d.fragment((label, r: d.Register, max: number) => [
      d.jle(r, max, label('ok')),
      d.mov(r, max),
      d.mark(label('ok')),
    ]);
    const prog = d.program(d.mov(R2, 50), clamp(R2, 10), clamp(R2, 20), d.mov(R0, R2), d.exit());
    const labels = prog.map((i) => i.label).filter((l) => l !== undefined);
    expect(new Set(labels).size).toBe(2);
    expect(() => d.assemble(prog)).not.toThrow();
    expect(d.freshLabel('x')).not.toBe(d.freshLabel('x'));
    const scope = d.labelScope();
    expect(scope('a')).toBe(scope('a'));
    expect(scope('a')).not.toBe(scope('b'));
  });
});

describe('socket_filter plugin', () => {
  const plugin = d.socketFilterPlugin;
  const fields = plugin.context.fields;
  const section = d.pluginSection(plugin, 'socket');

  it('context layout matches struct __sk_buff in linux/bpf.h', () => {
    const cFields = Object.keys(fields) as (keyof typeof fields)[];
    const layout = headerLayout(cFields);
    for (const name of cFields) {
      const [offset, size] = layout.get(name)!;
      expect({ name, offset: fields[name].offset, size: fields[name].size }).toEqual({
        name,
        offset,
        size,
      });
    }
    expect(plugin.context.size).toBe(layout.get('size')![0]);
    expect(fields.sk).toMatchObject({ kind: 'pointer', btfType: 'struct bpf_sock', nullable: true });
    expect(fields.data.kind).toBe('packet');
  });

  it('loads readable fields with their size and refuses the rest', () => {
    expect(d.loadContext(plugin, 'len', R0)).toEqual(d.ldx('w', R0, R1, 0));
    expect(section.load('sk', R2, R6)).toEqual(d.ldx('dw', R2, R6, 168));
    expect(() => section.load('data', R0)).toThrow(d.ContextAccessError);
    expect(() => section.load('data', R0)).toThrow(
      /socket_filter programs of section 'socket' may not read struct __sk_buff.data/,
    );
    expect(() => d.loadContext(plugin, 'nope' as 'len', R0)).toThrow(/has no field 'nope'/);
    expect(() => d.loadContext(plugin, 'toString' as 'len', R0)).toThrow(/has no field 'toString'/);
    expect(d.storeContext(plugin, 'cb[2]', R0)).toEqual(d.stx('w', R1, R0, 56));
    expect(() => section.store('mark', R0)).toThrow(/may not write struct __sk_buff.mark/);
  });

  it('allows the helpers the kernel facts give SOCKET_FILTER and refuses the others by name', () => {
    expect(section.helpers).toBe(allowedHelpers(BpfProgType.SOCKET_FILTER));
    expect(section.helpers.has(BpfFunc.skb_load_bytes)).toBe(true);
    expect(() => section.build([d.call('map_lookup_elem'), d.exit()])).not.toThrow();
    const err = (() => {
      try {
        section.build([d.mov(R0, 0), d.call('xdp_adjust_head'), d.exit()]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(d.HelperNotAllowedError);
    expect(err).toMatchObject({ helper: 'xdp_adjust_head', programType: 'SOCKET_FILTER', index: 2 });
    expect(String(err)).toMatch(
      /instruction #2 \(call 44\): SOCKET_FILTER programs may not call helper xdp_adjust_head/,
    );
  });

  it('builds what Program.load takes: type, attach type, prologue + body, section and plugin', () => {
    const built = section.build(plugin.templates.dropAll());
    expect(built).toMatchObject({ type: BpfProgType.SOCKET_FILTER, section: 'socket', plugin });
    expect(built.expectedAttachType).toBeUndefined();
    expect(d.format(built.instructions)).toBe('r6 = r1\nr0 = 0\nexit\n');
    expect(() => d.checkPluginProgram(built)).not.toThrow();
    expect(() => d.checkPluginProgram({ ...built, type: BpfProgType.XDP })).toThrow(
      /section 'socket': built for SOCKET_FILTER programs, loaded as XDP/,
    );
  });

  it('has return codes, a prologue and templates', () => {
    expect(plugin.returnCodes).toEqual({ DROP: 0, KEEP_ALL: -1 });
    expect(d.format(d.program(plugin.prologue!()))).toBe('r6 = r1\n');
    expect(d.format(section.ret('DROP'))).toBe('r0 = 0\nexit\n');
    const t = plugin.templates;
    expect(d.format(d.program(t.acceptAll()))).toBe('r0 = -1\nexit\n');
    expect(d.format(d.program(t.truncate(64)))).toBe('r0 = 64\nexit\n');
    expect(d.format(d.program(t.etherType(0x0800, 'little')))).toMatch(/if r0 != 8 goto \.?drop\$\d+/);
    expect(d.format(d.program(t.etherType(0x0800, 'big')))).toMatch(/if r0 != 2048 goto/);
    // Twice in one program: distinct labels.
    expect(() =>
      d.assemble(d.program(t.etherType(0x0800, 'little'), t.etherType(0x86dd, 'little'))),
    ).not.toThrow();
  });
});
