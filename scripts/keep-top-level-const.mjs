#!/usr/bin/env node
/**
 * Turns the top-level `var` declarations of built bundles back into `const` where the name is
 * never assigned again. esbuild (tsup) rewrites every top-level `const` and `let` of a bundle to
 * `var`, on purpose and without an option. V8 folds a module's `const` bindings into the code that
 * reads them, but must load a `var` from its context at every use: the ring readers' hot loops read
 * their layout constants and helpers so, and the built package drained a ring buffer slower than
 * its sources (in one process, both builds alternating, the rewrite took `cursor()` 0.62-0.91x,
 * `consume(cb)` 0.74-0.86x and `consumeEvents` 0.96-0.97x the time; on the benchmark page the
 * cursor went from 6.8-7.2 to 4.6-4.9 ns a 64-byte record).
 *
 * A `const` read before V8 optimizes the code that reads it costs a check that it is initialized,
 * which a `var` does not; the BTF decoder, which runs mostly unoptimized, showed no difference
 * beyond its own run-to-run spread (vmlinux decoded in 119-165 ms cold with the rewrite, 130-173
 * without, four runs each, alternating).
 *
 * A declaration is rewritten only when every name it binds has an initializer and no assignment
 * anywhere in the file (`=`, compound assignments, `++`/`--`, destructuring assignment, a for-in/of
 * target) could write it, even one that may be a shadowing local: when in doubt it stays `var`.
 * The sources are ES modules whose top-level bindings are `const` already, so the temporal dead
 * zone this restores is the one the tests run with.
 *
 * Usage: node scripts/keep-top-level-const.mjs <dist directory>   (every .js and .cjs file in it)
 */
import { createRequire } from 'node:module';
import { rewriteDistWhenMain } from './rewrite-dist.mjs';

const ts = createRequire(import.meta.url)('typescript');

const ASSIGNMENTS = new Set([
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
  ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.AsteriskAsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken,
  ts.SyntaxKind.PercentEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
]);

/** The identifiers an assignment target (an identifier or a destructuring pattern) can write. */
function targetNames(node, out) {
  if (ts.isIdentifier(node)) out.add(node.text);
  else if (ts.isParenthesizedExpression(node) || ts.isSpreadElement(node) || ts.isSpreadAssignment(node))
    targetNames(node.expression, out);
  else if (ts.isArrayLiteralExpression(node)) for (const e of node.elements) targetNames(e, out);
  else if (ts.isObjectLiteralExpression(node))
    for (const p of node.properties) {
      if (ts.isShorthandPropertyAssignment(p)) out.add(p.name.text);
      else if (ts.isPropertyAssignment(p)) targetNames(p.initializer, out);
      else if (ts.isSpreadAssignment(p)) targetNames(p.expression, out);
    }
  else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken)
    targetNames(node.left, out); // a default value in a pattern: `[a = 1] = …`
}

/** The names a binding (an identifier or a binding pattern) declares. */
function boundNames(name, out) {
  if (ts.isIdentifier(name)) out.push(name.text);
  else for (const e of name.elements) if (!ts.isOmittedExpression(e)) boundNames(e.name, out);
}

/** Every name some expression of `file` may assign. */
function assignedNames(file) {
  const out = new Set();
  const visit = (node) => {
    if (ts.isBinaryExpression(node) && ASSIGNMENTS.has(node.operatorToken.kind)) targetNames(node.left, out);
    else if (
      (ts.isPrefixUnaryExpression(node) || ts.isPostfixUnaryExpression(node)) &&
      (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
    )
      targetNames(node.operand, out);
    else if (
      (ts.isForInStatement(node) || ts.isForOfStatement(node)) &&
      !ts.isVariableDeclarationList(node.initializer)
    )
      targetNames(node.initializer, out);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** `text` with its rewritable top-level `var` declarations made `const`, and how many were. */
export function keepTopLevelConst(text, fileName) {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const assigned = assignedNames(file);
  // A name declared twice at the top level (or also as a function or class) stays var.
  const declared = new Map();
  const count = (name) => declared.set(name, (declared.get(name) ?? 0) + 1);
  for (const s of file.statements) {
    if (ts.isVariableStatement(s))
      for (const d of s.declarationList.declarations) {
        const names = [];
        boundNames(d.name, names);
        names.forEach(count);
      }
    else if ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name) count(s.name.text);
  }
  const starts = [];
  for (const s of file.statements) {
    if (!ts.isVariableStatement(s)) continue;
    const list = s.declarationList;
    if (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) continue;
    const names = [];
    const rewritable = list.declarations.every((d) => {
      if (!d.initializer) return false;
      boundNames(d.name, names);
      return true;
    });
    if (rewritable && names.every((n) => !assigned.has(n) && declared.get(n) === 1))
      starts.push(list.getStart(file));
  }
  let out = text;
  for (const at of starts.reverse()) {
    if (out.slice(at, at + 3) !== 'var') throw new Error(`${fileName}: expected 'var' at ${at}`);
    out = `${out.slice(0, at)}const${out.slice(at + 3)}`;
  }
  return { text: out, rewritten: starts.length };
}

rewriteDistWhenMain(import.meta.url, ['.js', '.cjs'], (text, path) => keepTopLevelConst(text, path).text);
