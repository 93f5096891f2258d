import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { COMMAND_IDS } from '../../src/platform/ids';
import { ContextKeys } from '../../src/platform/ids';

// Lints package.json against the code: what the manifest contributes must exist, and what the code offers
// must be contributed. (The compiler already checks that every id in COMMAND_IDS has a handler: the handler
// map in src/extension.ts is typed as CommandHandlers.)
const root = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const contributes = pkg.contributes;
const srcFiles = (function walk(dir: string): string[] {
  return fs.readdirSync(dir).flatMap(n => {
    const p = path.join(dir, n);
    return fs.statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
})(path.join(root, 'src'));
const source = srcFiles.map(f => fs.readFileSync(f, 'utf8')).join('\n');

/** Every `when` clause in the manifest, with where it came from. */
function whenClauses(): { where: string; when: string }[] {
  const out: { where: string; when: string }[] = [];
  for (const [menu, items] of Object.entries<{ when?: string; command?: string }[]>(contributes.menus ?? {})) {
    for (const i of items) {
      if (i.when) {
        out.push({ where: `menus.${menu}(${i.command})`, when: i.when });
      }
    }
  }
  for (const v of contributes.viewsWelcome ?? []) {
    if (v.when) {
      out.push({ where: `viewsWelcome(${v.view})`, when: v.when });
    }
  }
  for (const views of Object.values<{ id: string; when?: string }[]>(contributes.views ?? {})) {
    for (const v of views) {
      if (v.when) {
        out.push({ where: `views(${v.id})`, when: v.when });
      }
    }
  }
  for (const k of contributes.keybindings ?? []) {
    if (k.when) {
      out.push({ where: `keybindings(${k.command})`, when: k.when });
    }
  }
  return out;
}

/** Splits a when clause into [key, operator, value] terms. */
function terms(when: string): { key: string; op?: string; value?: string }[] {
  return when
    .split(/&&|\|\||[()]/)
    .map(t => t.trim().replace(/^!+\s*/, ''))
    .filter(Boolean)
    .map(t => {
      const m = /^([\w.:-]+)\s*(==|!=|=~|>=|<=|>|<| in | not in )?\s*(.*)$/.exec(t);
      assert.ok(m, `cannot parse when term "${t}"`);
      return { key: m[1], op: m[2]?.trim(), value: m[3] || undefined };
    });
}

const BUILTIN_KEYS = new Set([
  'view',
  'viewItem',
  'false',
  'true',
  'resourceLangId',
  'resourceExtname',
  'editorLangId',
  'isWorkspaceTrusted',
  'workspaceFolderCount',
  'notebookType',
]);

describe('package.json manifest', () => {
  const commands: { command: string; title?: string; category?: string }[] = contributes.commands;

  it('every contributed command has a title and the "ML Sight" category', () => {
    for (const c of commands) {
      assert.ok(c.title && c.title.trim(), `${c.command} has no title`);
      assert.strictEqual(c.category, 'ML Sight', `${c.command} category`);
      assert.match(c.command, /^mlsight\.[a-zA-Z]+$/);
    }
  });

  it('contributes exactly the commands the extension registers handlers for', () => {
    assert.deepStrictEqual(commands.map(c => c.command).sort(), [...COMMAND_IDS].sort());
    for (const id of COMMAND_IDS) {
      assert.ok(source.includes(`'${id}': `), `no handler entry for ${id} in src/`);
    }
  });

  it('menus and welcome views only reference contributed commands', () => {
    const ids = new Set(commands.map(c => c.command));
    for (const [menu, items] of Object.entries<{ command: string }[]>(contributes.menus ?? {})) {
      for (const i of items) {
        assert.ok(ids.has(i.command), `menus.${menu} references unknown ${i.command}`);
      }
    }
    for (const v of contributes.viewsWelcome ?? []) {
      for (const m of String(v.contents).matchAll(/\(command:([\w.]+)\)/g)) {
        assert.ok(ids.has(m[1]), `viewsWelcome links to unknown ${m[1]}`);
      }
    }
  });

  it('every when-clause context key is one the code sets (or a VS Code key / a setting)', () => {
    const ours = new Set<string>(Object.values(ContextKeys));
    const views = new Set(
      Object.values<{ id: string }[]>(contributes.views)
        .flat()
        .map(v => v.id),
    );
    const settings = new Set(
      contributes.configuration.flatMap((s: { properties: object }) => Object.keys(s.properties)),
    );
    for (const { where, when } of whenClauses()) {
      for (const t of terms(when)) {
        if (t.key.startsWith('config.')) {
          assert.ok(settings.has(t.key.slice(7)), `${where}: unknown setting ${t.key}`);
          continue;
        }
        if (t.key.startsWith('mlsight.')) {
          assert.ok(ours.has(t.key), `${where}: context key ${t.key} is never set (see src/platform/contextKeys.ts)`);
          continue;
        }
        assert.ok(BUILTIN_KEYS.has(t.key), `${where}: unexpected context key ${t.key}`);
        if (t.key === 'view') {
          assert.ok(views.has(String(t.value)), `${where}: unknown view ${t.value}`);
        }
        if (t.key === 'viewItem') {
          // every viewItem value (or regex) must match a context value literal that the code uses
          const literals = [...source.matchAll(/'(mlsight\.[A-Za-z.]+)'/g)].map(m => m[1]);
          const re = t.op === '=~' ? new RegExp(String(t.value).replace(/^\/|\/$/g, '')) : undefined;
          const ok = re
            ? literals.some(l => re.test(l))
            : source.includes(`'${t.value}'`) && /contextValue/.test(source);
          assert.ok(ok, `${where}: no tree item has contextValue ${t.value}`);
        }
      }
    }
    for (const key of ours) {
      assert.ok(
        source.includes(`ContextKeys.${Object.entries(ContextKeys).find(([, v]) => v === key)![0]}`),
        `${key} is declared but never set`,
      );
    }
  });

  it('every contributed view has a provider and the container has an icon that exists', () => {
    for (const c of contributes.viewsContainers.activitybar) {
      assert.ok(fs.existsSync(path.join(root, c.icon)), `missing ${c.icon}`);
    }
    for (const v of Object.values<{ id: string }[]>(contributes.views).flat()) {
      assert.ok(
        // createTreeView directly, or through the composition root's treeView(id, provider) helper
        source.includes(`createTreeView('${v.id}'`) ||
          source.includes(`treeView('${v.id}'`) ||
          source.includes(`registerWebviewViewProvider('${v.id}'`),
        `view ${v.id} has no provider`,
      );
    }
  });

  it('every webview panel view type declared in code (*_VIEW_TYPE) has its onWebviewPanel activation event', () => {
    const declared = [...source.matchAll(/export const (\w+_VIEW_TYPE) = '([^']+)'/g)].map(m => ({
      name: m[1],
      id: m[2],
    }));
    const ids = declared.map(d => d.id);
    // the five panels: comparison, run page, model page, promote review, drift report
    for (const id of ['mlsight.compare', 'mlsight.run', 'mlsight.model', 'mlsight.promote', 'mlsight.drift']) {
      assert.ok(ids.includes(id), `no *_VIEW_TYPE constant declares ${id}: ${JSON.stringify(declared)}`);
    }
    assert.strictEqual(new Set(ids).size, ids.length, `a view type is declared twice: ${JSON.stringify(declared)}`);
    const events: string[] = pkg.activationEvents;
    for (const d of declared) {
      assert.ok(events.includes(`onWebviewPanel:${d.id}`), `${d.name} ('${d.id}') has no activation event`);
    }
    const panelEvents = events.filter(e => e.startsWith('onWebviewPanel:')).map(e => e.slice('onWebviewPanel:'.length));
    for (const id of panelEvents) {
      assert.ok(ids.includes(id), `activation event onWebviewPanel:${id} names no panel view type`);
    }
  });

  it('settings are in titled sections, every setting has a description', () => {
    assert.ok(Array.isArray(contributes.configuration));
    for (const section of contributes.configuration) {
      assert.ok(section.title, 'section without title');
      for (const [k, p] of Object.entries<{ description?: string; markdownDescription?: string }>(section.properties)) {
        assert.ok(k.startsWith('mlsight.'), k);
        assert.ok(p.description || p.markdownDescription, `${k} has no description`);
      }
    }
  });

  it('targets VS Code 1.100 with matching @types/vscode, runs in the workspace extension host', () => {
    assert.strictEqual(pkg.engines.vscode, '^1.100.0');
    assert.match(pkg.devDependencies['@types/vscode'], /^[~^]?1\.100\./);
    assert.ok(!pkg.extensionKind || !pkg.extensionKind.includes('ui'), 'no ui extensionKind');
    assert.strictEqual(pkg.main, './dist/extension.js');
    assert.strictEqual(pkg.bin.mlsight, './dist/cli.js');
  });

  it('.vscodeignore is an allowlist that ships the bundles and the sql.js wasm, not sources or tests', () => {
    const lines = fs
      .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
      .split('\n')
      .map(l => l.trim())
      .filter(l => l && !l.startsWith('#'));
    assert.strictEqual(lines[0], '**');
    for (const must of [
      '!dist/extension.js',
      '!dist/cli.js',
      '!dist/worker.js',
      '!dist/sql-wasm.wasm',
      '!package.json',
      '!README.md',
      '!LICENSE',
    ]) {
      assert.ok(lines.includes(must), `.vscodeignore does not keep ${must}`);
    }
    assert.ok(!lines.some(l => /^!(src|test|dist\/test)/.test(l)), 'sources and tests must not be shipped');
  });
});
