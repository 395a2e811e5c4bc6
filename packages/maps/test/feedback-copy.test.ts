import { describeKernel, runWithoutEval } from '@ts-ebpf/test-utils';
import { HOST_LITTLE_ENDIAN } from '@ts-ebpf/uapi';
import ts from 'typescript';
import { afterAll, expect, it } from 'vitest';
import { FeedbackCopies, feedbackCopy } from '../src/feedback-copy.js';
import {
  defaultPoller,
  type Infer,
  PerfBuffer,
  RingBuffer,
  struct,
  u32,
  u64,
  u64AsNumber,
} from '../src/index.js';
import { takePerfEventWith } from '../src/perf-event-take.js';
import { drainPerfRingWith } from '../src/perf-events.js';
import { drainRingEventsWith, takeRingEventWith } from '../src/ring-events.js';
import { perfWithProducer, ringWithProducer, run } from './programs.js';

afterAll(() => expect(defaultPoller().size).toBe(0));

function scale(xs: number[], by: number, add: { offset: number }): number[] {
  const out: number[] = [];
  for (const x of xs) out.push(x * by + add.offset);
  return out;
}

it('a feedback copy computes what its function does, and names itself in stack traces', () => {
  const copy = feedbackCopy(scale, 'scale');
  expect(copy).not.toBe(scale);
  expect(copy([1, 2, 3], 10, { offset: 1 })).toEqual([11, 21, 31]);
  const other = feedbackCopy(scale, 'scale');
  expect(other).not.toBe(copy);
  // a copy throws what its function throws, from a frame named for it
  const bad = {
    get offset(): number {
      throw new Error('no offset');
    },
  };
  let stack = '';
  try {
    copy([1], 1, bad);
  } catch (e) {
    stack = (e as Error).stack ?? '';
  }
  expect(stack).toMatch(/ts-ebpf:scale#\d+/);
});

/**
 * The identifiers a function's text reads that it does not declare (its parameters and locals),
 * and the number of functions nested in it: what a copy compiled from the text elsewhere would
 * resolve differently, or what a bundler's keepNames would wrap.
 */
function freeNames(fn: (...args: never[]) => unknown): { free: Set<string>; nested: number } {
  const file = ts.createSourceFile('fn.js', `(${fn.toString()})`, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const used: string[] = [];
  let functions = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) functions++;
    if (
      (ts.isParameter(node) || ts.isVariableDeclaration(node) || ts.isBindingElement(node)) &&
      ts.isIdentifier(node.name)
    )
      declared.add(node.name.text);
    if (ts.isFunctionExpression(node) && node.name) declared.add(node.name.text);
    if (ts.isIdentifier(node)) {
      const p = node.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === node) ||
        (ts.isPropertyAssignment(p) && p.name === node) ||
        (ts.isBindingElement(p) && p.propertyName === node) ||
        ((ts.isParameter(p) || ts.isVariableDeclaration(p) || ts.isBindingElement(p)) && p.name === node) ||
        (ts.isFunctionExpression(p) && p.name === node);
      if (!isName) used.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { free: new Set(used.filter((n) => !declared.has(n))), nested: functions - 1 };
}

// The globals the copied drains may read (standard ECMAScript, the same in every realm).
const GLOBALS = new Set(['Number', 'Uint8Array', 'undefined']);

it('the copied drains read nothing but their parameters and standard globals, and nest no function', () => {
  for (const drain of [drainRingEventsWith, takeRingEventWith, drainPerfRingWith, takePerfEventWith]) {
    const { free, nested } = freeNames(drain);
    expect(
      [...free].filter((n) => !GLOBALS.has(n)),
      drain.name,
    ).toEqual([]);
    expect(nested, drain.name).toBe(0);
  }
  // the check sees a module binding, and a nested function
  const outside = { n: 1 };
  expect([...freeNames((x: number) => x + outside.n).free]).toEqual(['outside']);
  expect(freeNames((xs: number[]) => xs.map((x) => x)).nested).toBe(1);
});

it('FeedbackCopies makes one copy per key and slot, at first use', () => {
  const copies = new FeedbackCopies(scale, 'scale', 2);
  const a = {};
  const b = {};
  const a0 = copies.get(a, 0);
  expect(copies.get(a, 0)).toBe(a0);
  expect(copies.get(a, 1)).not.toBe(a0);
  expect(copies.get(b, 0)).not.toBe(a0);
  expect(a0([2], 3, { offset: 0 })).toEqual([6]);
});

// Records of ringReserveProgram (seq at 0 and 24) and samples of outputProgram (every u64 is seq).
const asBigint = struct({ seq: u64, lo: u32, hi: u32 });
const asNumber = struct({ seq: u64AsNumber, lo: u32, hi: u32 });
const upTo = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describeKernel('decoded-event drains, one copy per codec and form', () => {
  it('two codecs through consumeEvents, events() and onEvent on one ring decode every record', async () => {
    using p = ringWithProducer(32, 1 << 14);
    using reader = RingBuffer.open(p.ring);
    const seen: number[] = [];
    const check = (ev: Infer<typeof asBigint> | Infer<typeof asNumber>) => {
      const seq = Number(ev.seq);
      expect(ev.lo).toBe((seq & 0xff) * 0x01010101);
      seen.push(seq);
    };
    // alternate the codecs and forms, so that each copy runs between the others
    for (let round = 0; round < 3; round++) {
      run(p.prog, 20);
      expect(reader.consumeEvents(asBigint, check, 10)).toBe(10);
      expect(reader.consumeEvents(asNumber, check)).toBe(10);
      run(p.prog, 4);
      let k = 0;
      const events: AsyncIterable<Infer<typeof asBigint> | Infer<typeof asNumber>> =
        round % 2 === 0 ? reader.events(asNumber) : reader.events(asBigint);
      for await (const ev of events) {
        check(ev);
        if (++k === 4) break;
      }
      run(p.prog, 6);
      await new Promise<void>((resolve) => {
        let got = 0;
        const sub = reader.onEvent(asBigint, (ev) => {
          check(ev);
          if (++got === 6) {
            sub.close();
            resolve();
          }
        });
      });
    }
    expect(seen).toEqual(upTo(90));
  });

  it('two codecs and the raw form on one perf buffer read every sample', () => {
    using p = perfWithProducer(24);
    const { map, prog } = p;
    using reader = PerfBuffer.open(map);
    const seen: number[] = [];
    for (let round = 0; round < 3; round++) {
      run(prog, 9);
      reader.consumeEvents(asBigint, (ev) => seen.push(Number(ev.seq)), 3);
      reader.consumeEvents(asNumber, (ev) => seen.push(ev.seq), 3);
      reader.consume((rec) =>
        seen.push(Number(new DataView(rec.buffer, rec.byteOffset).getBigUint64(0, HOST_LITTLE_ENDIAN))),
      );
    }
    expect(seen).toEqual(upTo(27));
  });

  it('decode the same where code cannot be made from strings (the drains and struct reads fall back), and name the same paths in errors', () => {
    const printed = runWithoutEval(new URL('./fixtures/decode-without-eval.ts', import.meta.url));
    expect(JSON.parse(printed)).toEqual({
      evalRefused: true,
      ring: upTo(12),
      perf: upTo(8),
      paths: ['hdr.ts', 'w[1]'],
    });
  });
});
