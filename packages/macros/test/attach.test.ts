import type { Program } from '@ts-ebpf/programs';
import { thrownBy } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import { attachProgram } from '../src/attach.js';
import { DefinitionError } from '../src/index.js';

describe('attachProgram (no kernel needed)', () => {
  it('an unknown kind (a spec made without the types) is a DefinitionError naming it and the kinds', () => {
    const program = { name: 'count' } as Program;
    const noMaps = () => {
      throw new Error('no map is looked up for an unknown kind');
    };
    const e = thrownBy(() => attachProgram(program, { kind: 'xpd' } as never, noMaps));
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).subject).toBe("program 'count'");
    expect((e as Error).message).toMatch(/'xpd' is not an attach kind \(xdp, tcx, tc, kprobe/);
  });
});
