// SCRATCH (to be pasted into run-ui-tests.mjs, then deleted)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, installVsix, launchBrowser, log, startCodeServer, workbenchUrl } from './codeServer.mjs';
import { Checks, openActivityContainer, openWorkbench, runCommand, screenshot } from './ui.mjs';

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
  try { await fn(page); } finally { await browser.close().catch(() => {}); await server.stop(); }
}

try {
  if (!existsSync(vsix)) { throw new Error(`missing ${vsix}`); }
  // BEGIN BLOCK
  // Model registry: two versions registered with the CLI, then "Promote Model…" from the palette through the
  // quick picks, the review page (gate, A/B statistics, verdict) and the confirmation.
  const regWs = mkdtempSync(join(tmpdir(), 'mlsight-ui-registry-'));
  cleanup.push(() => rmSync(regWs, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/workspace'), regWs, { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/registry'), regWs, { recursive: true });
  const mlsight = (...args) => execFileSync(process.execPath, [join(ROOT, 'dist/cli.js'), ...args, '--folder', regWs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  mlsight('registry', 'register', 'churn', '--run', 'reg-lr', '--description', 'logistic regression');
  mlsight('registry', 'register', 'churn', '--run', 'reg-gbm', '--description', 'gradient boosting', '--alias', 'challenger');
  mlsight('registry', 'register', '<img src=x onerror=alert(1)>', '--run', 'reg-gbm-small');
  mlsight('registry', 'config', 'churn', '--metric', 'val/accuracy', '--direction', 'maximize', '--min-improvement', '0.01');
  mlsight('registry', 'promote', 'churn', '1', '--reason', 'first champion');
  await withVsCode({ workspace: regWs, settings: { 'workbench.colorTheme': 'Default Dark Modern' } }, async page => {
    const rows = page.locator('.sidebar .monaco-list-row');
    const input = page.locator('.quick-input-widget input');
    const picks = page.locator('.quick-input-list .monaco-list-row');
    const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    const dialogs = [];
    page.on('dialog', d => { dialogs.push(d.message()); void d.dismiss(); });
    /** waits for the quick pick with this placeholder, optionally filters it, checks its first row and accepts it */
    const choose = async (placeholder, { filter, expect } = {}) => {
      await page.locator(`.quick-input-widget input[placeholder="${placeholder}"]`).waitFor({ timeout: 20_000 });
      if (filter) { await input.fill(filter); }
      const first = picks.first();
      await first.waitFor({ timeout: 10_000 });
      const text = (await first.innerText()).replace(/\s+/g, ' ');
      if (expect && !expect.test(text)) { throw new Error(`"${placeholder}": first item is "${text}"`); }
      await page.keyboard.press('Enter');
      return text;
    };
    await checks.check('the Models view lists registered models, versions with aliases, and a hostile name as text', async () => {
      await openActivityContainer(page, 'ML Sight');
      const header = page.locator('.sidebar .pane-header', { hasText: 'Models' }).first();
      await header.waitFor({ timeout: 20_000 });
      if ((await header.getAttribute('aria-expanded')) === 'false') { await header.click(); }
      const churn = rows.filter({ hasText: 'churn' }).filter({ hasText: 'versions' }).first();
      await churn.waitFor({ timeout: 30_000 });
      const text = (await churn.innerText()).replace(/\s+/g, ' ');
      if (!/2 versions · @challenger v2 · @champion v1/.test(text)) { throw new Error(text); }
      await rows.filter({ hasText: '<img src=x onerror=alert(1)>' }).first().waitFor({ timeout: 10_000 });
      const injected = await page.locator('.sidebar img[src="x"], .sidebar script').count();
      if (injected) { throw new Error(`${injected} injected elements`); }
      await churn.click();
      await rows.filter({ hasText: 'v2' }).filter({ hasText: '@challenger' }).first().waitFor({ timeout: 10_000 });
      return text;
    });
    await screenshot(page, 'ui-models-view-dark');
    await checks.check('"ML Sight: Promote Model…" from the palette: model → challenger (metric vs champion) → @champion → logged A/B outcomes', async () => {
      await runCommand(page, 'ML Sight: Promote Model…');
      await choose('Which model?', { filter: 'churn', expect: /^churn/ });
      const version = await choose('Which version is the challenger?', { expect: /v2.*@challenger.*val\/accuracy 0\.912 \(\+0\.051 vs champion v1\)/ });
      await choose('Promote to…', { expect: /@champion.*now v1/ });
      await choose('Where are the A/B results?', { expect: /Outcomes logged by mlsight\.log_outcome/ });
      await page.locator('.quick-input-widget .quick-input-message', { hasText: 'planned share of traffic' }).waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter'); // an even split (0.5)
      await choose('Which metric decides (the business metric)?', { filter: 'converted', expect: /^converted/ });
      await page.locator('.quick-input-widget input[placeholder="Metrics that must not get significantly worse (none is fine)"]').waitFor({ timeout: 10_000 });
      await picks.filter({ hasText: 'latency_ms' }).first().click();
      await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();
      return version;
    });
    await checks.check('the review page shows champion vs challenger, the passing gate and the A/B verdict, all as text', async () => {
      await view.locator('#gate-verdict', { hasText: 'The gate passes.' }).waitFor({ timeout: 30_000 });
      const versions = (await view.locator('#versions').innerText()).replace(/\s+/g, ' ');
      for (const want of ['Champion v1', 'Challenger v2', 'churn-gbm', 'val/accuracy (primary)', 'churn-train.csv sha256:4f1c9a0d7e2']) {
        if (!versions.includes(want)) { throw new Error(`no "${want}" in ${versions.slice(0, 400)}`); }
      }
      const verdict = await view.locator('#ab-verdict').innerText();
      if (!/^Challenger wins: promote\./.test(verdict)) { throw new Error(verdict); }
      const metrics = await view.locator('.ab-metric').evaluateAll(els => els.map(e => e.getAttribute('data-metric')));
      if (metrics.join() !== 'converted,latency_ms') { throw new Error(metrics.join()); }
      const checksText = (await view.locator('#gate-checks').innerText()).replace(/\s+/g, ' ');
      const injected = await view.locator('img, script:not([src]):not(#_vscodeApiScript)').count();
      if (injected) { throw new Error(`${injected} injected elements`); }
      return `${verdict.slice(0, 80)} | ${checksText.slice(0, 120)}`;
    });
    await screenshot(page, 'ui-promote-review-dark');
    await checks.check('promoting with a reason asks for confirmation, moves @champion and shows it in the Models view', async () => {
      await view.locator('#reason').fill('wins offline and in the A/B test');
      await view.locator('#promote:not([disabled])').click();
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 10_000 });
      const question = (await dialog.innerText()).replace(/\s+/g, ' ');
      if (!/Make churn v2 @champion \(now v1\)\?/.test(question)) { throw new Error(question); }
      await dialog.locator('.monaco-button', { hasText: /^Promote$/ }).first().click();
      await view.locator('#status.done', { hasText: 'churn v2 is now @champion' }).waitFor({ timeout: 30_000 });
      await rows.filter({ hasText: 'churn' }).filter({ hasText: '@champion v2' }).first().waitFor({ timeout: 20_000 });
      const audit = readFileSync(join(regWs, '.mlsight', 'audit.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l));
      const last = audit.at(-1);
      if (last.action !== 'promote' || last.to !== '2' || last.evidence.ab.verdict !== 'promote' || last.reason !== 'wins offline and in the A/B test') { throw new Error(JSON.stringify(last).slice(0, 300)); }
      if (dialogs.length) { throw new Error(`alert() ran: ${dialogs}`); }
      return `${question.slice(0, 60)} → audit event by ${last.actor}`;
    });
    await screenshot(page, 'ui-promote-done-dark');
  });
  // END BLOCK
} catch (e) {
  checks.fail('ui harness', e);
} finally {
  for (const c of cleanup.reverse()) { await c(); }
}
console.log(`${checks.passed} passed, ${checks.failed} failed`);
process.exit(checks.failed ? 1 : 0);
