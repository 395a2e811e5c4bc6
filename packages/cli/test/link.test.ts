import { rmSync } from 'node:fs';
import { attachRawTracepoint, BpfProgType, type Link, Program } from '@ts-ebpf/programs';
import { ensureBpffs } from '@ts-ebpf/syscall';
import { describeKernel, returns } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bpftoolJson, cli, cliJson, uniquePin } from './run.js';

type Json = Record<string, unknown>;

describeKernel('ts-ebpf link', () => {
  let program: Program;
  let link: Link;
  const pin = uniquePin('link');

  beforeAll(() => {
    ensureBpffs();
    program = Program.load({ type: BpfProgType.RAW_TRACEPOINT, name: 'cli_rawtp', instructions: returns(0) });
    link = attachRawTracepoint(program, 'sys_enter');
    link.pin(pin);
  });

  afterAll(() => {
    rmSync(pin, { force: true });
    link?.close();
    program?.close();
  });

  it('link list --json: id, type, prog_id and tp_name as bpftool prints them', async () => {
    const id = link.info().id;
    const ours = (await cliJson<Json[]>(['link', 'list'])).find((l) => l.id === id);
    const theirs = bpftoolJson<Json[]>('link', 'list').find((l) => l.id === id);
    expect(ours).toBeDefined();
    expect(theirs).toBeDefined();
    // bpftool also prints `pids` (processes holding the link): we do not.
    const { pids: _, ...shared } = theirs!;
    expect(ours).toEqual(shared);
    expect(ours).toMatchObject({ type: 'raw_tracepoint', prog_id: program.info().id, tp_name: 'sys_enter' });
  });

  it('link show by id and by pin; a table for people', async () => {
    const id = String(link.info().id);
    expect(await cliJson<Json>(['link', 'show', 'pinned', pin])).toEqual(
      await cliJson<Json>(['link', 'show', id]),
    );
    const table = await cli(['link', 'show', 'id', id]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      new RegExp(`\\n${id}\\s+raw_tracepoint\\s+${program.info().id}\\s+tp_name sys_enter\\n`),
    );
  });

  it('a program pinned where a link is expected, and a missing link id, are errors (exit 1)', async () => {
    const progPin = uniquePin('not-a-link');
    program.pin(progPin);
    try {
      const r = await cli(['link', 'show', progPin]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the object pinned at '${progPin}' is not a link: it is program`);
    } finally {
      rmSync(progPin, { force: true });
    }
    const gone = await cli(['link', 'show', 'id', '4294967295']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no link has id 4294967295');
  });
});
