#!/usr/bin/env node
// Type-checks the TypeScript examples of the READMEs against the built packages, checks that the
// options tables name the real options, and that the root README's commands and package table
// are true. Usage: node tooling/scripts/check-readme-examples.mjs [--no-build] [--keep]
//
// Each ```ts / ```typescript block becomes one module in a temporary folder whose node_modules
// links to the workspace packages, so `@o365/*` resolves through their `exports` to the built
// `dist` types, exactly as for a user. Blocks are fragments: the free variables they use are
// declared from the per-README PREAMBLES below (an entry is added only when the block uses the
// name and does not bind it itself), so the READMEs stay free of checker noise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'package.json'));
const ts = require('typescript');
const args = new Set(process.argv.slice(2));
const started = Date.now();

/** The workspace packages whose READMEs are checked, and how their examples are wrapped. */
const READMES = [
  {
    file: 'README.md',
    preamble: {},
  },
  {
    file: 'packages/core/README.md',
    preamble: {
      Account: "import { Account } from '@o365/core';",
      readFileSync: "import { readFileSync } from 'node:fs';",
      readFile: "import { readFile } from 'node:fs/promises';",
      tenantId: 'declare const tenantId: string;',
      password: 'declare const password: string;',
      account: "declare const account: import('@o365/core').Account;",
      appAccount: "declare const appAccount: import('@o365/core').Account;",
      open: 'declare function open(url: string): Promise<void>;',
      askUserForUrl: 'declare function askUserForUrl(): Promise<string>;',
      req: "declare const req: { session: { flow?: import('@o365/core').AuthorizationFlow }; originalUrl: string };",
      res: 'declare const res: { redirect(url: string): void };',
      signal: 'declare const signal: AbortSignal;',
    },
    options: [
      {
        section: 'Options',
        module: '@o365/core',
        type: 'AccountOptions',
      },
    ],
    mentions: [
      // `authenticate({ requestedScopes, scopes, ... })` and `FileSystemTokenBackend({ tokenPath?, ... })`
      { kind: 'call-options', section: 'Options', module: '@o365/core', methodsOf: 'Account' },
      { kind: 'call-options', section: 'Token backends', module: '@o365/core' },
      { kind: 'exports', section: 'Errors', module: '@o365/core', firstColumn: true },
      {
        kind: 'exports',
        section: 'Token backends',
        module: '@o365/core',
        firstColumn: true,
        elsewhere: {
          AWSS3Backend: '@o365/backend-s3',
          AWSSecretsBackend: '@o365/backend-secrets-manager',
          PrismaTokenBackend: '@o365/backend-prisma',
          RedisTokenBackend: '@o365/backend-redis',
          FirestoreBackend: '@o365/backend-firestore',
        },
      },
    ],
  },
  {
    file: 'packages/emulator/README.md',
    preamble: {
      startEmulator: "import { startEmulator } from '@o365/emulator';",
      emu: "declare const emu: import('@o365/emulator').Emulator;",
      seed: "declare const seed: import('@o365/emulator').EmulatorSeed;",
      logger: "declare const logger: import('@o365/emulator').EmulatorLogger;",
      Account: "import { Account } from '@o365/core';",
      MSGraphProtocol: "import { MSGraphProtocol } from '@o365/core';",
    },
    mentions: [
      // The members table: `emu.url`, `emu.clock.now()` / `emu.clock.advance(seconds)`, `.clear()`...
      {
        kind: 'members',
        section: 'API',
        object: 'emu',
        type: "import('@o365/emulator').Emulator",
        firstColumn: true,
      },
      {
        kind: 'exports',
        section: 'API',
        module: '@o365/emulator',
        startsWith: 'Also exported',
        ignore: ['code'],
      },
    ],
  },
  {
    file: 'packages/backend-s3/README.md',
    preamble: {
      AWSS3Backend: "import { AWSS3Backend } from '@o365/backend-s3';",
    },
    options: [{ section: 'Options', module: '@o365/backend-s3', type: 'AWSS3BackendOptions' }],
    mentions: [
      {
        kind: 'members',
        section: 'Options',
        startsWith: 'Members besides',
        type: "import('@o365/backend-s3').AWSS3Backend",
        ignore: ['TokenBackend'],
      },
    ],
  },
  {
    file: 'packages/backend-firestore/README.md',
    preamble: {
      tenantId: 'declare const tenantId: string;',
      clientId: 'declare const clientId: string;',
    },
    options: [
      { section: 'Options', module: '@o365/backend-firestore', type: 'FirestoreBackendOptions' },
      { section: 'Partition options', module: '@o365/backend-firestore', type: 'FirestorePartitionedBackendOptions' },
    ],
    mentions: [
      {
        kind: 'members',
        section: 'Options',
        startsWith: 'Members besides',
        type: "import('@o365/backend-firestore').FirestoreBackend",
        ignore: ['TokenBackend'],
      },
    ],
  },
  {
    file: 'packages/backend-secrets-manager/README.md',
    preamble: {},
    options: [
      { section: 'Options', module: '@o365/backend-secrets-manager', type: 'AWSSecretsBackendOptions' },
    ],
    mentions: [
      {
        kind: 'members',
        section: 'Example',
        startsWith: 'Credentials come from',
        object: 'backend',
        type: "import('@o365/backend-secrets-manager').AWSSecretsBackend",
      },
    ],
  },
  {
    file: 'packages/backend-prisma/README.md',
    preamble: {
      Account: "import { Account } from '@o365/core';",
      PrismaTokenBackend: "import { PrismaTokenBackend } from '@o365/backend-prisma';",
      prisma: "declare const prisma: import('./generated/prisma/client').PrismaClient;",
      currentUser: 'declare const currentUser: { id: number; email: string };',
      redirectUri: 'declare const redirectUri: string;',
    },
    // The application's generated Prisma client (`prisma generate` output) does not exist here:
    // a stand-in with the shape Prisma 7's generated delegates have for the README's models.
    files: {
      'generated/prisma/client.ts': `
type Where<M> = { [K in keyof M]?: M[K] | null } & { AND?: Where<M>[]; OR?: Where<M>[]; NOT?: Where<M> };
interface Delegate<M> {
  findFirst(args?: { where?: Where<M>; select?: { [K in keyof M]?: boolean } }): Promise<Partial<M> | null>;
  updateMany(args: { where?: Where<M>; data: Partial<M> }): Promise<{ count: number }>;
  create(args: { data: M }): Promise<M>;
  deleteMany(args?: { where?: Where<M> }): Promise<{ count: number }>;
}
interface User { id: number; email: string; o365Token: string | null; o365TokenVersion: number }
interface O365Token { key: string; token: string | null; version: number; updatedAt: Date; lockedUntil: Date | null }
export declare class PrismaClient {
  constructor(options: { adapter: unknown });
  user: Delegate<User>;
  o365Token: Delegate<O365Token>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $transaction<R>(fn: (tx: Omit<PrismaClient, '$transaction'>) => Promise<R>, options?: { maxWait?: number; timeout?: number }): Promise<R>;
}
`,
    },
    options: [{ section: 'Options', module: '@o365/backend-prisma', type: 'PrismaTokenBackendOptions' }],
    mentions: [
      {
        kind: 'members',
        section: 'Options',
        startsWith: 'Members besides',
        type: "import('@o365/backend-prisma').PrismaTokenBackend",
        ignore: ['TokenBackend', 'lockStrategy', 'PrismaTokenBackend', 'util'],
      },
    ],
  },
  {
    file: 'packages/backend-redis/README.md',
    preamble: {
      Account: "import { Account } from '@o365/core';",
      RedisTokenBackend: "import { RedisTokenBackend } from '@o365/backend-redis';",
      RedisPartitionedTokenBackend: "import { RedisPartitionedTokenBackend } from '@o365/backend-redis';",
      req: 'declare const req: { user: { homeAccountId: string } };',
    },
    options: [{ section: 'Options', module: '@o365/backend-redis', type: 'RedisTokenBackendOptions' }],
    mentions: [
      {
        kind: 'members',
        section: 'Options',
        startsWith: 'Members besides',
        type: "import('@o365/backend-redis').RedisTokenBackend",
        ignore: ['TokenBackend', 'signal', 'timeoutMs', 'AbortSignal'],
      },
    ],
  },
  {
    file: 'tooling/backend-testkit/README.md',
    preamble: {
      service: 'declare const service: { url: string };',
      createBackend: "declare const createBackend: (key: string) => import('@o365/core').TokenBackend;",
      createUnreachableBackend:
        "declare const createUnreachableBackend: () => import('@o365/core').TokenBackend;",
      options: "declare const options: import('@o365/backend-testkit').TokenBackendConformanceOptions;",
    },
    // The example's own backend, which the reader writes.
    files: {
      'my-backend.ts': `
import type { StoredToken, TokenBackend } from '@o365/core';
export declare class MyBackend implements TokenBackend {
  constructor(options: { endpoint: string; itemId: string });
  load(): Promise<StoredToken | undefined>;
  save(data: string, options?: { expectedVersion?: string | null }): Promise<{ version?: string }>;
  delete(): Promise<void>;
}
`,
    },
    options: [
      { section: 'Options', module: '@o365/backend-testkit', type: 'TokenBackendConformanceOptions' },
    ],
    mentions: [
      {
        kind: 'exports',
        section: 'Without jest',
        module: '@o365/backend-testkit',
        startsWith: 'Every check',
      },
    ],
  },
];

const problems = [];
const report = (where, message) => problems.push(`${where}: ${message}`);

// 1. Build, so that dist/ holds the current types (turbo makes this a no-op when nothing changed).
if (!args.has('--no-build')) {
  const build = spawnSync('pnpm', ['-s', 'build', '--output-logs=errors-only'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('check-readme-examples: `pnpm build` failed');
    process.exit(1);
  }
}

// 2. The workspace packages, by name.
const workspaceDirs = ['packages', 'tooling'].flatMap((d) =>
  fs.readdirSync(path.join(root, d)).map((n) => path.join(root, d, n)),
);
const workspace = new Map();
for (const dir of workspaceDirs) {
  const pj = path.join(dir, 'package.json');
  if (fs.existsSync(pj)) workspace.set(JSON.parse(fs.readFileSync(pj, 'utf8')).name, dir);
}
for (const [name, dir] of workspace) {
  if (!name.startsWith('@o365/') || name === '@o365/tooling') continue;
  if (!fs.existsSync(path.join(dir, 'dist/index.d.ts'))) {
    console.error(`check-readme-examples: ${name} has no dist/index.d.ts; run \`pnpm build\` first`);
    process.exit(1);
  }
}

// 3. Extract the blocks.
function extractBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Names a module binds at top level (imports, declarations, destructured variables). */
function topLevelNames(code) {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names = new Set();
  const bind = (n) => {
    if (!n) return;
    if (ts.isIdentifier(n)) names.add(n.text);
    else if (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n))
      for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && s.importClause) {
      bind(s.importClause.name);
      const nb = s.importClause.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) bind(nb.name);
      if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) bind(e.name);
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) bind(d.name);
    } else if (
      ts.isFunctionDeclaration(s) ||
      ts.isClassDeclaration(s) ||
      ts.isInterfaceDeclaration(s) ||
      ts.isTypeAliasDeclaration(s) ||
      ts.isEnumDeclaration(s)
    ) {
      bind(s.name);
    }
  }
  return names;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'o365-readme-examples-'));
const compiled = []; // { file, readme, line, headerLines }
const bareImports = new Set();

for (const readme of READMES) {
  const text = fs.readFileSync(path.join(root, readme.file), 'utf8');
  const slug = readme.file.replace(/\/README\.md$|README\.md$/, '').replace(/[^a-z0-9]+/gi, '-') || 'root';
  const dir = path.join(tmp, slug);
  fs.mkdirSync(dir, { recursive: true });
  for (const [rel, content] of Object.entries(readme.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  readme.blockCount = 0;
  for (const block of extractBlocks(text)) {
    readme.blockCount++;
    const bound = topLevelNames(block.code);
    const header = Object.entries(readme.preamble)
      .filter(
        ([name]) =>
          !bound.has(name) &&
          new RegExp(`(?<![\\w$.])${name.replace('$', '\\$')}(?![\\w$])`).test(block.code),
      )
      .map(([, decl]) => decl);
    header.push('export {};');
    const file = path.join(dir, `block-L${block.line}.ts`);
    fs.writeFileSync(file, `${header.join('\n')}\n${block.code}\n`);
    compiled.push({ file, readme: readme.file, line: block.line, headerLines: header.length });
    for (const m of block.code.matchAll(/from\s+'([^'.][^']*)'/g)) bareImports.add(m[1]);
  }
}

// 3b. API names the prose and tables mention (members, exports, option names in `f({ a, b })`)
//     become one synthetic module per README whose statements each come from one README line.
function sectionText(text, heading) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^#{2,4} ${heading}\\s*$`).test(l));
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start])[0].length;
  let end = start + 1;
  while (end < lines.length && !(/^#+ /.test(lines[end]) && /^#+/.exec(lines[end])[0].length <= level)) end++;
  return { text: lines.slice(start + 1, end), line: start + 2 };
}
/** The [line, text] pairs a mention rule looks at: a section, optionally one paragraph of it. */
function mentionLines(text, rule) {
  const section = sectionText(text, rule.section);
  if (!section) return undefined;
  let pairs = section.text.map((t, i) => [section.line + i, t]);
  if (rule.startsWith) {
    const at = pairs.findIndex(([, t]) => t.startsWith(rule.startsWith));
    if (at < 0) return undefined;
    const end = pairs.findIndex(([, t], i) => i > at && t.trim() === '');
    pairs = pairs.slice(at, end < 0 ? undefined : end);
  }
  if (rule.firstColumn) {
    pairs = pairs
      .filter(([, t]) => /^\|/.test(t) && !/^\|\s*-/.test(t))
      .map(([n, t]) => [n, t.split('|')[1] ?? '']);
  }
  return pairs;
}
const identifierPath = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/;
let mentionCount = 0;
for (const readme of READMES) {
  if (!readme.mentions) continue;
  const text = fs.readFileSync(path.join(root, readme.file), 'utf8');
  const header = [];
  const body = []; // [readmeLine, statement]
  readme.mentions.forEach((rule, r) => {
    const pairs = mentionLines(text, rule);
    if (!pairs) {
      report(
        `${readme.file} (## ${rule.section})`,
        `text for a mention check not found (${rule.startsWith ?? rule.kind})`,
      );
      return;
    }
    if (rule.kind === 'members') {
      header.push(`declare const __m${r}: ${rule.type};`);
      for (const [n, t] of pairs) {
        let last = [];
        for (const [, raw] of t.matchAll(/`([^`]+)`/g)) {
          let expr = raw.replace(/^await /, '').replace(/\([^()]*\)/g, '');
          if (expr.startsWith('.')) expr = [...last.slice(0, -1)].join('.') + expr;
          else if (rule.object) {
            if (!expr.startsWith(`${rule.object}.`)) continue;
            expr = expr.slice(rule.object.length + 1);
          }
          if (!identifierPath.test(expr) || rule.ignore?.includes(expr.split('.')[0])) continue;
          last = expr.split('.');
          body.push([n, `void __m${r}.${expr};`]);
          mentionCount++;
        }
      }
    } else if (rule.kind === 'exports') {
      for (const [n, t] of pairs) {
        for (const [, name] of t.matchAll(/`([A-Za-z_$][\w$]*)(?:\([^`]*\))?`/g)) {
          if (!rule.ignore?.includes(name)) {
            const module = rule.elsewhere?.[name] ?? rule.module;
            body.push([n, `type __e${body.length} = typeof import('${module}').${name};`]);
            mentionCount++;
          }
        }
      }
    } else if (rule.kind === 'call-options') {
      for (const [n, t] of pairs) {
        for (const [, callee, inner] of t.matchAll(/`([A-Za-z_$][\w$]*)\(\{([^`]*)\}\)`/g)) {
          const names = inner
            .split(',')
            .map((x) => x.trim().replace(/\?$|\s*=.*$/, ''))
            .filter((x) => /^[A-Za-z_$][\w$]*$/.test(x));
          const type = rule.methodsOf
            ? `NonNullable<Parameters<import('${rule.module}').${rule.methodsOf}['${callee}']>[0]>`
            : `NonNullable<ConstructorParameters<typeof import('${rule.module}').${callee}>[0]>`;
          const v = `__c${body.length}`;
          header.push(`declare const ${v}: ${type};`);
          for (const name of names) {
            body.push([n, `void ${v}.${name};`]);
            mentionCount++;
          }
        }
      }
    }
  });
  const slug = readme.file.replace(/\/README\.md$|README\.md$/, '').replace(/[^a-z0-9]+/gi, '-') || 'root';
  const file = path.join(tmp, slug, 'mentions.ts');
  header.push('export {};');
  fs.writeFileSync(file, `${header.join('\n')}\n${body.map(([, stmt]) => stmt).join('\n')}\n`);
  compiled.push({
    file,
    readme: readme.file,
    line: 0,
    headerLines: header.length,
    lineMap: body.map(([n]) => n),
  });
}

// 4. node_modules for the temporary folder: the workspace packages (through their exports to
//    dist) and the third-party modules the examples import, from whichever package depends on them.
const nm = path.join(tmp, 'node_modules');
const link = (name, target) => {
  const at = path.join(nm, name);
  fs.mkdirSync(path.dirname(at), { recursive: true });
  if (!fs.existsSync(at)) fs.symlinkSync(target, at, 'dir');
};
for (const [name, dir] of workspace) if (name.startsWith('@o365/')) link(name, dir);
link('@types/node', path.join(root, 'node_modules/@types/node'));
for (const spec of bareImports) {
  if (spec.startsWith('node:') || spec.startsWith('@o365/')) continue;
  const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
  const found = [root, ...workspaceDirs]
    .map((d) => path.join(d, 'node_modules', pkg))
    .find((p) => fs.existsSync(p));
  if (found) link(pkg, fs.realpathSync(found));
}

// 5. Type-check with the repository's settings.
const base = ts.readConfigFile(path.join(root, 'tsconfig.base.json'), ts.sys.readFile).config;
const parsed = ts.parseJsonConfigFileContent(
  { compilerOptions: { ...base.compilerOptions, noEmit: true, declaration: false, sourceMap: false } },
  ts.sys,
  tmp,
);
const program = ts.createProgram(
  compiled.map((c) => c.file),
  parsed.options,
);
const byFile = new Map(compiled.map((c) => [path.resolve(c.file), c]));
for (const d of ts.getPreEmitDiagnostics(program)) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n  ');
  const entry = d.file && byFile.get(path.resolve(d.file.fileName));
  if (!entry) {
    report(d.file ? path.relative(tmp, d.file.fileName) : 'tsc', `TS${d.code}: ${message}`);
    continue;
  }
  const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
  const where = entry.lineMap
    ? `${entry.readme}:${entry.lineMap[line - entry.headerLines] ?? '?'} (mentioned API)`
    : line < entry.headerLines
      ? `${entry.readme}:${entry.line} (preamble)`
      : `${entry.readme}:${entry.line + line - entry.headerLines}`;
  report(where, `TS${d.code}: ${message}`);
}

// 6. Options tables against the exported *Options types.
// Make sure every checked module is part of the program even if no example imports it.
const probe = path.join(tmp, 'probe.ts');
fs.writeFileSync(
  probe,
  [...workspace.keys()]
    .filter((n) => n.startsWith('@o365/') && n !== '@o365/tooling')
    .map((n) => `import type * as _${n.replace(/\W/g, '_')} from '${n}';`)
    .join('\n') + '\nexport {};\n',
);
const probeProgram = ts.createProgram(
  [probe, ...compiled.map((c) => c.file)],
  parsed.options,
  undefined,
  program,
);
const probeChecker = probeProgram.getTypeChecker();
function exportsOfModule(moduleName) {
  const resolved = ts.resolveModuleName(moduleName, probe, parsed.options, ts.sys).resolvedModule;
  const sf = resolved && probeProgram.getSourceFile(resolved.resolvedFileName);
  const sym = sf && probeChecker.getSymbolAtLocation(sf);
  return sym ? probeChecker.getExportsOfModule(sym) : undefined;
}

let tablesChecked = 0;
for (const readme of READMES) {
  const text = fs.readFileSync(path.join(root, readme.file), 'utf8');
  for (const table of readme.options ?? []) {
    const section = sectionText(text, table.section);
    const where = `${readme.file} (## ${table.section})`;
    if (!section) {
      report(where, 'section not found');
      continue;
    }
    const documented = new Set();
    for (const l of section.text) {
      if (!/^\|/.test(l) || /^\|\s*-/.test(l)) continue;
      const first = l.split('|')[1] ?? '';
      for (const m of first.matchAll(/`([A-Za-z_$][\w$]*)(?:\([^`]*\))?`/g)) documented.add(m[1]);
    }
    const sym = exportsOfModule(table.module)?.find((s) => s.name === table.type);
    if (!sym) {
      report(where, `${table.module} does not export ${table.type}`);
      continue;
    }
    const type = probeChecker.getDeclaredTypeOfSymbol(
      sym.flags & ts.SymbolFlags.Alias ? probeChecker.getAliasedSymbol(sym) : sym,
    );
    const real = new Set(probeChecker.getPropertiesOfType(type).map((p) => p.name));
    for (const name of documented)
      if (!real.has(name)) report(where, `documents option \`${name}\`, which ${table.type} does not have`);
    for (const name of real)
      if (!documented.has(name)) report(where, `option \`${name}\` of ${table.type} is not in the table`);
    tablesChecked++;
  }
}

// 7. Root README: commands and the package table.
{
  const text = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts ?? {};
  const pnpmBuiltins = new Set(['install', 'i', 'add', 'exec', 'dlx', 'run']);
  for (const m of text.matchAll(/pnpm ([a-z][\w:-]*)/g)) {
    if (!pnpmBuiltins.has(m[1]) && !(m[1] in scripts))
      report('README.md', `\`pnpm ${m[1]}\` is not a root script`);
  }
  for (const m of text.matchAll(/^\| \[`(@o365\/[\w-]+)`\]\(([^)]+)\) \| (.*) \|$/gm)) {
    const [, name, rel, what] = m;
    const dir = path.join(root, rel);
    const pj = path.join(dir, 'package.json');
    if (!fs.existsSync(pj)) {
      report('README.md', `package table: ${rel} has no package.json`);
      continue;
    }
    const real = JSON.parse(fs.readFileSync(pj, 'utf8')).name;
    if (real !== name) report('README.md', `package table: ${rel} is ${real}, not ${name}`);
    const exported = new Set((exportsOfModule(name) ?? []).map((s) => s.name));
    for (const id of what.matchAll(/`([A-Z][A-Za-z0-9]+)`/g)) {
      if (!exported.has(id[1])) report('README.md', `package table: ${name} does not export \`${id[1]}\``);
    }
  }
  for (const m of text.matchAll(/npm i(?:nstall)? ((?:@o365\/[\w-]+ ?)+)/g)) {
    for (const name of m[1].trim().split(/\s+/))
      if (!workspace.has(name)) report('README.md', `\`${name}\` is not a workspace package`);
  }
}

if (args.has('--keep')) console.log(`kept ${tmp}`);
else fs.rmSync(tmp, { recursive: true, force: true });

const blockCount = compiled.filter((c) => !c.lineMap).length;
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(
    `\ncheck-readme-examples: ${problems.length} problem(s) in ${blockCount} examples of ${READMES.length} READMEs (${seconds} s)`,
  );
  process.exit(1);
}
console.log(
  `check-readme-examples: ${blockCount} examples of ${READMES.length} READMEs and ${mentionCount} API names in their prose type-check, ${tablesChecked} options tables match, root README commands and package table hold (${seconds} s)`,
);
