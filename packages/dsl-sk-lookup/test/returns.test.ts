import { expect, it } from 'vitest';
import { SK_LOOKUP_RETURN_CODES, skLookup, steerPortRange } from '../src/index.js';

const { SK_DROP, SK_PASS } = SK_LOOKUP_RETURN_CODES;

it("records each verdict an option or template chooses, for the section's return check", () => {
  const built = skLookup().build(
    steerPortRange({ fd: 3 }, { from: 8000, to: 8009, onMissing: 'SK_DROP', onFailure: 'SK_PASS' }),
  );
  expect(built.instructions.flatMap((i) => (i.returns ? [i.returns] : []))).toEqual([
    { code: SK_PASS, by: 'assignFromMap' },
    { code: SK_PASS, by: 'assignFromMap onFailure' },
    { code: SK_DROP, by: 'assignFromMap onMissing' },
    { code: SK_PASS, by: 'template steerPortRange' },
  ]);
});
