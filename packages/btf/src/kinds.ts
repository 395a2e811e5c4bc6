/** BTF kind numbers as encoded in bits 24..28 of a type's `info` word. */
export const BtfKindNumber = {
  int: 1,
  ptr: 2,
  array: 3,
  struct: 4,
  union: 5,
  enum: 6,
  fwd: 7,
  typedef: 8,
  volatile: 9,
  const: 10,
  restrict: 11,
  func: 12,
  func_proto: 13,
  var: 14,
  datasec: 15,
  float: 16,
  decl_tag: 17,
  type_tag: 18,
  enum64: 19,
} as const;

/** Name of a BTF kind; `void` stands for type id 0. */
export type BtfKind = keyof typeof BtfKindNumber | 'void';

/** Kind names indexed by kind number. */
export const kindNames: readonly (BtfKind | undefined)[] = (() => {
  const names: (BtfKind | undefined)[] = [];
  for (const [name, n] of Object.entries(BtfKindNumber)) names[n] = name as BtfKind;
  return names;
})();

/** Linkage of a FUNC or VAR. */
export type BtfLinkage = 'static' | 'global' | 'extern';

/** The "no type" (id 0). */
export interface VoidType {
  readonly kind: 'void';
  readonly id: 0;
  readonly name: '';
}
/** An integer: `size` bytes, `bits` value bits at `bitOffset` (almost always 0). */
export interface IntType {
  readonly kind: 'int';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly signed: boolean;
  readonly char: boolean;
  readonly bool: boolean;
  readonly bitOffset: number;
  readonly bits: number;
}
/** A floating point type of `size` bytes. */
export interface FloatType {
  readonly kind: 'float';
  readonly id: number;
  readonly name: string;
  readonly size: number;
}
/** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG: a name (typedef, tag) over `type`. */
export interface RefType {
  readonly kind: 'ptr' | 'typedef' | 'volatile' | 'const' | 'restrict' | 'type_tag';
  readonly id: number;
  readonly name: string;
  readonly type: number;
}
/** An array of `nelems` elements of `type`, indexed by `indexType`. */
export interface ArrayType {
  readonly kind: 'array';
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}
/** A member of a struct or union; `bitfieldSize` is 0 for a plain member. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  readonly bitOffset: number;
  readonly bitfieldSize: number;
}
/** A struct or union of `size` bytes. */
export interface CompositeType {
  readonly kind: 'struct' | 'union';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly members: readonly BtfMember[];
}
/** An enumerator of an ENUM (number) or ENUM64 (bigint). */
export interface BtfEnumValue<V extends number | bigint = number | bigint> {
  readonly name: string;
  readonly value: V;
}
/** A 32-bit (or smaller) enum. */
export interface EnumType {
  readonly kind: 'enum';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<number>[];
}
/** A 64-bit enum. */
export interface Enum64Type {
  readonly kind: 'enum64';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue<bigint>[];
}
/** A forward declaration of a struct or union. */
export interface FwdType {
  readonly kind: 'fwd';
  readonly id: number;
  readonly name: string;
  readonly fwdKind: 'struct' | 'union';
}
/** A function: a name and linkage over a FUNC_PROTO. */
export interface FuncType {
  readonly kind: 'func';
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly linkage: BtfLinkage;
}
/** A parameter of a FUNC_PROTO; a trailing `{ name: '', type: 0 }` means `...`. */
export interface BtfParam {
  readonly name: string;
  readonly type: number;
}
/** A function prototype. */
export interface FuncProtoType {
  readonly kind: 'func_proto';
  readonly id: number;
  readonly name: string;
  readonly returnType: number;
  readonly params: readonly BtfParam[];
}
/** A variable. */
export interface VarType {
  readonly kind: 'var';
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly linkage: BtfLinkage;
}
/** A variable placed in a data section. */
export interface BtfVarSecInfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}
/** A data section (`.data`, `.bss`, `.maps` …). */
export interface DatasecType {
  readonly kind: 'datasec';
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly vars: readonly BtfVarSecInfo[];
}
/** A declaration tag on `type` (`componentIdx` -1 = the type itself, else member/param index). */
export interface DeclTagType {
  readonly kind: 'decl_tag';
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly componentIdx: number;
}

/** Any decoded BTF type. */
export type BtfType =
  | VoidType
  | IntType
  | FloatType
  | RefType
  | ArrayType
  | CompositeType
  | EnumType
  | Enum64Type
  | FwdType
  | FuncType
  | FuncProtoType
  | VarType
  | DatasecType
  | DeclTagType;

type MatchKind<T, K> = T extends { kind: infer TK } ? (K extends TK ? T : never) : never;

/** Narrows `BtfType` to the members whose kind is `K` (`'struct'` gives the struct/union type). */
export type BtfTypeOfKind<K extends BtfKind> = MatchKind<BtfType, K>;

/** A type description without its id, as given to the builder and the writer. */
export type BtfTypeSpec = BtfType extends infer T ? (T extends BtfType ? Omit<T, 'id'> : never) : never;

/** The shared VOID type. */
export const VOID: VoidType = Object.freeze({ kind: 'void', id: 0, name: '' });
