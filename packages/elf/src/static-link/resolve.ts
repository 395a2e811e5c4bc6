/**
 * Resolving the global symbols of the inputs of {@link linkObjects}: one definition per name
 * (a strong one wins over `__weak` ones, the first of several weak ones wins), an `extern`
 * resolved by the definition another object gives, and one left undefined (a kernel symbol,
 * a kconfig value, a kfunc) when no object defines it.
 */
import { type ElfSymbol, SHN_UNDEF, SymbolBind, SymbolType } from '@ts-ebpf/elf-reader';
import { LinkError } from '../errors.js';
import type { LinkInput } from './inputs.js';
import { SHARED_SECTIONS } from './layout.js';

/** One object's symbol of a global name. */
export interface SymbolRef {
  readonly input: LinkInput;
  readonly symbol: ElfSymbol;
}

/** A global name, resolved. */
export interface GlobalSymbol {
  readonly name: string;
  /** The definition that wins, or undefined for a name no object defines (it stays extern). */
  winner: SymbolRef | undefined;
  /** Every object's symbol of the name, in input order (definitions and externs). */
  readonly refs: SymbolRef[];
}

/** Whether `s` is a symbol of global scope (global or weak, not a section or file). */
export function isGlobal(s: ElfSymbol): boolean {
  return (
    (s.bind === SymbolBind.GLOBAL || s.bind === SymbolBind.WEAK) &&
    s.type !== SymbolType.SECTION &&
    s.type !== SymbolType.FILE &&
    s.name !== ''
  );
}

function kindName(s: ElfSymbol): string {
  return s.type === SymbolType.FUNC ? 'function' : s.type === SymbolType.OBJECT ? 'variable' : 'symbol';
}

/** Refuses a name that is a function in one object and a variable in another. */
function checkKinds(name: string, a: SymbolRef, b: SymbolRef): void {
  const ta = a.symbol.type;
  const tb = b.symbol.type;
  if (ta === SymbolType.NOTYPE || tb === SymbolType.NOTYPE || ta === tb) return;
  throw new LinkError(
    `'${name}' is a ${kindName(a.symbol)} in ${a.input.name} but a ${kindName(b.symbol)} in ${b.input.name}`,
    [b.input.name, a.input.name],
    name,
  );
}

/**
 * The global names of all inputs, in order of first appearance.
 * @throws LinkError naming both objects for two strong definitions of one name, or a name
 * that is a function in one and a variable in the other
 */
export function resolveGlobals(inputs: readonly LinkInput[]): Map<string, GlobalSymbol> {
  const globals = new Map<string, GlobalSymbol>();
  for (const input of inputs) {
    for (const symbol of input.elf.symbols) {
      if (!isGlobal(symbol)) continue;
      const ref: SymbolRef = { input, symbol };
      let g = globals.get(symbol.name);
      if (!g) {
        g = { name: symbol.name, winner: undefined, refs: [] };
        globals.set(symbol.name, g);
      }
      for (const other of g.refs) checkKinds(symbol.name, other, ref);
      g.refs.push(ref);
      if (symbol.section === SHN_UNDEF) continue;
      const current = g.winner;
      if (!current) {
        g.winner = ref;
      } else if (symbol.bind !== SymbolBind.WEAK) {
        // the license of each object: one, the same in all (see SHARED_SECTIONS)
        if (SHARED_SECTIONS.has(input.elf.sections[symbol.section]?.name ?? '')) continue;
        if (current.symbol.bind !== SymbolBind.WEAK)
          throw new LinkError(
            `'${symbol.name}' is defined in both ${current.input.name} and ${input.name} (two strong definitions: make one __weak, or one extern)`,
            [input.name, current.input.name],
            symbol.name,
          );
        g.winner = ref;
      }
    }
  }
  return globals;
}

/** The binding of a name in the output: the winner's, or for an extern weak only if every object declares it weak. */
export function outputBind(g: GlobalSymbol): number {
  if (g.winner) return g.winner.symbol.bind;
  return g.refs.every((r) => r.symbol.bind === SymbolBind.WEAK) ? SymbolBind.WEAK : SymbolBind.GLOBAL;
}
