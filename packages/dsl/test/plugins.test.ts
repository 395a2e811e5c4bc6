import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

describe('plugin registry', () => {
  it('ships socket_filter for BPF_PROG_TYPE_SOCKET_FILTER', () => {
    const plugin = d.getPlugin(d.ProgramType.SOCKET_FILTER);
    expect(plugin).toBe(d.socketFilterPlugin);
    expect(plugin?.name).toBe('socket_filter');
    expect(plugin?.sectionNames).toContain('socket');
    expect(d.getPlugin(d.ProgramType.XDP)).toBeUndefined();
  });

  it('registers and replaces plugins by program type', () => {
    const xdp: d.DslPlugin = {
      name: 'xdp-test',
      programType: d.ProgramType.XDP,
      sectionNames: ['xdp'],
      context: { type: 'struct xdp_md', size: 24, fields: {} },
      returnCodes: { XDP_PASS: 2 },
      helpers: 'all',
    };
    d.registerPlugin(xdp);
    expect(d.getPlugin(6)).toBe(xdp);
    expect(d.listPlugins().map((p) => p.name)).toEqual(expect.arrayContaining(['socket_filter', 'xdp-test']));
  });
});

describe('socket_filter plugin', () => {
  const plugin = d.socketFilterPlugin;
  const fields = plugin.context.fields;

  it('context layout matches struct __sk_buff in linux/bpf.h', () => {
    const cFields = Object.keys(fields);
    const layout = headerLayout(cFields);
    for (const name of cFields) {
      const [offset, size] = layout.get(name)!;
      expect({ name, offset: fields[name]!.offset, size: fields[name]!.size }).toEqual({
        name,
        offset,
        size,
      });
    }
    expect(plugin.context.size).toBe(layout.get('size')![0]);
  });

  it('loads readable fields with their size and refuses the rest', () => {
    expect(d.loadContext(plugin, 'len', R0)).toEqual(d.ldx('w', R0, R1, 0));
    expect(d.loadContext(plugin, 'sk', R2, R6)).toEqual(d.ldx('dw', R2, R6, 168));
    expect(() => d.loadContext(plugin, 'data', R0)).toThrow(/may not read struct __sk_buff.data/);
    expect(() => d.loadContext(plugin, 'nope', R0)).toThrow(/has no field 'nope'/);
    expect(d.storeContext(plugin, 'cb[2]', R0)).toEqual(d.stx('w', R1, R0, 56));
    expect(() => d.storeContext(plugin, 'mark', R0)).toThrow(/may not write struct __sk_buff.mark/);
  });

  it('allows only known helpers and checks programs against them', () => {
    for (const name of plugin.helpers as readonly string[]) expect(d.findHelper(name), name).toBeDefined();
    expect(() => d.checkHelpers(plugin, [d.call('map_lookup_elem'), d.exit()])).not.toThrow();
    expect(() => d.checkHelpers(plugin, [d.mov(R0, 0), d.call('xdp_adjust_head'), d.exit()])).toThrow(
      /instruction #1 \(call 44\): socket_filter programs may not call helper xdp_adjust_head/,
    );
  });

  it('has return codes, a prologue and templates', () => {
    expect(plugin.returnCodes).toEqual({ DROP: 0, KEEP_ALL: -1 });
    expect(plugin.prologue?.()).toEqual([d.mov(R6, R1)]);
    const t = plugin.templates;
    expect(d.format(t.acceptAll())).toBe('r0 = -1\nexit\n');
    expect(d.format(t.dropAll())).toBe('r0 = 0\nexit\n');
    expect(d.format(t.truncate(64))).toBe('r0 = 64\nexit\n');
    expect(d.format(t.etherType(0x0800))).toContain('if r0 != 8 goto .drop');
  });
});
