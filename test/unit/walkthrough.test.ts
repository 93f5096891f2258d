import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

// The "Get started with ML Sight" walkthrough (contributes.walkthroughs): what a new user follows after install.
const root = path.join(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('walkthrough', () => {
  const walk = pkg.contributes.walkthroughs?.[0];
  const commands = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const views = new Set<string>(
    Object.values<{ id: string }[]>(pkg.contributes.views)
      .flat()
      .map(v => v.id),
  );

  it('has at least four steps: log a run, compare, fix a leak, promote, check drift', () => {
    assert.ok(walk, 'no walkthrough');
    assert.deepStrictEqual(
      walk.steps.map((s: { id: string }) => s.id),
      ['logRun', 'compare', 'fixLeak', 'promote', 'drift'],
    );
  });

  it('every step has a button that does the step, media that ships, and a completion event', () => {
    for (const s of walk.steps) {
      const links = [...String(s.description).matchAll(/\(command:([\w.]+)[^)]*\)/g)].map(m => m[1]);
      assert.ok(links.length > 0, `${s.id} has no button`);
      for (const c of links) {
        const known =
          commands.has(c) ||
          c.startsWith('workbench.') ||
          (c.endsWith('.focus') && views.has(c.slice(0, -'.focus'.length)));
        assert.ok(known, `${s.id} links to unknown command ${c}`);
      }
      const media = s.media?.image ?? s.media?.markdown;
      assert.ok(media && fs.existsSync(path.join(root, media)), `${s.id}: media ${media} missing`);
      assert.ok(s.media.altText || s.media.markdown, `${s.id}: image without alt text`);
      assert.ok(s.completionEvents?.length, `${s.id} never completes`);
      for (const e of s.completionEvents) {
        const [kind, arg] = String(e).split(':');
        if (kind === 'onCommand') {
          assert.ok(commands.has(arg), `${s.id} completes on unknown ${arg}`);
        }
        if (kind === 'onView') {
          assert.ok(views.has(arg), `${s.id} completes on unknown view ${arg}`);
        }
      }
    }
  });

  it('the empty Runs view links to the walkthrough', () => {
    const runs = pkg.contributes.viewsWelcome.find((w: { view: string }) => w.view === 'mlsight.runs');
    assert.match(runs.contents, new RegExp(`openWalkthrough\\?%22${pkg.publisher}\\.${pkg.name}%23${walk.id}%22`));
  });
});
