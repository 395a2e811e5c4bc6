import type { Btf, BtfParam } from '@ts-ebpf/btf';

// A BPF function's prototype as `bpftool prog dump xlated` heads the function's instructions with
// it: `int f1(int x)`, `u64 weigh(const struct pair * p, enum color c)`. Its spelling is not C's
// declarator syntax but a walk of the BTF chain from the outside in, each type followed by a
// space: a pointer after what it points to (`char * s`), a qualifier before what it qualifies
// (`const struct pair * p`), an array's length after its element type (`int [2]* a`), a function
// pointer as its return type and parameters (`int (int)* cb`).

/**
 * The prototype of the BTF function `id` (a FUNC) as bpftool prints it, or undefined where
 * bpftool prints none: for a prototype with a kind it does not spell (a type tag in a
 * parameter's type, as bpftool drops the whole line then).
 */
export function functionPrototype(btf: Btf, id: number): string | undefined {
  const t = btf.type(id);
  if (t.kind !== 'func') return undefined;
  const proto = btf.type(t.type);
  if (proto.kind !== 'func_proto') return undefined;
  return signature(btf, proto.returnType, t.name, proto.params);
}

/** `int f(int x)`: the return type, the name (none for a function pointer's prototype), the parameters. */
function signature(btf: Btf, returns: number, name: string, params: readonly BtfParam[]): string | undefined {
  const spelled: string[] = [];
  for (const param of params) {
    if (param.type === 0) {
      spelled.push('...');
      continue;
    }
    const p = spell(btf, param.type);
    if (p === undefined) return undefined;
    // an unnamed parameter's type loses its trailing space
    spelled.push(param.name !== '' ? `${p}${param.name}` : p.endsWith(' ') ? p.slice(0, -1) : p);
  }
  const r = spell(btf, returns);
  return r === undefined ? undefined : `${r}${name}(${spelled.join(', ')})`;
}

/** One type as bpftool spells it in a prototype; undefined for a kind it does not spell. */
function spell(btf: Btf, id: number): string | undefined {
  const t = btf.type(id);
  switch (t.kind) {
    case 'void':
      return 'void ';
    case 'int':
    case 'float':
    case 'typedef':
      return `${t.name} `;
    case 'struct':
    case 'union':
      return `${t.kind} ${t.name} `;
    case 'enum':
    case 'enum64':
      return `enum ${t.name} `;
    case 'fwd':
      return `${t.fwdKind} ${t.name} `;
    case 'array':
      return around(spell(btf, t.type), (s) => `${s}[${t.nelems}]`);
    case 'ptr':
      return around(spell(btf, t.type), (s) => `${s}* `);
    case 'const':
    case 'volatile':
    case 'restrict':
      return around(spell(btf, t.type), (s) => `${t.kind} ${s}`);
    case 'func_proto':
      return signature(btf, t.returnType, '', t.params);
    default:
      return undefined;
  }
}

/** `spelled` placed in its surroundings, unless it has no spelling. */
function around(spelled: string | undefined, place: (s: string) => string): string | undefined {
  return spelled === undefined ? undefined : place(spelled);
}
