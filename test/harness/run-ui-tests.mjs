// UI tier: installs the packaged .vsix into a real VS Code (code-server), opens it in headless Chromium and
// checks what a person sees: the ML Sight container, the Runs view rows, opening a run, a palette command,
// the welcome view of an empty workspace, hostile names rendered as text. Screenshots go to test-results/.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, installVsix, launchBrowser, log, startCodeServer, workbenchUrl } from './codeServer.mjs';
import { Checks, clickViewAction, openActivityContainer, openWorkbench, runCommand, screenshot } from './ui.mjs';
import { driftUiChecks } from './ui-drift.mjs';
import { demoUiChecks } from './ui-demo.mjs';
import { teamUiChecks } from './ui-team.mjs';

// MLSIGHT_UI_SESSIONS=demo,empty runs only those sessions (main, light, registry, drift, demo, team, empty)
const sessions = process.env.MLSIGHT_UI_SESSIONS?.split(',').map(x => x.trim());
const want = name => !sessions || sessions.includes(name);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const vsix = process.env.MLSIGHT_VSIX || join(ROOT, 'artifacts', `${pkg.name}-${pkg.version}.vsix`);
const checks = new Checks();
const cleanup = [];

async function withVsCode({ workspace, settings }, fn) {
  const server = await startCodeServer({ workspace, settings });
  cleanup.push(() => server.stop());
  log(`code-server on 127.0.0.1:${server.port}: ${await installVsix(server, vsix)}`);
  const browser = await launchBrowser();
  cleanup.push(() => browser.close().catch(() => {}));
  const page = await openWorkbench(browser, workbenchUrl(server.port, { folder: workspace }));
  try {
    await fn(page);
  } finally {
    await browser.close().catch(() => {});
    await server.stop();
  }
}

try {
  if (!existsSync(vsix)) {
    throw new Error(`missing ${vsix}: run "npm run package"`);
  }
  const workspace = mkdtempSync(join(tmpdir(), 'mlsight-ui-ws-'));
  cleanup.push(() => rmSync(workspace, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/workspace'), workspace, { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/leakage/leaky_train.py'), join(workspace, 'leaky_train.py'));

  if (want('main'))
    await withVsCode({ workspace, settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, async page => {
      const rows = page.locator('.sidebar .monaco-list-row');
      await checks.check('the activity bar has the ML Sight container and it opens', async () => {
        await openActivityContainer(page, 'ML Sight');
        await page.locator('.sidebar .pane-header', { hasText: 'Runs' }).first().waitFor({ timeout: 20_000 });
      });
      await checks.check('the Runs view lists experiments and runs from the workspace', async () => {
        await rows.filter({ hasText: 'baseline' }).first().waitFor({ timeout: 30_000 });
        const texts = (await rows.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim());
        for (const want of ['fixture-exp', 'other-exp', 'baseline', 'diverged', '<img src=x onerror=alert(1)>']) {
          if (!texts.some(t => t.includes(want))) {
            throw new Error(`no row with ${want}: ${JSON.stringify(texts)}`);
          }
        }
        const diverged = texts.find(t => t.includes('diverged'));
        if (!/failed/.test(diverged)) {
          throw new Error(`status not shown: ${diverged}`);
        }
        return JSON.stringify(texts);
      });
      await checks.check('a hostile run name is shown as text and creates no element', async () => {
        const injected = await page.locator('.sidebar img[src="x"], .sidebar script').count();
        if (injected) {
          throw new Error(`${injected} injected elements`);
        }
        const dialogs = [];
        page.on('dialog', d => {
          dialogs.push(d.message());
          d.dismiss();
        });
        await page.waitForTimeout(300);
        if (dialogs.length) {
          throw new Error(`alert() ran: ${dialogs}`);
        }
      });
      await screenshot(page, 'ui-runs-view-dark');
      await checks.check('clicking a run opens its run page (metrics with sparklines, reproducibility)', async () => {
        await rows.filter({ hasText: 'baseline' }).first().click();
        await page.locator('.tabs-container .tab', { hasText: 'Run baseline' }).waitFor({ timeout: 20_000 });
        const runPage = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        await runPage.locator('h1', { hasText: 'baseline' }).waitFor({ timeout: 20_000 });
        const metrics = await runPage.locator('#metrics tbody tr').allInnerTexts();
        if (!metrics.some(t => t.includes('train/loss'))) {
          throw new Error(JSON.stringify(metrics));
        }
        const sparks = await runPage.locator('canvas.spark').count();
        if (!sparks) {
          throw new Error('no sparklines');
        }
        const repro = await runPage.locator('#repro li').allInnerTexts();
        return `${metrics.length} metrics, ${sparks} sparklines, reproducibility: ${repro.join(' | ')}`;
      });
      await screenshot(page, 'ui-run-details-dark');
      await runCommand(page, 'View: Close All Editors');
      await checks.check('"ML Sight: Show Store Info" from the command palette reports the store', async () => {
        await runCommand(page, 'ML Sight: Show Store Info');
        const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'ML Sight store:' });
        await toast.waitFor({ timeout: 20_000 });
        const text = (await toast.innerText()).replace(/\s+/g, ' ');
        if (!/\.mlsight\/mlsight\.db/.test(text) || !/runs: 3/.test(text)) {
          throw new Error(text);
        }
        return text.slice(0, 160);
      });
      await screenshot(page, 'ui-store-info-dark');
      await checks.check('select two runs, "Compare Runs…" from the view title opens the comparison', async () => {
        await rows.filter({ hasText: 'baseline' }).first().click();
        await rows
          .filter({ hasText: 'diverged' })
          .first()
          .click({ modifiers: ['Control'] });
        await clickViewAction(page, 'Runs', 'Compare Runs…');
        await page.locator('.tabs-container .tab', { hasText: 'Compare 2 Runs' }).waitFor({ timeout: 20_000 });
      });
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await checks.check('the comparison shows the diff-only table rows and a baseline badge', async () => {
        await view.locator('#compare-table').waitFor({ timeout: 30_000 });
        const keys = await view.locator('#compare-table tbody tr[data-key] th').allInnerTexts();
        const want = ['lr', 'model'];
        for (const k of want) {
          if (!keys.includes(k)) {
            throw new Error(`row ${k} missing: ${JSON.stringify(keys)}`);
          }
        }
        if (keys.includes('mlsight.source')) {
          throw new Error('identical tag shown in diff-only mode');
        }
        await view.locator('.run-chip .badge', { hasText: 'baseline' }).first().waitFor({ timeout: 5_000 });
        return JSON.stringify(keys);
      });
      await checks.check('metric curves are drawn on canvases', async () => {
        const n = await view.locator('.chart-card canvas').count();
        if (n < 2) {
          throw new Error(`${n} canvases`);
        }
        const drawn = await view.locator('.chart-card[data-metric="train/loss"] canvas').evaluate(c => {
          const ctx = c.getContext('2d');
          const { width, height } = c;
          const px = ctx.getImageData(0, 0, width, height).data;
          let lit = 0;
          for (let i = 3; i < px.length; i += 4) {
            if (px[i] > 0) {
              lit++;
            }
          }
          return lit;
        });
        if (drawn < 500) {
          throw new Error(`the train/loss canvas is blank (${drawn} painted pixels)`);
        }
        return `${n} canvases, ${drawn} painted pixels on train/loss`;
      });
      await checks.check('the smoothing slider smooths the curves', async () => {
        await view.locator('#smoothing').fill('0.8');
        await view.locator('#smoothing').dispatchEvent('change');
        await view.locator('#smoothing-value', { hasText: '0.80' }).waitFor({ timeout: 5_000 });
      });
      await screenshot(page, 'ui-compare-dark');
      await checks.check('leakage: opening a leaky script shows squiggles and problems', async () => {
        await runCommand(page, 'View: Close All Editors');
        await page.keyboard.press('Control+P');
        await page.locator('.quick-input-widget input').waitFor({ timeout: 15_000 });
        await page.keyboard.type('leaky_train.py');
        await page
          .locator('.quick-input-list .monaco-list-row', { hasText: 'leaky_train.py' })
          .first()
          .waitFor({ timeout: 15_000 });
        await page.keyboard.press('Enter');
        await page.locator('.editor-instance .view-lines', { hasText: 'StandardScaler' }).waitFor({ timeout: 15_000 });
        await page.locator('.editor-instance .squiggly-warning').first().waitFor({ timeout: 30_000 });
        const warnings = await page.locator('.editor-instance .squiggly-warning').count();
        const problems = (await page.locator('#status\\.problems').innerText()).replace(/\s+/g, ' ');
        if (!/2/.test(problems)) {
          throw new Error(`status bar problems: ${problems}`);
        }
        return `${warnings} warning squiggles; status bar: ${problems}`;
      });
      await checks.check('leakage: the quick fix menu offers "Add stratify=y" and applies it', async () => {
        // put the cursor inside the train_test_split call (line 12) with "Go to Line/Column", then Ctrl+.
        await page.locator('.editor-instance .view-line', { hasText: 'train_test_split(X_scaled' }).click();
        await page.keyboard.press('Control+G');
        await page.locator('.quick-input-widget input').waitFor({ timeout: 10_000 });
        await page.keyboard.type('12:45');
        await page.keyboard.press('Enter');
        await page.waitForTimeout(300);
        await page.keyboard.press('Control+.');
        const item = page.locator('.action-widget').getByText('Add stratify=y', { exact: true });
        await item.waitFor({ timeout: 15_000 });
        await screenshot(page, 'ui-leakage-quickfix-dark');
        await item.click({ force: true });
        await page.locator('.editor-instance .view-lines', { hasText: 'stratify=y' }).waitFor({ timeout: 15_000 });
      });
      await screenshot(page, 'ui-leakage-dark');
      await runCommand(page, 'File: Revert File').catch(() => {});
      await checks.check('the Models view shows its welcome text when no model is registered', async () => {
        const header = page.locator('.sidebar .pane-header', { hasText: 'Models' }).first();
        if ((await header.getAttribute('aria-expanded')) === 'false') {
          await header.click();
        }
        await page
          .locator('.sidebar .welcome-view-content', { hasText: 'No registered models yet' })
          .waitFor({ timeout: 15_000 });
      });
    });

  const workspace2 = mkdtempSync(join(tmpdir(), 'mlsight-ui-ws-light-'));
  cleanup.push(() => rmSync(workspace2, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/workspace'), workspace2, { recursive: true });
  if (want('light'))
    await withVsCode(
      { workspace: workspace2, settings: { 'workbench.colorTheme': 'Default Light Modern' } },
      async page => {
        const rows = page.locator('.sidebar .monaco-list-row');
        const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        await openActivityContainer(page, 'ML Sight');
        await rows.filter({ hasText: 'baseline' }).first().waitFor({ timeout: 30_000 });
        await checks.check('a run whose param name and value are HTML renders as text and runs nothing', async () => {
          const dialogs = [];
          page.on('dialog', d => {
            dialogs.push(d.message());
            void d.dismiss();
          });
          await rows.filter({ hasText: 'baseline' }).first().click();
          await rows
            .filter({ hasText: '<img src=x onerror=alert(1)>' })
            .first()
            .click({ modifiers: ['Control'] });
          await clickViewAction(page, 'Runs', 'Compare Runs…');
          const row = view.locator('#compare-table tbody tr[data-key="<img src=x onerror=alert(1)>"]');
          await row.waitFor({ timeout: 30_000 });
          const text = await row.innerText();
          if (!text.includes('<script>alert(2)</script>')) {
            throw new Error(text);
          }
          const injected = await view
            .locator('img, script:not([src]):not(#_vscodeApiScript)')
            .evaluateAll(els => els.map(e => e.outerHTML.slice(0, 200)));
          if (injected.length) {
            throw new Error(`injected elements: ${JSON.stringify(injected)}`);
          }
          await page.waitForTimeout(500);
          if (dialogs.length) {
            throw new Error(`alert() ran: ${dialogs}`);
          }
          return text.replace(/\s+/g, ' ');
        });
        await checks.check('the comparison reads well in the light theme', async () => {
          const bg = await view.locator('body').evaluate(b => getComputedStyle(b).backgroundColor);
          const fg = await view.locator('body').evaluate(b => getComputedStyle(b).color);
          const lum = c => {
            const [r, g, b] = c.match(/\d+/g).map(Number);
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          if (lum(bg) < 200 || lum(fg) > 100) {
            throw new Error(`background ${bg}, text ${fg}`);
          }
          return `background ${bg}, text ${fg}`;
        });
        await screenshot(page, 'ui-compare-light');
        await checks.check("pinning a reference run (the host's) and smoothing (the view's own setting)", async () => {
          await view.locator('#reference').selectOption({ label: 'baseline' });
          await view.locator('.run-chip .badge', { hasText: 'reference' }).first().waitFor({ timeout: 20_000 });
          await view.locator('#smoothing').fill('0.8');
          await view.locator('#smoothing').dispatchEvent('change');
          await view.locator('#smoothing-value', { hasText: '0.80' }).waitFor({ timeout: 5_000 });
        });
        await checks.check(
          'the comparison is restored after "Developer: Reload Window" (webview serializer)',
          async () => {
            await runCommand(page, 'Developer: Reload Window');
            await page.waitForTimeout(1500);
            await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
            await page.locator('.tabs-container .tab', { hasText: 'Compare 2 Runs' }).waitFor({ timeout: 30_000 });
            await page.locator('.tabs-container .tab', { hasText: 'Compare 2 Runs' }).click();
            const restored = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
            await restored
              .locator('#compare-table tbody tr[data-key="<img src=x onerror=alert(1)>"]')
              .waitFor({ timeout: 30_000 });
            // the host restores the runs and the reference; the webview its own view settings (the smoothing)
            await restored.locator('.run-chip .badge', { hasText: 'reference' }).first().waitFor({ timeout: 20_000 });
            const smoothing = await restored.locator('#smoothing-value').innerText();
            if (smoothing !== '0.80') {
              throw new Error(`smoothing after reload: ${smoothing}`);
            }
            return `reference kept, smoothing ${smoothing}`;
          },
        );
      },
    );

  // Model registry: two versions registered with the CLI, then "Promote Model…" from the palette through the
  // quick picks, the review page (gate, A/B statistics, verdict) and the confirmation.
  const regWs = mkdtempSync(join(tmpdir(), 'mlsight-ui-registry-'));
  cleanup.push(() => rmSync(regWs, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/workspace'), regWs, { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/registry'), regWs, { recursive: true });
  // the command line from the packaged build, copied (a build started meanwhile would empty dist/)
  const cliDir = mkdtempSync(join(tmpdir(), 'mlsight-ui-cli-'));
  cleanup.push(() => rmSync(cliDir, { recursive: true, force: true }));
  for (const f of ['cli.js', 'sql-wasm.wasm']) {
    cpSync(join(ROOT, 'dist', f), join(cliDir, f));
  }
  const mlsight = (...args) => {
    try {
      return execFileSync(process.execPath, [join(cliDir, 'cli.js'), ...args, '--folder', regWs], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      throw new Error(`mlsight ${args.join(' ')}: ${e.stderr || e.message}`);
    }
  };
  mlsight('registry', 'register', 'churn', '--run', 'reg-lr', '--description', 'logistic regression');
  mlsight(
    'registry',
    'register',
    'churn',
    '--run',
    'reg-gbm',
    '--description',
    'gradient boosting',
    '--alias',
    'challenger',
  );
  mlsight('registry', 'register', '<img src=x onerror=alert(1)>', '--run', 'reg-gbm-small');
  mlsight(
    'registry',
    'config',
    'churn',
    '--metric',
    'val/accuracy',
    '--direction',
    'maximize',
    '--min-improvement',
    '0.01',
  );
  mlsight('registry', 'promote', 'churn', '1', '--reason', 'first champion');
  if (want('registry'))
    await withVsCode({ workspace: regWs, settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, async page => {
      const rows = page.locator('.sidebar .monaco-list-row');
      const input = page.locator('.quick-input-widget input');
      const picks = page.locator('.quick-input-list .monaco-list-row');
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const dialogs = [];
      page.on('dialog', d => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      /** waits for the quick pick with this placeholder, optionally filters it, checks its first row and accepts it */
      const choose = async (placeholder, { filter, expect } = {}) => {
        await page.locator(`.quick-input-widget input[placeholder="${placeholder}"]`).waitFor({ timeout: 20_000 });
        if (filter) {
          await input.fill(filter);
        }
        const first = picks.first();
        await first.waitFor({ timeout: 10_000 });
        const text = (await first.innerText()).replace(/\s+/g, ' ');
        if (expect && !expect.test(text)) {
          throw new Error(`"${placeholder}": first item is "${text}"`);
        }
        await page.keyboard.press('Enter');
        return text;
      };
      await checks.check(
        'the Models view lists registered models, versions with aliases, and a hostile name as text',
        async () => {
          await openActivityContainer(page, 'ML Sight');
          const header = page.locator('.sidebar .pane-header', { hasText: 'Models' }).first();
          await header.waitFor({ timeout: 20_000 });
          if ((await header.getAttribute('aria-expanded')) === 'false') {
            await header.click();
          }
          const churn = rows.filter({ hasText: 'churn' }).filter({ hasText: 'versions' }).first();
          await churn.waitFor({ timeout: 30_000 });
          const text = (await churn.innerText()).replace(/\s+/g, ' ');
          if (!/2 versions · @challenger v2 · @champion v1/.test(text)) {
            throw new Error(text);
          }
          await rows.filter({ hasText: '<img src=x onerror=alert(1)>' }).first().waitFor({ timeout: 10_000 });
          const injected = await page.locator('.sidebar img[src="x"], .sidebar script').count();
          if (injected) {
            throw new Error(`${injected} injected elements`);
          }
          await churn.click();
          const v2 = rows.filter({ hasText: /^\s*v2\s*@challenger/ }).first();
          await v2.waitFor({ timeout: 10_000 });
          await rows
            .filter({ hasText: /^\s*v1\s*@champion/ })
            .first()
            .waitFor({ timeout: 10_000 });
          return `${text} | ${(await v2.innerText()).replace(/\s+/g, ' ')}`;
        },
      );
      await screenshot(page, 'ui-models-view-dark');
      await checks.check(
        '"ML Sight: Promote Model…" from the palette: model → challenger (metric vs champion) → @champion → logged A/B outcomes',
        async () => {
          await runCommand(page, 'ML Sight: Promote Model…');
          await choose('Which model?', { filter: 'churn', expect: /^churn/ });
          const version = await choose('Which version is the challenger?', {
            expect: /v2.*@challenger.*val\/accuracy 0\.912 \(\+0\.051 vs champion v1\)/,
          });
          await choose('Promote to…', { expect: /@champion.*now v1/ });
          await choose('Where are the A/B results?', { expect: /Outcomes logged by mlsight\.log_outcome/ });
          await page
            .locator('.quick-input-widget .quick-input-message', { hasText: 'planned share of traffic' })
            .waitFor({ timeout: 10_000 });
          await page.keyboard.press('Enter'); // an even split (0.5)
          await choose('Which metric decides (the business metric)?', { filter: 'converted', expect: /^converted/ });
          await page
            .locator(
              '.quick-input-widget input[placeholder="Metrics that must not get significantly worse (none is fine)"]',
            )
            .waitFor({ timeout: 10_000 });
          await picks.filter({ hasText: 'latency_ms' }).first().click();
          await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
          return version;
        },
      );
      await checks.check(
        'the review page shows champion vs challenger, the passing gate and the A/B verdict, all as text',
        async () => {
          await view.locator('#gate-verdict', { hasText: 'The gate passes.' }).waitFor({ timeout: 30_000 });
          const versions = (await view.locator('#versions').innerText()).replace(/\s+/g, ' ');
          for (const want of [
            'Champion v1',
            'Challenger v2',
            'churn-gbm',
            'val/accuracy (primary)',
            'churn-train.csv sha256:4f1c9a0d7e2',
          ]) {
            if (!versions.includes(want)) {
              throw new Error(`no "${want}" in ${versions.slice(0, 400)}`);
            }
          }
          const verdict = await view.locator('#ab-verdict').innerText();
          if (!/^Challenger wins: promote\./.test(verdict)) {
            throw new Error(verdict);
          }
          const metrics = await view
            .locator('.ab-metric')
            .evaluateAll(els => els.map(e => e.getAttribute('data-metric')));
          if (metrics.join() !== 'converted,latency_ms') {
            throw new Error(metrics.join());
          }
          const checksText = (await view.locator('#gate-checks').innerText()).replace(/\s+/g, ' ');
          const injected = await view.locator('img, script:not([src]):not(#_vscodeApiScript)').count();
          if (injected) {
            throw new Error(`${injected} injected elements`);
          }
          return `${verdict.slice(0, 80)} | ${checksText.slice(0, 120)}`;
        },
      );
      await checks.check(
        "the review page shows the issue-14 checks: run status, check codes, same test set, attributed A/B data, the gate's error rates",
        async () => {
          const status = (await view.locator('#run-status').innerText()).replace(/\s+/g, ' ');
          if (!/Run status FINISHED FINISHED/.test(status)) {
            throw new Error(status);
          }
          const ids = await view
            .locator('#gate-checks li')
            .evaluateAll(els => els.map(e => `${e.getAttribute('data-check')}:${e.getAttribute('data-code')}`));
          if (ids.join() !== 'distinct:ok,archived:ok,run-status:ok,offline:ok,ab:ok') {
            throw new Error(ids.join());
          }
          const offline = await view.locator('#gate-checks li[data-check="offline"]').innerText();
          if (!/on churn-test\.csv \(test, 1761 rows\)/.test(offline)) {
            throw new Error(offline);
          }
          const rates = await view.locator('#gate-error-rates').innerText();
          if (!/1\.9 %.*56 %/.test(rates)) {
            throw new Error(rates);
          }
          await view.locator('#gate-error-rates').scrollIntoViewIfNeeded();
          return `${ids.join(' ')} | ${rates.slice(0, 90)}`;
        },
      );
      await screenshot(page, 'ui-promote-review-gate-dark');
      await checks.check(
        'promoting with a reason asks for confirmation, moves @champion and shows it in the Models view',
        async () => {
          await view.locator('#reason').fill('wins offline and in the A/B test');
          await view.locator('#promote:not([disabled])').click();
          const dialog = page.locator('.monaco-dialog-box');
          await dialog.waitFor({ timeout: 10_000 });
          const question = (await dialog.innerText()).replace(/\s+/g, ' ');
          if (!/Make churn v2 @champion \(now v1\)\?/.test(question)) {
            throw new Error(question);
          }
          await dialog
            .locator('.monaco-button', { hasText: /^Promote$/ })
            .first()
            .click();
          await view.locator('#status.done', { hasText: 'churn v2 is now @champion' }).waitFor({ timeout: 30_000 });
          await rows
            .filter({ hasText: 'churn' })
            .filter({ hasText: '@champion v2' })
            .first()
            .waitFor({ timeout: 20_000 });
          const audit = readFileSync(join(regWs, '.mlsight', 'audit.jsonl'), 'utf8')
            .trim()
            .split('\n')
            .map(l => JSON.parse(l));
          const last = audit.at(-1);
          if (
            last.action !== 'promote' ||
            last.to !== '2' ||
            last.evidence.ab.verdict !== 'promote' ||
            last.reason !== 'wins offline and in the A/B test'
          ) {
            throw new Error(JSON.stringify(last).slice(0, 300));
          }
          if (dialogs.length) {
            throw new Error(`alert() ran: ${dialogs}`);
          }
          return `${question.slice(0, 60)} → audit event by ${last.actor}`;
        },
      );
      await screenshot(page, 'ui-promote-done-dark');
      await checks.check(
        '"ML Sight: Open Model Page": version timeline with lineage links, the audit log and the A/B tab, as text',
        async () => {
          await runCommand(page, 'View: Close All Editors');
          await runCommand(page, 'ML Sight: Open Model Page');
          await choose('Which model?', { filter: 'churn', expect: /^churn/ });
          const timeline = view.locator('#timeline');
          await timeline.waitFor({ timeout: 30_000 });
          const text = (await timeline.innerText()).replace(/\s+/g, ' ');
          for (const want of ['v2', '@champion', 'churn-gbm', 'v1', 'churn-logreg']) {
            if (!text.includes(want)) {
              throw new Error(`no "${want}" in ${text.slice(0, 300)}`);
            }
          }
          await view.locator('button.tab[data-tab="ab"]').click();
          const verdict = await view.locator('#ab-verdict').innerText();
          await view.locator('button.tab[data-tab="overview"]').click();
          await timeline.waitFor({ timeout: 10_000 });
          const injected = await view.locator('img, script:not([src]):not(#_vscodeApiScript)').count();
          if (injected) {
            throw new Error(`${injected} injected elements`);
          }
          return `${text.slice(0, 100)} | A/B: ${verdict.slice(0, 60)}`;
        },
      );
      await screenshot(page, 'ui-model-page-dark');
      await checks.check("the model page's Metrics tab draws the metrics across versions (chart.js)", async () => {
        await view.locator('button.tab[data-tab="metrics"]').click();
        await view.locator('#metric-charts canvas').first().waitFor({ timeout: 10_000 });
        return `${await view.locator('#metric-charts canvas').count()} charts`;
      });
      await screenshot(page, 'ui-model-page-metrics-dark');
    });

  // Drift report: its own session (test/harness/ui-drift.mjs).
  if (want('drift')) {
    await driftUiChecks({ withVsCode, checks, cleanup });
  }

  // Team mode on an MLflow SQLite file: team + local runs in Compare (test/harness/ui-team.mjs).
  if (want('team')) {
    await teamUiChecks({ withVsCode, checks, cleanup });
  }

  // The demo workspace `npm start` opens, walked as a new user would (test/harness/ui-demo.mjs).
  if (want('demo')) {
    await demoUiChecks({ withVsCode, checks, cleanup });
  }

  const empty = mkdtempSync(join(tmpdir(), 'mlsight-ui-empty-'));
  cleanup.push(() => rmSync(empty, { recursive: true, force: true }));
  if (want('empty'))
    await withVsCode({ workspace: empty, settings: { 'workbench.colorTheme': 'Default Light Modern' } }, async page => {
      await checks.check('an empty workspace shows the Runs welcome view with its buttons', async () => {
        await openActivityContainer(page, 'ML Sight');
        const welcome = page.locator('.sidebar .welcome-view-content', { hasText: 'No runs yet' });
        await welcome.waitFor({ timeout: 30_000 });
        await welcome
          .locator('a.monaco-button, .monaco-button', { hasText: 'Refresh Runs' })
          .first()
          .waitFor({ timeout: 5_000 });
      });
      await checks.check('palette commands work in an empty workspace ("ML Sight: Refresh Runs")', async () => {
        await runCommand(page, 'ML Sight: Refresh Runs');
        await page.waitForTimeout(500);
        const errors = await page.locator('.notifications-toasts .notification-toast .codicon-error').count();
        if (errors) {
          throw new Error('an error notification appeared');
        }
      });
      await checks.check(
        'an expected empty state is guidance, not an error: "Register Model…" with no model logged',
        async () => {
          await runCommand(page, 'ML Sight: Register Model…');
          const toast = page.locator('.notifications-toasts .notification-toast', {
            hasText: 'no run here has logged a model yet',
          });
          await toast.waitFor({ timeout: 20_000 });
          if (await toast.locator('.codicon-error').count()) {
            throw new Error('shown as an error');
          }
          await toast
            .locator('.monaco-button', { hasText: 'Copy Python Logger into Workspace' })
            .first()
            .waitFor({ timeout: 5_000 });
          return (await toast.innerText()).replace(/\s+/g, ' ').slice(0, 160);
        },
      );
      await screenshot(page, 'ui-welcome-light');
    });
} catch (e) {
  checks.fail('ui harness', e);
} finally {
  for (const c of cleanup.reverse()) {
    await c();
  }
}
console.log(`${checks.passed} passed, ${checks.failed} failed`);
process.exit(checks.failed ? 1 : 0);
