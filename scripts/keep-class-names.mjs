#!/usr/bin/env node
/**
 * Gives the classes and functions of built bundles back the names they have in the sources.
 * esbuild (tsup) names them otherwise in two cases:
 *
 * - a top-level class that refers to itself becomes `var Link = class _Link { … }` (the inner name
 *   is the one its body uses), so `Link.name` is `"_Link"`: `console.log(link)` printed `_Link {}`
 *   and `new.target.name`, which the errors take their `name` from, said `_EbpfError`. The class
 *   gets its own name back, `const Link = class Link { … }`, with its body's `_Link` references
 *   renamed (inside the body both names are the same class);
 * - a top-level function or class whose name another module of the bundle also uses is renamed
 *   with a number (`function reg2`, exported as `reg`), and `reg.name` is `"reg2"`. Where the export
 *   is the local name with digits appended, a statement after the declaration sets its `name`.
 *
 * esbuild's `keepNames` option does both, but wraps every function and arrow function of the
 * bundle in a `__name(fn, "…")` call: a closure made on a hot path (`UserRingBuffer.write` makes
 * three a sample) then costs an `Object.defineProperty` each time, which made the write 3-4x
 * slower (1.5-1.8 µs a 16-byte sample against 4.7-7.4 µs, one process, alternating). What this
 * script adds runs once, when the module loads.
 *
 * Usage: node scripts/keep-class-names.mjs <dist directory>   (every .js and .cjs file in it)
 */
import { createRequire } from 'node:module';
import { rewriteDistWhenMain } from './rewrite-dist.mjs';

const ts = createRequire(import.meta.url)('typescript');

/** Whether `node` is where a property name goes (`a.N`, `{ N: v }`, a member `N() {}`), not a reference. */
function isPropertyName(node) {
  const p = node.parent;
  return (
    ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && (p.name ?? p.right) === node) ||
    ((ts.isPropertyAssignment(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isGetAccessorDeclaration(p) ||
      ts.isSetAccessorDeclaration(p)) &&
      p.name === node)
  );
}

/** The identifiers inside `root` (itself included) whose text is `name`, property names aside. */
function references(root, name) {
  const out = [];
  const visit = (node) => {
    if (ts.isIdentifier(node) && node.text === name && !isPropertyName(node)) out.push(node);
    ts.forEachChild(node, visit);
  };
  visit(root);
  return out;
}

/** The top-level names declared by a function or class declaration or a single-name variable statement. */
function declaredName(statement) {
  if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name)
    return statement.name.text;
  if (ts.isVariableStatement(statement)) {
    const [d, ...rest] = statement.declarationList.declarations;
    const init = d?.initializer;
    if (
      rest.length === 0 &&
      ts.isIdentifier(d.name) &&
      init &&
      (ts.isClassExpression(init) || ts.isFunctionExpression(init) || ts.isArrowFunction(init))
    )
      return d.name.text;
  }
  return undefined;
}

/** `[local, exported]` for each `export { local as exported }` (ESM) and `__export(…, { exported: () => local })` (CJS). */
function exportPairs(file) {
  const out = [];
  const visit = (node) => {
    if (
      ts.isExportDeclaration(node) &&
      !node.moduleSpecifier &&
      node.exportClause &&
      ts.isNamedExports(node.exportClause)
    )
      for (const e of node.exportClause.elements) out.push([(e.propertyName ?? e.name).text, e.name.text]);
    else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === '__export' &&
      node.arguments[1] &&
      ts.isObjectLiteralExpression(node.arguments[1])
    )
      for (const p of node.arguments[1].properties)
        if (
          ts.isPropertyAssignment(p) &&
          ts.isArrowFunction(p.initializer) &&
          ts.isIdentifier(p.initializer.body)
        )
          out.push([p.initializer.body.text, p.name.text]);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/**
 * `text` with its self-referencing classes named as their bindings and its number-renamed exported
 * functions and classes given their exported names.
 * @returns the new text, and the names given back (`classes`, `renamed`).
 * @throws Error when a class body also uses the outer name, so that renaming would change what a
 *   reference means.
 */
export function keepClassNames(text, fileName) {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edits = []; // [start, end, replacement]
  const classes = [];
  for (const s of file.statements) {
    if (!ts.isVariableStatement(s)) continue;
    for (const d of s.declarationList.declarations) {
      const init = d.initializer;
      if (!ts.isIdentifier(d.name) || !init || !ts.isClassExpression(init) || !init.name) continue;
      const outer = d.name.text;
      const inner = init.name.text;
      if (inner === outer) continue;
      if (references(init, outer).length > 0)
        throw new Error(`${fileName}: class ${inner} (bound to ${outer}) also uses the name ${outer} inside`);
      for (const id of references(init, inner)) {
        if (ts.isShorthandPropertyAssignment(id.parent))
          throw new Error(`${fileName}: class ${inner} uses its name as a shorthand property ({ ${inner} })`);
        edits.push([id.getStart(file), id.getEnd(), outer]);
      }
      classes.push(outer);
    }
  }
  const statements = new Map();
  for (const s of file.statements) {
    const name = declaredName(s);
    if (name !== undefined) statements.set(name, s);
  }
  const renamed = [];
  for (const [local, exported] of exportPairs(file)) {
    const s = statements.get(local);
    if (
      !s ||
      renamed.includes(exported) ||
      !new RegExp(`^${exported.replace(/\$/g, '\\$')}\\d+$`).test(local)
    )
      continue;
    const end = s.getEnd();
    edits.push([
      end,
      end,
      `\nObject.defineProperty(${local}, "name", { value: ${JSON.stringify(exported)} });`,
    ]);
    renamed.push(exported);
  }
  let out = text;
  for (const [start, end, replacement] of edits.sort((a, b) => b[0] - a[0]))
    out = `${out.slice(0, start)}${replacement}${out.slice(end)}`;
  return { text: out, classes, renamed };
}

rewriteDistWhenMain(import.meta.url, ['.js', '.cjs'], (text, path) => keepClassNames(text, path).text);
