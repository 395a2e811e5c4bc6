import { describe, expect, it } from 'vitest';
import { checkStructOpsMembers, StructOpsMembersError } from '../src/index.js';

const thrownBy = (f: () => void): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('checkStructOpsMembers: the kernel rules for which members a struct_ops value holds', () => {
  const cc = ['name', 'ssthresh', 'undo_cwnd'];

  it('takes tcp_congestion_ops with every required member (cong_avoid or cong_control)', () => {
    expect(() => checkStructOpsMembers('tcp_congestion_ops', [...cc, 'cong_avoid'])).not.toThrow();
    expect(() => checkStructOpsMembers('tcp_congestion_ops', [...cc, 'cong_control', 'init'])).not.toThrow();
  });

  it('names the first member of a required group left out, with what was given and the map', () => {
    const e = thrownBy(() => checkStructOpsMembers('tcp_congestion_ops', cc, 'my_cc'));
    expect(e).toBeInstanceOf(StructOpsMembersError);
    expect(e).toMatchObject({
      type: 'tcp_congestion_ops',
      member: 'cong_avoid',
      rule: 'required',
      map: 'my_cc',
    });
    expect((e as Error).message).toBe(
      'struct_ops map my_cc: tcp_congestion_ops.cong_avoid: is required (or cong_control) by the kernel and was not given (given: name, ssthresh, undo_cwnd)',
    );
    expect(
      thrownBy(() => checkStructOpsMembers('tcp_congestion_ops', ['ssthresh', 'undo_cwnd', 'cong_avoid'])),
    ).toMatchObject({
      member: 'name',
      rule: 'required',
      map: undefined,
    });
  });

  it('refuses a member the kernel does not take from BPF, before the required ones', () => {
    const e = thrownBy(() => checkStructOpsMembers('tcp_congestion_ops', ['get_info']));
    expect(e).toMatchObject({ member: 'get_info', rule: 'unsupported' });
  });

  it('checks nothing for a type whose rules are not known, and bpf_dummy_ops requires nothing', () => {
    expect(() => checkStructOpsMembers('tsebpf_unknown_ops', [])).not.toThrow();
    expect(() => checkStructOpsMembers('bpf_dummy_ops', [])).not.toThrow();
  });
});
