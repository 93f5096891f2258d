// UI checks on the demo workspace (called by run-ui-tests.mjs in its own VS Code session): the demo that
// `npm start` opens, walked the way a new user would — the walkthrough, the Runs view, a run page, comparing runs
// (final metrics, deltas to the baseline, highlighted cells, parallel coordinates, the scatter), a leak and its
// quick fix, the registry's promotion review, the drift report, and a training script run with a Python that has
// its packages. The screenshots are the README's images: MLSIGHT_UPDATE_DOCS_IMAGES=1 copies them to docs/images.
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDemo } from '../../scripts/make-demo.mjs';
import { ROOT } from './codeServer.mjs';
import { SHOTS, clickViewAction, openActivityContainer, runCommand, screenshot } from './ui.mjs';

const DOCS = join(ROOT, 'docs', 'images');

/** Saves a screenshot in test-results/ and, when asked, as a README image. */
async function docShot(page, name) {
  await screenshot(page, `demo-${name}`);
  if (process.env.MLSIGHT_UPDATE_DOCS_IMAGES === '1') {
    copyFileSync(join(SHOTS, `demo-${name}.png`), join(DOCS, `${name}.png`));
  }
}

const painted = canvas =>
  canvas.evaluate(c => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 3; i < px.length; i += 4) {
      if (px[i] > 0) {
        lit++;
      }
    }
    return lit;
  });

export async function demoUiChecks({ withVsCode, checks, cleanup }) {
  const ws = mkdtempSync(join(tmpdir(), 'mlsight-ui-demo-'));
  cleanup.push(() => rmSync(ws, { recursive: true, force: true }));
  // the command line from the packaged build, copied (a build started meanwhile would empty dist/)
  const cliDir = mkdtempSync(join(tmpdir(), 'mlsight-ui-demo-cli-'));
  cleanup.push(() => rmSync(cliDir, { recursive: true, force: true }));
  for (const f of ['cli.js', 'sql-wasm.wasm']) {
    cpSync(join(ROOT, 'dist', f), join(cliDir, f));
  }
  makeDemo(ws, { cli: join(cliDir, 'cli.js') });

  await withVsCode(
    { workspace: ws, settings: { 'workbench.colorTheme': 'Default Dark Modern', 'workbench.startupEditor': 'none' } },
    async page => {
      const rows = page.locator('.sidebar .monaco-list-row');
      const input = page.locator('.quick-input-widget input');
      const picks = page.locator('.quick-input-list .monaco-list-row');
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const tabs = page.locator('.tabs-container .tab');
      const dialogs = [];
      page.on('dialog', d => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const rowText = async name =>
        (await rows.filter({ hasText: name }).first().innerText()).replace(/\s+/g, ' ').trim();

      await checks.check('demo: the walkthrough "Get started with ML Sight" opens with its five steps', async () => {
        await page.locator('.explorer-folders-view, .sidebar').first().waitFor({ timeout: 30_000 });
        await runCommand(page, 'Welcome: Open Walkthrough...');
        await picks.filter({ hasText: 'Get started with ML Sight' }).first().waitFor({ timeout: 20_000 });
        await picks.filter({ hasText: 'Get started with ML Sight' }).first().click();
        const container = page.locator('.gettingStartedContainer').first();
        await container.locator('text=Compare runs').first().waitFor({ timeout: 20_000 });
        const text = (await container.innerText()).replace(/\s+/g, ' ');
        const titles = ['Log a run and find it', 'Compare runs', 'Fix a data leak', 'Promote a model', 'Check drift'];
        for (const want of titles) {
          if (!text.includes(want)) {
            throw new Error(`no step "${want}": ${text.slice(0, 400)}`);
          }
        }
        await page.waitForTimeout(500);
        await docShot(page, 'walkthrough');
        return `${titles.length} steps`;
      });
      await runCommand(page, 'View: Close All Editors');

      await checks.check(
        'demo: the Runs view shows both experiments with the key metric first in each description',
        async () => {
          await openActivityContainer(page, 'ML Sight');
          await rows.filter({ hasText: 'rf-200-trees' }).first().waitFor({ timeout: 30_000 });
          const texts = (await rows.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim());
          for (const want of ['iris-classifier', 'churn', 'dummy-baseline', 'svc-rbf', 'mlp-diverged']) {
            if (!texts.some(t => t.includes(want))) {
              throw new Error(`no row ${want}: ${JSON.stringify(texts)}`);
            }
          }
          const rf = await rowText('rf-200-trees');
          if (!/^rf-200-trees ?0\.9\d* \S+ · 9m 0s/.test(rf)) {
            throw new Error(`rf-200-trees: "${rf}"`);
          }
          const failed = await rowText('mlp-diverged');
          if (!/failed · 2m 10s/.test(failed)) {
            throw new Error(`mlp-diverged: "${failed}"`);
          }
          return `${rf} | ${failed}`;
        },
      );

      await checks.check(
        'demo: a run page is titled with its run from the start; the reproducible run passes every check',
        async () => {
          await rows.filter({ hasText: 'rf-200-trees' }).first().click();
          await tabs.filter({ hasText: 'Run rf-200-trees' }).waitFor({ timeout: 20_000 });
          const titles = (await tabs.allInnerTexts()).map(t => t.trim());
          if (titles.some(t => /^Run$/.test(t))) {
            throw new Error(`a tab titled "Run": ${titles}`);
          }
          await view.locator('#repro li').first().waitFor({ timeout: 20_000 });
          const repro = await view.locator('h2', { hasText: 'Reproducibility' }).innerText();
          if (repro.trim() !== 'Reproducibility 6/6') {
            throw new Error(repro);
          }
          const times = await view.locator('.row.muted').first().innerText();
          if (!/duration 9m 0s/.test(times)) {
            throw new Error(times);
          }
          await view.locator('#metrics canvas.spark').first().waitFor({ timeout: 10_000 });
          await page.waitForTimeout(400);
          await docShot(page, 'runs-view');
          return `${repro.trim()}; ${times.replace(/\s+/g, ' ')}`;
        },
      );

      await checks.check('demo: comparing five selected runs leaves no stray run tab', async () => {
        await rows.filter({ hasText: 'dummy-baseline' }).first().click();
        for (const n of ['logreg-C1', 'svc-rbf', 'rf-200-trees', 'mlp-diverged']) {
          await rows
            .filter({ hasText: n })
            .first()
            .click({ modifiers: ['Control'] });
        }
        await clickViewAction(page, 'Runs', 'Compare Runs…');
        await tabs.filter({ hasText: 'Compare 5 Runs' }).waitFor({ timeout: 20_000 });
        await view.locator('#compare-table').waitFor({ timeout: 30_000 });
        await page.waitForTimeout(500);
        const titles = (await tabs.allInnerTexts()).map(t => t.trim());
        if (titles.some(t => /^Run\b/.test(t))) {
          throw new Error(`run page tabs left behind: ${JSON.stringify(titles)}`);
        }
        return JSON.stringify(titles);
      });

      await checks.check(
        'demo: metrics logged once are drawn as final-metric bars; the baseline difference is absolute',
        async () => {
          const cards = await view
            .locator('#final-metrics .chart-card')
            .evaluateAll(els => els.map(e => e.getAttribute('data-metric')));
          if (cards.join() !== 'test/accuracy,test/f1_macro') {
            throw new Error(`final metrics: ${cards}`);
          }
          const px = await painted(view.locator('#final-metrics .chart-card[data-metric="test/accuracy"] canvas'));
          if (px < 300) {
            throw new Error(`the test/accuracy bars are blank (${px} px)`);
          }
          const chip = (
            await view.locator('.run-chip[data-run-id="2b3c4d5e6f7a48099b1c2d3e4f5a6b7c"] .vs-baseline').innerText()
          ).trim();
          if (!/^\+0\.\d+ val\/accuracy vs baseline \(0\.3333\)$/.test(chip)) {
            throw new Error(chip);
          }
          await view.locator('#delta-mode').selectOption('relative');
          const rel = (
            await view.locator('.run-chip[data-run-id="2b3c4d5e6f7a48099b1c2d3e4f5a6b7c"] .vs-baseline').innerText()
          ).trim();
          if (!/^\+\d+ % val\/accuracy/.test(rel)) {
            throw new Error(rel);
          }
          await view.locator('#delta-mode').selectOption('absolute');
          return `${cards.join(', ')} (${px} px); ${chip}; relative: ${rel}`;
        },
      );

      await checks.check('demo: only the cells that differ are highlighted; durations read "9m 0s"', async () => {
        const status = await view
          .locator('#compare-table tr[data-key="status"] td')
          .evaluateAll(tds => tds.map(td => [td.textContent, td.classList.contains('differs')]));
        const lit = status.filter(([, d]) => d).map(([t]) => t);
        if (lit.join() !== 'FAILED') {
          throw new Error(`highlighted status cells: ${JSON.stringify(status)}`);
        }
        const dur = await view.locator('#compare-table tr[data-key="duration"] td').allInnerTexts();
        if (!dur.includes('9m 0s')) {
          throw new Error(`durations: ${dur}`);
        }
        return `status highlighted: ${lit}; durations ${dur.join(', ')}`;
      });
      await page.waitForTimeout(300);
      await docShot(page, 'compare');

      await checks.check(
        'demo: parallel coordinates reach every axis (missing tick), coloured by the metric; the scatter starts on a varying parameter',
        async () => {
          const pc = view.locator('canvas.pc');
          await pc.scrollIntoViewIfNeeded();
          await page.waitForTimeout(300);
          const px = await painted(pc);
          if (px < 1000) {
            throw new Error(`parallel coordinates blank (${px} px)`);
          }
          const legend = await view.locator('#pc-legend').innerText();
          if (!/val\/accuracy: worse/.test(legend)) {
            throw new Error(legend);
          }
          const status = await view.locator('canvas.pc ~ p, .pc-wrap + p').first().innerText();
          if (!/"missing" tick/.test(status)) {
            throw new Error(status);
          }
          const param = await view.locator('#scatter-param').inputValue();
          if (param !== 'model') {
            throw new Error(`scatter starts on ${param}`);
          }
          await docShot(page, 'compare-parallel');
          return `${px} px; ${legend.replace(/\s+/g, ' ')}; scatter on ${param}`;
        },
      );

      await checks.check('demo: a leaky script shows squiggles and the quick fix', async () => {
        await runCommand(page, 'View: Close All Editors');
        await page.keyboard.press('Control+P');
        await input.waitFor({ timeout: 15_000 });
        await page.keyboard.type('leaky_train.py');
        await picks.filter({ hasText: 'leaky_train.py' }).first().waitFor({ timeout: 15_000 });
        await page.keyboard.press('Enter');
        await page.locator('.editor-instance .squiggly-warning').first().waitFor({ timeout: 30_000 });
        await page.locator('.editor-instance .view-line', { hasText: 'train_test_split(X_scaled' }).click();
        await page.keyboard.press('Control+G');
        await input.waitFor({ timeout: 10_000 });
        await page.keyboard.type('12:45');
        await page.keyboard.press('Enter');
        await page.waitForTimeout(300);
        await page.keyboard.press('Control+.');
        await page.locator('.action-widget').getByText('Add stratify=y', { exact: true }).waitFor({ timeout: 15_000 });
        await docShot(page, 'leakage-quickfix');
        await page.keyboard.press('Escape');
      });

      await checks.check(
        'demo: the Models view shows churn with @champion and @challenger; Promote Model… opens the review',
        async () => {
          await runCommand(page, 'View: Close All Editors');
          const header = page.locator('.sidebar .pane-header', { hasText: 'Models' }).first();
          if ((await header.getAttribute('aria-expanded')) === 'false') {
            await header.click();
          }
          const churn = rows.filter({ hasText: 'churn' }).filter({ hasText: 'versions' }).first();
          await churn.waitFor({ timeout: 30_000 });
          const text = (await churn.innerText()).replace(/\s+/g, ' ');
          if (!/@challenger v2/.test(text) || !/@champion v1/.test(text)) {
            throw new Error(text);
          }
          await runCommand(page, 'ML Sight: Promote Model…');
          const choose = async (placeholder, filter) => {
            await page.locator(`.quick-input-widget input[placeholder="${placeholder}"]`).waitFor({ timeout: 20_000 });
            if (filter) {
              await input.fill(filter);
            }
            await picks.first().waitFor({ timeout: 10_000 });
            await page.keyboard.press('Enter');
          };
          await choose('Which version is the challenger?');
          await choose('Promote to…');
          await choose('Where are the A/B results?');
          // the canary's share is the planned share; without a canary the flow asks for it
          const share = page.locator('.quick-input-widget .quick-input-message', {
            hasText: 'planned share of traffic',
          });
          if (
            await share.waitFor({ timeout: 4_000 }).then(
              () => true,
              () => false,
            )
          ) {
            await page.keyboard.press('Enter');
          }
          await choose('Which metric decides (the business metric)?', 'retained');
          await page
            .locator(
              '.quick-input-widget input[placeholder="Metrics that must not get significantly worse (none is fine)"]',
            )
            .waitFor({ timeout: 10_000 });
          await picks.filter({ hasText: 'latency_ms' }).first().click();
          await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
          await view.locator('#gate-verdict').waitFor({ timeout: 30_000 });
          const verdict = (await view.locator('#ab-verdict').innerText()).trim();
          await page.waitForTimeout(400);
          await docShot(page, 'promote');
          return `${text} | ${verdict.slice(0, 100)}`;
        },
      );

      await checks.check('demo: the drift report of the churn data recommends retraining', async () => {
        await runCommand(page, 'View: Close All Editors');
        await runCommand(page, 'ML Sight: Open Drift Report…');
        const pick = async (placeholder, name) => {
          await page.locator(`.quick-input-widget input[placeholder="${placeholder}"]`).waitFor({ timeout: 30_000 });
          await input.fill(name);
          const item = picks.filter({ hasText: name }).first();
          await item.waitFor({ timeout: 10_000 });
          await item.click();
        };
        await pick('The data the model was trained on', 'churn_reference.csv');
        await pick('The data the model sees now', 'churn_current.csv');
        for (const what of ['target (label)', 'prediction', 'time']) {
          await page
            .locator(`.quick-input-widget input[placeholder="The ${what} column (Escape cancels)"]`)
            .waitFor({ timeout: 20_000 });
          await picks.first().waitFor({ timeout: 10_000 });
          await page.keyboard.press('Enter');
        }
        await view.locator('#drift-table tbody tr').first().waitFor({ timeout: 60_000 });
        const verdict = (await view.locator('#verdict .headline').innerText()).trim();
        if (verdict !== 'Retraining recommended') {
          throw new Error(verdict);
        }
        await page.waitForTimeout(500);
        await docShot(page, 'drift');
        return verdict;
      });

      await checks.check(
        'demo: "Run Python File" runs train_iris.py with a Python that has scikit-learn; its run appears',
        async () => {
          await runCommand(page, 'View: Close All Editors');
          // Quick Open can take Enter before its list settles on a loaded machine (one CI run opened nothing within
          // 15 s): open the file again once before giving up.
          const editor = page.locator('.editor-instance .view-lines', { hasText: 'load_iris' });
          for (let attempt = 1; ; attempt++) {
            await page.keyboard.press('Control+P');
            await input.waitFor({ timeout: 15_000 });
            await page.keyboard.type('train_iris.py');
            await picks.filter({ hasText: 'train_iris.py' }).first().waitFor({ timeout: 15_000 });
            await page.keyboard.press('Enter');
            try {
              await editor.waitFor({ timeout: 15_000 });
              break;
            } catch (e) {
              if (attempt >= 2) {
                throw e;
              }
              await page.keyboard.press('Escape');
            }
          }
          await runCommand(page, 'ML Sight: Run Python File');
          await rows.filter({ hasText: 'iris-logreg' }).first().waitFor({ timeout: 120_000 });
          const row = await rowText('iris-logreg');
          if (dialogs.length) {
            throw new Error(`alert() ran: ${dialogs}`);
          }
          return row;
        },
      );
    },
  );
}
