import { describe, expect, it } from 'vitest';
import { describeLocation, parseVerifierLog, verifierHint } from '../src/index.js';

const LOG = `func#0 @0
0: R1=ctx() R10=fp0
0: (b7) r0 = 0                        ; R0_w=0
1: (61) r0 = *(u32 *)(r1 +4096)
invalid bpf_context access off=4096 size=4
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
`;

describe('verifier log parsing', () => {
  it('finds the error line and the last instruction printed', () => {
    expect(parseVerifierLog(LOG)).toEqual({
      errorLine: 'invalid bpf_context access off=4096 size=4',
      slot: 1,
    });
    expect(verifierHint('invalid bpf_context access off=4096 size=4', LOG)).toMatch(/^invalid memory access/);
  });

  it('gives no error line for a log of statistics only', () => {
    expect(parseVerifierLog('processed 0 insns (limit 1000000) max_states_per_insn 0\n')).toEqual({
      errorLine: '',
      slot: undefined,
    });
  });

  it('hints at NULL checks and describes a location', () => {
    expect(verifierHint("R0 invalid mem access 'map_value_or_null'", '')).toMatch(/NULL/);
    expect(describeLocation({ slot: 5, index: 4, label: 'bad', labelOffset: 1, text: 'r0 = 1' })).toBe(
      'instruction 4 (slot 5) [bad+1: r0 = 1]',
    );
    expect(describeLocation({ slot: 3, index: 3 })).toBe('instruction 3');
  });
});
