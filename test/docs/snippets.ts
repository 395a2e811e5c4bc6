import { dirname, join } from 'node:path';
import ts from 'typescript';
import { type CodeBlock, codeBlocks, docFiles, REPO_ROOT, readDoc } from './markdown.js';

/** Languages whose blocks are TypeScript and get checked. */
const TS_LANGS = new Set(['ts', 'typescript', 'mts']);

/** The marker a block's info string carries to opt out of the check, followed by `: reason`. */
export const OPT_OUT = 'no-check';

/** A TypeScript block of the documentation. */
export interface Snippet extends CodeBlock {
  /** Set when the block opts out (`ts no-check: reason`): the reason. */
  readonly optOut?: string;
}

/** Every TypeScript block of the documentation. */
export function snippets(files: readonly string[] = docFiles()): Snippet[] {
  return files.flatMap((file) =>
    codeBlocks(file, readDoc(file))
      .filter((b) => TS_LANGS.has(b.lang))
      .map((b) => {
        if (!b.meta.startsWith(OPT_OUT)) return b;
        return { ...b, optOut: b.meta.slice(OPT_OUT.length).replace(/^\s*:?\s*/, '') };
      }),
  );
}

/** A compiler complaint about a snippet, located in its Markdown file. */
export interface SnippetProblem {
  /** `file.md:line` of the offending line of the snippet. */
  readonly where: string;
  readonly message: string;
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(REPO_ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (p) => ts.sys.readFile(p));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  return { ...parsed.options, noEmit: true, declaration: false, sourceMap: false };
}

/**
 * Type-checks snippets under the repository's compiler settings, each as its own ES module
 * placed beside its Markdown file (so `@ts-ebpf/*` imports resolve through the workspace to
 * the packages' sources). A `<!-- snippet-context: … -->` comment right above a fence is put in
 * front of the snippet (declarations of what the prose assumes, e.g. `declare const ifindex: number;`).
 */
export function typecheck(list: readonly Snippet[]): SnippetProblem[] {
  const virtual = new Map<string, { snippet: Snippet; text: string; contextLines: number }>();
  for (const snippet of list) {
    const name = join(
      REPO_ROOT,
      dirname(snippet.file),
      `${snippet.file.replace(/.*\//, '')}.L${snippet.line}.mts`,
    );
    const prefix = snippet.context ? `${snippet.context}\n` : '';
    virtual.set(name, {
      snippet,
      text: `${prefix}${snippet.code}\nexport {};\n`,
      contextLines: prefix ? prefix.split('\n').length - 1 : 0,
    });
  }
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, lang, ...rest) => {
    const v = virtual.get(file);
    return v ? ts.createSourceFile(file, v.text, lang) : getSourceFile.call(host, file, lang, ...rest);
  };
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file)?.text ?? readFile.call(host, file);
  const program = ts.createProgram([...virtual.keys()], options, host);
  const problems: SnippetProblem[] = [];
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    const v = diag.file && virtual.get(diag.file.fileName);
    const message = ts.flattenDiagnosticMessageText(diag.messageText, '\n');
    if (!v) {
      problems.push({ where: diag.file?.fileName ?? '(options)', message });
      continue;
    }
    const { line } = diag.file!.getLineAndCharacterOfPosition(diag.start ?? 0);
    const inSnippet = line - v.contextLines;
    const mdLine = inSnippet < 0 ? v.snippet.line - 1 : v.snippet.line + 1 + inSnippet;
    problems.push({ where: `${v.snippet.file}:${mdLine}`, message });
  }
  return problems;
}
