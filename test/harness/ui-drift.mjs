// UI checks of the Drift report (called by run-ui-tests.mjs in its own VS Code session): "ML Sight: Open Drift
// Report…" from the palette through the file and column pickers, the summary table read in the webview's frames,
// the charts drawn on canvases, a hostile column name shown as text, sorting, and the JSON export.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './codeServer.mjs';
import { runCommand, screenshot } from './ui.mjs';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** Counts the painted pixels of a canvas (0 = blank). */
const painted = canvas =>
  canvas.evaluate(c => {
    const ctx = c.getContext('2d');
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 3; i < px.length; i += 4) {
      if (px[i] > 0) {
        lit++;
      }
    }
    return lit;
  });

export async function driftUiChecks({ withVsCode, checks, cleanup }) {
  const ws = mkdtempSync(join(tmpdir(), 'mlsight-ui-drift-'));
  cleanup.push(() => rmSync(ws, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/workspace'), ws, { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/drift'), join(ws, 'data'), { recursive: true });
  await withVsCode(
    { workspace: ws, settings: { 'workbench.colorTheme': 'Default Dark Modern', 'files.simpleDialog.enable': true } },
    async page => {
      const input = page.locator('.quick-input-widget input');
      const picks = page.locator('.quick-input-list .monaco-list-row');
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const dialogs = [];
      page.on('dialog', d => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const waitPick = async placeholder => {
        await page.locator(`.quick-input-widget input[placeholder="${placeholder}"]`).waitFor({ timeout: 30_000 });
        await picks.first().waitFor({ timeout: 15_000 });
      };

      await checks.check(
        '"ML Sight: Open Drift Report…": reference and current files from the workspace, guessed target/prediction/time columns',
        async () => {
          // the workbench may still be starting: retry the palette once
          await page.locator('.explorer-folders-view, .sidebar').first().waitFor({ timeout: 30_000 });
          try {
            await runCommand(page, 'ML Sight: Open Drift Report…');
          } catch {
            await page.keyboard.press('Escape');
            await page.waitForTimeout(2000);
            await runCommand(page, 'ML Sight: Open Drift Report…');
          }
          await waitPick('The data the model was trained on');
          await input.fill('reference.csv');
          const ref = picks.filter({ hasText: /(^|\s)reference\.csv/ }).first();
          await ref.waitFor({ timeout: 10_000 });
          await ref.click();
          await waitPick('The data the model sees now');
          await input.fill('current.csv');
          const cur = picks.filter({ hasText: /(^|\s)current\.csv/ }).first();
          await cur.waitFor({ timeout: 10_000 });
          await cur.click();
          const firsts = [];
          for (const what of ['target (label)', 'prediction', 'time']) {
            await waitPick(`The ${what} column (Escape cancels)`);
            firsts.push((await picks.first().innerText()).replace(/\s+/g, ' ').trim());
            await page.keyboard.press('Enter');
          }
          const want = [
            /^target\s*guessed from its name$/,
            /^prediction\s*guessed from its name$/,
            /^timestamp\s*guessed from its name$/,
          ];
          firsts.forEach((t, i) => {
            if (!want[i].test(t)) {
              throw new Error(`picker ${i + 3}: first item "${t}"`);
            }
          });
          await page.locator('.tabs-container .tab', { hasText: 'Drift: current.csv' }).waitFor({ timeout: 20_000 });
          return firsts.join(' | ');
        },
      );

      await checks.check(
        'the webview shows the verdict and a table of every column (read in the webview frames)',
        async () => {
          await view.locator('#drift-table tbody tr').first().waitFor({ timeout: 60_000 });
          const verdict = (await view.locator('#verdict .headline').innerText()).trim();
          if (verdict !== 'Retraining recommended') {
            throw new Error(verdict);
          }
          const rows = await view
            .locator('#drift-table tbody tr')
            .evaluateAll(trs =>
              trs.map(tr => [
                tr.getAttribute('data-column'),
                ...Array.from(tr.querySelectorAll('td')).map(td => td.textContent.trim()),
              ]),
            );
          if (rows.length !== 10) {
            throw new Error(`${rows.length} rows`);
          }
          const byName = Object.fromEntries(rows.map(r => [r[0], r.slice(1)]));
          for (const [name, type, test, drift] of [
            ['age', 'numerical', 'Wasserstein (normed)', 'drifted'],
            ['city', 'categorical', 'Jensen-Shannon', 'drifted'],
            ['rating', 'categorical', 'Jensen-Shannon', 'no drift'],
          ]) {
            const r = byName[name];
            if (!r || r[1] !== type || r[2] !== test || r[7] !== drift) {
              throw new Error(`${name}: ${JSON.stringify(r)}`);
            }
          }
          const dataset = (await view.locator('#card-dataset').innerText()).replace(/\s+/g, ' ');
          if (!dataset.includes('5 of 10 columns')) {
            throw new Error(dataset);
          }
          return `${verdict}; ${rows
            .map(r => `${r[0]}:${r[8]}`)
            .join(', ')
            .slice(0, 300)}`;
        },
      );

      await checks.check(
        "the verdict says its designed alarm rate and shows its reasoning: tests, correction, chunks, the band's interval",
        async () => {
          const rate = (await view.locator('#verdict #alarm-rate').innerText()).replace(/\s+/g, ' ');
          if (
            !/Designed false-alarm rate: at most about 5 ?% of reports on unchanged data say anything but "No drift detected" \(measured by simulation: [\d.]+ ?%\)/.test(
              rate,
            )
          ) {
            throw new Error(rate);
          }
          const why = (await view.locator('#verdict #reasoning').innerText()).replace(/\s+/g, ' ');
          for (const want of [
            /10 two-sample tests \(K-S for numerical columns, chi-square homogeneity for categorical ones\), Holm-corrected at 3 %/,
            /10 chunks\. A feature alarms when NannyML's threshold is crossed in 2 consecutive chunks/,
            /F1 band for a chunk of 120 rows: [\d.]+ – [\d.]+ \(reference 0\.864 ± [\d.]+ σ/,
            /Retraining is recommended after 2 consecutive chunks below the band/,
          ]) {
            if (!want.test(why)) {
              throw new Error(`missing ${want}: ${why.slice(0, 400)}`);
            }
          }
          const reasons = await view.locator('#verdict > ul li').allInnerTexts();
          if (!reasons.some(t => /Dataset drift: 5 of 10 columns drifted .*"income"/.test(t))) {
            throw new Error(reasons.join(' | '));
          }
          const alarms = await view
            .locator('#verdict-tests tbody tr')
            .evaluateAll(trs => trs.filter(tr => tr.querySelector('.badge.bad')).map(tr => tr.firstChild.textContent));
          if (alarms.length !== 5) {
            throw new Error(`alarms ${alarms}`);
          }
          await view.locator('#verdict').scrollIntoViewIfNeeded();
          await screenshot(page, 'ui-drift-verdict-dark');
          return `${rate.slice(0, 120)}; alarms ${alarms.join(', ')}`;
        },
      );

      await checks.check(
        'a hostile column name is shown as text in the table and the charts, and runs nothing',
        async () => {
          const cell = view.locator('#drift-table tbody tr[data-column="<img src=x onerror=alert(1)>"] td.name');
          const text = (await cell.innerText()).trim();
          if (text !== HOSTILE) {
            throw new Error(JSON.stringify(text));
          }
          const card = view.locator('.dist-card[data-column="<img src=x onerror=alert(1)>"] .title');
          if ((await card.innerText()).trim() !== HOSTILE) {
            throw new Error('card title');
          }
          const injected = await view
            .locator('img, script:not([src]):not(#_vscodeApiScript)')
            .evaluateAll(els => els.map(e => e.outerHTML.slice(0, 120)));
          if (injected.length) {
            throw new Error(`injected elements: ${JSON.stringify(injected)}`);
          }
          await page.waitForTimeout(300);
          if (dialogs.length) {
            throw new Error(`alert() ran: ${dialogs}`);
          }
          return text;
        },
      );
      await screenshot(page, 'ui-drift-dark');

      await checks.check(
        'histograms (reference vs current) and the performance chart with its band are drawn on canvases',
        async () => {
          const n = await view.locator('.dist-card canvas').count();
          if (n !== 10) {
            throw new Error(`${n} histogram canvases`);
          }
          const card = view.locator('.dist-card[data-column="income"]');
          await card.scrollIntoViewIfNeeded();
          const hist = await painted(card.locator('canvas'));
          if (hist < 500) {
            throw new Error(`the income histogram is blank (${hist} painted pixels)`);
          }
          await screenshot(page, 'ui-drift-histograms-dark');
          const perf = view.locator('#performance-chart canvas');
          await perf.scrollIntoViewIfNeeded();
          const p = await painted(perf);
          if (p < 500) {
            throw new Error(`the performance chart is blank (${p})`);
          }
          const heat = await view.locator('#chunk-table tbody tr').count();
          if (heat !== 8) {
            throw new Error(`${heat} rows in the chunk table`);
          }
          await screenshot(page, 'ui-drift-over-time-dark');
          return `${n} histograms, income ${hist} px, performance ${p} px, ${heat} features over time`;
        },
      );

      await checks.check('sorting by drift score and switching to ECDFs', async () => {
        await view.locator('#drift-table thead button[data-sort="score"]').click();
        await view
          .locator('#drift-table thead th[aria-sort="ascending"] button[data-sort="score"]')
          .waitFor({ timeout: 5_000 });
        const scores = await view.locator('#drift-table tbody tr td:nth-child(6)').allInnerTexts();
        const nums = scores.map(Number);
        if (nums.some((v, i) => i > 0 && v < nums[i - 1])) {
          throw new Error(`not ascending: ${scores}`);
        }
        await view.locator('#chart-kind').selectOption('ecdf');
        await view.locator('.dist-card canvas[aria-label^="ECDF of income"]').waitFor({ timeout: 5_000 });
        return scores.join(' ');
      });

      await checks.check('"Export JSON" saves the documented report next to the current file', async () => {
        await view.locator('#export-json').click();
        const target = join(ws, 'data', 'drift-current.json');
        await page.locator('.quick-input-widget input').waitFor({ timeout: 15_000 });
        await page.waitForTimeout(300);
        await page.keyboard.press('Enter');
        const t0 = Date.now();
        while (!existsSync(target) && Date.now() - t0 < 15_000) {
          await page.waitForTimeout(200);
        }
        const j = JSON.parse(readFileSync(target, 'utf8'));
        if (j.schema !== 'mlsight.drift/1' || j.columns.length !== 10 || !j.columns.some(c => c.name === HOSTILE)) {
          throw new Error(JSON.stringify(j).slice(0, 200));
        }
        return `${j.columns.length} columns, verdict ${j.verdict.level}`;
      });
    },
  );
}
