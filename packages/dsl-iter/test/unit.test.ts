import { readFileSync } from 'node:fs';
import { Btf } from '@ts-ebpf/btf';
import { exit, format, ja, jeq, jne, ldx, mark, mov, program, R0, R1, R2, R6, R7 } from '@ts-ebpf/dsl';
import { byteViews } from '@ts-ebpf/test-utils';
import { describe, expect, it } from 'vitest';
import {
  checkNullablePointers,
  formatArgs,
  ITER_CTX,
  iter,
  iterContext,
  iterLinkInfo,
  record,
  seqPrintf,
  textLines,
  typedRecords,
  UncheckedPointerError,
} from '../src/index.js';

// Kernel BTF read as bytes: the pure layers parse it without the kernel.
const btf = Btf.parse(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));

async function all<T>(g: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
}

describe('contexts from BTF', () => {
  it('bpf_iter__task: meta never NULL, task nullable, 8-byte slots', () => {
    const c = iterContext(btf, 'task');
    expect(c.type).toBe('struct bpf_iter__task');
    expect(c.fields.meta).toMatchObject({
      offset: 0,
      kind: 'pointer',
      btfType: 'struct bpf_iter_meta',
      nullable: false,
    });
    expect(c.fields.task).toMatchObject({
      offset: 8,
      kind: 'pointer',
      btfType: 'struct task_struct',
      nullable: true,
    });
  });

  it('bpf_iter__task_file has a scalar fd; bpf_map_elem has void key and value buffers', () => {
    expect(iterContext(btf, 'task_file').fields.fd).toMatchObject({ kind: 'scalar', size: 4 });
    expect(iterContext(btf, 'bpf_map_elem').fields.key).toMatchObject({
      kind: 'pointer',
      btfType: 'void',
      nullable: true,
    });
  });

  it("a map-element iterator's map is never NULL (not in the kernel's ctx_arg_info): reads need no check", () => {
    for (const target of ['bpf_map_elem', 'bpf_sk_storage_map', 'sockmap']) {
      const s = iter(btf, target);
      expect(s.context.fields.map).toMatchObject({
        kind: 'pointer',
        btfType: 'struct bpf_map',
        nullable: false,
      });
      // r7 = ctx->map; r0 = r7->max_entries, with no comparison with 0 before
      expect(() => s.build([s.load('map', R7), s.read(R0, R7, 'map', 'max_entries'), exit()])).not.toThrow();
    }
    expect(iterContext(btf, 'bpf_map').fields.map!.nullable).toBe(true);
  });
});

describe('nullable pointers', () => {
  const s = iter(btf, 'task');
  const pid = s.read(R0, R7, 'task', 'pid');

  it('a check with != also counts, and a copy is checked with the original', () => {
    expect(() =>
      s.build([
        s.load('task', R7),
        jne(R7, 0, 'ok'),
        exit(),
        mark('ok'),
        mov(R2, R7),
        ldx('w', R0, R2, 0),
        exit(),
      ]),
    ).not.toThrow();
  });

  it('a path that skips the check is refused, even when another path checks', () => {
    const body = [
      s.load('task', R7),
      jne(R0, 0, 'skip'),
      jne(R7, 0, 'skip'),
      exit(),
      mark('skip'),
      pid,
      exit(),
    ];
    expect(() => s.build(body)).toThrow(UncheckedPointerError);
  });

  it('pointer arithmetic before the check is refused; a helper call clobbers R1–R5 but not R7', () => {
    expect(() => s.build([s.load('task', R7), { ...mov(R7, 8), code: 0x07 }, exit()])).toThrow(/arithmetic/);
    expect(() =>
      s.build([
        s.loadChecked('task', R7, 'out'),
        s.seq(R1),
        { code: 0x85, dst: 0, src: 0, off: 0, imm: 5 },
        pid,
        mark('out'),
        exit(),
      ]),
    ).not.toThrow();
  });

  it('numeric jump offsets are followed, backwards too', () => {
    const at = (test: typeof jne) =>
      program(mov(R6, R1), s.load('task', R7), ja(2), ldx('w', R0, R7, 0), exit(), test(R7, 0, -3), exit());
    expect(() => checkNullablePointers(at(jne), s.context)).not.toThrow();
    expect(() => checkNullablePointers(at(jeq), s.context)).toThrow(/instruction 3/);
  });

  it('the context register may be given; ITER_CTX is the default', () => {
    expect(format(program(s.load('task', R2, R1)))).toContain('r2 = *(u64 *)(r1 + 8)');
    expect(format(program(s.load('task', R2)))).toContain(`r2 = *(u64 *)(r${ITER_CTX.num} + 8)`);
  });
});

describe('seq_printf formats (the kernel rules)', () => {
  it('accepts what the kernel accepts', () => {
    expect(formatArgs('%d %5u %-08lx %llu %c %s %p %pK %pI4 %pks %% done\n')).toEqual([
      'int',
      'int',
      'long',
      'long',
      'char',
      'string',
      'pointer',
      'pointer',
      'address',
      'string',
    ]);
  });

  it.each([
    ['%.3d', /precision/],
    ['%hd', /'%h'/],
    ['%n', /'%n'/],
    ['%pZ', /%pZ/],
    ['tab\u00e9', /not printable ASCII/],
    ['%', /ends inside a conversion/],
    ['%d'.repeat(13), /at most 12/],
  ])('refuses %j', (f, why) => {
    expect(() => formatArgs(f)).toThrow(why);
  });
});

describe('records and readers', () => {
  const L = record({ a: 'u8', b: 'u32', c: 'u64', name: { string: 5 }, raw: { bytes: 3 } });

  it('lays fields out at their natural alignment, padded to 8', () => {
    expect(L.offsets).toEqual({ a: 0, b: 4, c: 8, name: 16, raw: 21 });
    expect(L.size).toBe(24);
  });

  it('decodes any Uint8Array view in either byte order, without writing to it', () => {
    const bytes = new Uint8Array(24);
    const v = new DataView(bytes.buffer);
    v.setUint8(0, 7);
    v.setUint32(4, 0x01020304, false);
    v.setBigUint64(8, 5n, false);
    bytes.set([104, 105, 0, 120, 120], 16);
    bytes.set([1, 2, 3], 21);
    for (const { bytes: view } of byteViews(bytes)) {
      const copy = view.slice();
      expect(L.decode(view, 'big')).toEqual({
        a: 7,
        b: 0x01020304,
        c: 5n,
        name: 'hi',
        raw: new Uint8Array([1, 2, 3]),
      });
      expect(view).toEqual(copy);
    }
  });

  it('reads records across chunk boundaries; a torn record at the end is an error', async () => {
    const two = new Uint8Array(48).fill(0);
    two[0] = 1;
    two[24] = 2;
    const chunks = [two.subarray(0, 5), two.subarray(5, 30), two.subarray(30)];
    expect((await all(typedRecords(chunks, L, 'little'))).map((r) => r.a)).toEqual([1, 2]);
    await expect(all(typedRecords([two.subarray(0, 30)], L, 'little'))).rejects.toThrow(/ends with 6 bytes/);
  });

  it('reads lines across chunks and multi-byte characters', async () => {
    const text = new TextEncoder().encode('a é\nsecond\nlast');
    expect(await all(textLines([text.subarray(0, 3), text.subarray(3, 9), text.subarray(9)]))).toEqual([
      'a é',
      'second',
      'last',
    ]);
  });
});

describe('iterator link info', () => {
  it('encodes union bpf_iter_link_info in the byte order given', () => {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    expect(hex(iterLinkInfo({ map: 5 }, 'little'))).toBe(`05000000${'0'.repeat(24)}`);
    expect(hex(iterLinkInfo({ pid: 0x102 }, 'big'))).toBe(`0000000000000102${'0'.repeat(16)}`);
    expect(hex(iterLinkInfo({ pidfd: 3 }, 'little'))).toBe(`${'0'.repeat(16)}03000000${'0'.repeat(8)}`);
    expect(hex(iterLinkInfo({ cgroupFd: 9, order: 'descendants-post' }, 'little'))).toBe(
      `0300000009000000${'0'.repeat(16)}`,
    );
    expect(hex(iterLinkInfo({ cgroupId: 0x10n }, 'big'))).toBe(`00000001000000000000000000000010`);
  });
});

it('seqPrintf lays the format and the arguments on the stack', () => {
  const s = iter(btf, 'task');
  const text = format(program(seqPrintf(s, '%d\n', [R7])));
  // '%d\n\0' padded to 8 bytes at r10 - 16, the argument at r10 - 8
  expect(text).toContain('*(u64 *)(r10 - 8) = r7');
  expect(text).toContain('r3 = 8');
  expect(text).toContain('r5 = 8');
  expect(text).toContain('*(u32 *)(r10 - 16) = 680997'); // '%d\n\0' little-endian (kernel BTF byte order)
  expect(text).toContain('call 126');
});
