import { describeKernel } from '@ts-ebpf/test-utils';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { frames } from './support/frames.js';
import { PROG_TYPES, RecordMap, runParseWithReturn, withLoaded } from './support/kernel.js';
import { CONTEXTS, parseProgram, type Variant } from './support/parse-program.js';
import { referenceParse, Stage } from './support/reference.js';

/** Every combination of parser options the test program can be built with. */
function variants(): Variant[] {
  const out: Variant[] = [];
  for (const vlanTags of [0, 1, 2, 3])
    for (const extensions of [0, 1, 4])
      for (const ipOptions of [true, false])
        for (const tcpPayload of [false, true])
          for (const missAction of [undefined, 1])
            out.push({
              vlanTags,
              extensions,
              ipOptions,
              tcpPayload,
              ...(missAction === undefined ? {} : { missAction }),
            });
  return out;
}

describeKernel('the verifier accepts every combination of parsers', () => {
  let map: RecordMap;
  beforeAll(() => {
    map = new RecordMap();
  });
  afterAll(() => map.close());

  for (const kind of ['xdp', 'tc'] as const) {
    it(`${kind}: ${variants().length} variants load, and each parses a whole frame as the reference does`, () => {
      const all = frames();
      for (const v of variants()) {
        withLoaded(parseProgram(CONTEXTS[kind], map.fd, v), PROG_TYPES[kind], (fd) => {
          if (v.ipOptions === false || v.tcpPayload) return; // the reference knows the default options only
          for (const f of all) {
            const want = referenceParse(f.bytes, v.vlanTags, v.extensions);
            const done = want.status === Stage.DONE;
            // A miss given as an action returns it at once and records no stage.
            if (v.missAction !== undefined && !done) want.status = 0;
            const retval = v.missAction !== undefined && !done ? v.missAction : 2;
            expect(runParseWithReturn(fd, map, f.bytes), `${f.name} with ${JSON.stringify(v)}`).toEqual({
              record: want,
              retval,
            });
          }
        });
      }
    });
  }
});
