#!/usr/bin/env node
// Lists every error code the toolkit defines, read from the sources of packages/*/src and
// apps/*/src with the TypeScript parser: for each error class, the `ERR_*` values its
// constructor passes as the code to its base (`NetError`'s first argument, or whichever
// argument its base passes on as the code): a literal, a ternary of literals, a local const,
// a parameter default, a literal-union parameter type, or, when callers choose the code,
// the literals at `new X(...)` sites. A subclass that passes no code inherits its base's and
// defines none.
//
//   node scripts/list-error-codes.mjs          the markdown table of @net/core's README
//   node scripts/list-error-codes.mjs --json   every definition, for packages/core/test/codes.test.ts
//
// Rerun it (and paste the table) whenever a package adds, renames or removes a code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CODE = /^ERR_[A-Z0-9_]+$/;

function sourceFiles(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function projectFiles() {
  const files = [];
  for (const group of ['packages', 'apps']) {
    let projects = [];
    try {
      projects = readdirSync(join(ROOT, group));
    } catch {
      continue;
    }
    for (const project of projects) {
      const src = join(ROOT, group, project, 'src');
      for (const file of sourceFiles(src)) files.push({ file, project: `${group}/${project}` });
    }
  }
  return files;
}

function packageName(project) {
  try {
    return JSON.parse(readFileSync(join(ROOT, project, 'package.json'), 'utf8')).name;
  } catch {
    return project;
  }
}

/** A literal compared against (`code === 'ERR_X'`, `case 'ERR_X':`) is read, not defined. */
function isComparison(node) {
  const parent = node.parent;
  if (ts.isCaseClause(parent)) return true;
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    return (
      op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsToken
    );
  }
  return false;
}

function codeLiterals(node, out = []) {
  if (
    (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) &&
    CODE.test(node.text) &&
    !isComparison(node)
  ) {
    out.push(node.text);
  }
  ts.forEachChild(node, (child) => {
    codeLiterals(child, out); // forEachChild stops at the first truthy return
  });
  return out;
}

/** The first sentence of a node's leading doc comment. */
function summary(node, sourceText) {
  const ranges = ts.getLeadingCommentRanges(sourceText, node.getFullStart()) ?? [];
  const doc = ranges.map((r) => sourceText.slice(r.pos, r.end)).find((c) => c.startsWith('/**'));
  if (doc === undefined) return '';
  const text = doc
    .replace(/^\/\*\*|\*\/$/g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .filter((line) => !line.startsWith('@'))
    .join(' ')
    .replace(/\{@link\s+([^}|\s]+)[^}]*\}/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
  const end = text.search(/\.(\s+[A-Z]|$)|;\s/);
  return (end === -1 ? text : text.slice(0, end)).replace(/\|/g, '\\|');
}

/** The `super(...)` call of a constructor, if any. */
function superCallOf(ctor) {
  let found;
  const visit = (node) => {
    if (found) return;
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.SuperKeyword) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  if (ctor.body) visit(ctor.body);
  return found;
}

/**
 * The codes an expression can evaluate to: literals, both sides of a ternary, a local
 * `const`, a parameter's default and literal-union type. `parameter` is set when the
 * expression is a constructor parameter (its callers choose the code).
 */
function codesOf(expression, ctor, source, aliases, out = { codes: [], parameter: undefined }) {
  if (expression === undefined) return out;
  if (ts.isParenthesizedExpression(expression)) {
    return codesOf(expression.expression, ctor, source, aliases, out);
  }
  if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) {
    if (CODE.test(expression.text)) out.codes.push(expression.text);
    return out;
  }
  if (ts.isConditionalExpression(expression)) {
    codesOf(expression.whenTrue, ctor, source, aliases, out);
    return codesOf(expression.whenFalse, ctor, source, aliases, out);
  }
  if (ts.isIdentifier(expression)) {
    const index = ctor.parameters.findIndex((p) => p.name.getText(source) === expression.text);
    if (index !== -1) {
      const param = ctor.parameters[index];
      if (param.initializer) codesOf(param.initializer, ctor, source, aliases, out);
      let type = param.type;
      if (type && ts.isTypeReferenceNode(type)) {
        type = aliases.get(type.typeName.getText(source)) ?? type;
      }
      if (type) out.codes.push(...codeLiterals(type));
      out.parameter = index;
      return out;
    }
    let declaration;
    const find = (node) => {
      if (declaration) return;
      if (ts.isVariableDeclaration(node) && node.name.getText(source) === expression.text) {
        declaration = node;
        return;
      }
      ts.forEachChild(node, find);
    };
    if (ctor.body) find(ctor.body);
    if (declaration?.initializer) codesOf(declaration.initializer, ctor, source, aliases, out);
  }
  return out;
}

/** Every error class and the codes it defines, with the file and line of each. */
export function scanErrorCodes() {
  const classes = [];
  const calls = []; // new X(...) call sites, for classes whose callers pass the code
  for (const { file, project } of projectFiles()) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const aliases = new Map();
    const visit = (node) => {
      if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node.type);
      if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
        calls.push({ className: node.expression.text, project, args: node.arguments ?? [] });
      }
      if (ts.isClassDeclaration(node) && node.name && node.heritageClauses) {
        const extendsClause = node.heritageClauses.find(
          (h) => h.token === ts.SyntaxKind.ExtendsKeyword,
        );
        const ctor = node.members.find((member) => ts.isConstructorDeclaration(member));
        const property = node.members.find(
          (m) => ts.isPropertyDeclaration(m) && m.name.getText(source) === 'code' && m.initializer,
        );
        classes.push({
          className: node.name.text,
          base: extendsClause?.types[0]?.expression.getText(source),
          project,
          package: packageName(project),
          file,
          line: source.getLineAndCharacterOfPosition(node.name.getStart()).line + 1,
          condition: summary(node, text),
          ctor,
          superCall: ctor === undefined ? undefined : superCallOf(ctor),
          source,
          aliases,
          propertyCodes: property ? codeLiterals(property.initializer) : [],
          codes: [],
          codeParameter: undefined,
        });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  const find = (name, project) =>
    classes.find((c) => c.className === name && c.project === project) ??
    classes.find((c) => c.className === name && c.package === '@net/core');
  // Which argument of super(...) is the code: NetError's first; for another base, the
  // argument it passes on as its own code (none when the base fixes its code itself).
  const codeIndex = (c, seen = new Set()) => {
    if (c.base === 'NetError') return 0;
    const base = find(c.base, c.project);
    if (base === undefined || seen.has(base)) return undefined;
    seen.add(base);
    resolve(base, seen);
    return base.codeParameter;
  };
  const resolve = (c, seen = new Set()) => {
    if (c.resolved) return;
    c.resolved = true;
    c.codes.push(...c.propertyCodes);
    // Without a constructor of its own, a class takes its base's, code parameter included.
    if (c.ctor === undefined) {
      c.codeParameter = codeIndex(c, seen);
      return;
    }
    const index = c.superCall === undefined ? undefined : codeIndex(c, seen);
    if (index !== undefined && c.ctor !== undefined) {
      const found = codesOf(c.superCall.arguments[index], c.ctor, c.source, c.aliases);
      c.codes.push(...found.codes);
      c.codeParameter = found.parameter;
    }
  };
  for (const c of classes) resolve(c);
  for (const call of calls) {
    const owner = classes.find((c) => c.className === call.className && c.project === call.project);
    const arg = owner?.codeParameter === undefined ? undefined : call.args[owner.codeParameter];
    if (arg !== undefined && ts.isStringLiteral(arg) && CODE.test(arg.text))
      owner.codes.push(arg.text);
  }
  const definitions = [];
  for (const c of classes) {
    for (const code of new Set(c.codes)) {
      definitions.push({
        code,
        className: c.className,
        base: c.base,
        package: c.package,
        file: relative(ROOT, c.file),
        line: c.line,
        condition: c.condition,
      });
    }
  }
  const subclasses = classes
    .filter((c) => c.codes.length === 0)
    .map((c) => ({
      className: c.className,
      base: c.base,
      package: c.package,
      file: relative(ROOT, c.file),
      line: c.line,
    }));
  definitions.sort((a, b) => a.code.localeCompare(b.code) || a.package.localeCompare(b.package));
  return { definitions, subclasses };
}

function markdown({ definitions }) {
  const byCode = new Map();
  for (const d of definitions) {
    const list = byCode.get(d.code) ?? [];
    list.push(d);
    byCode.set(d.code, list);
  }
  const lines = ['| code | class | package | condition |', '|---|---|---|---|'];
  for (const [code, list] of byCode) {
    const classes = list.map((d) => `\`${d.className}\``).join(', ');
    const packages = [...new Set(list.map((d) => `\`${d.package}\``))].join(', ');
    const conditions = [...new Set(list.map((d) => d.condition).filter(Boolean))].join(' / ');
    lines.push(`| \`${code}\` | ${classes} | ${packages} | ${conditions} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = scanErrorCodes();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else console.log(markdown(result));
}
