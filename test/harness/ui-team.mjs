// UI checks of team mode (called by run-ui-tests.mjs in its own VS Code session): `mlsight.tracking.uri` points at
// an MLflow SQLite file made with the CLI (`db init` + `sync` of two runs); the Runs view shows the Team root, a team
// run and a local run selected together open in the one Compare panel (screenshot ui-compare-team-local), and
// a team run opens in the run page; a team model (registered in the file as MLflow's registry writes it, promoted with
// `mlsight registry promote`) opens in the model page from the Models view (screenshot ui-model-team).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import initSqlJs from 'sql.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './codeServer.mjs';
import { clickViewAction, openActivityContainer, runCommand, screenshot } from './ui.mjs';

const T0 = 1_796_000_000_000;

async function teamDatabase(dir) {
  const runs = join(dir, 'shared-from');
  const log = (id, name, depth, auc, shift) => {
    mkdirSync(join(runs, '.mlsight', 'runs', id), { recursive: true });
    const lines = [
      { type: 'run', ts: T0, run_id: id, experiment: 'churn-team', name },
      { type: 'param', key: 'model', value: 'XGBClassifier' },
      { type: 'param', key: 'max_depth', value: depth },
      // one test set for both (the promotion gate compares versions evaluated on the same data)
      { type: 'dataset', name: 'test', role: 'test', digest: 'sha256:' + 'cd'.repeat(32), rows: 500 },
      ...Array.from({ length: 60 }, (_, i) => ({
        type: 'metric',
        key: 'train/loss',
        value: 1.2 * Math.exp(-i / (12 + shift)) + 0.05,
        step: i,
        ts: T0 + i * 1000,
      })),
      ...Array.from({ length: 60 }, (_, i) => ({
        type: 'metric',
        key: 'val/accuracy',
        value: auc - 0.3 * Math.exp(-i / 10),
        step: i,
        ts: T0 + i * 1000,
      })),
      { type: 'end', ts: T0 + 90_000, status: 'FINISHED' },
    ];
    writeFileSync(
      join(runs, '.mlsight', 'runs', id, 'events.jsonl'),
      lines.map(l => JSON.stringify(l)).join('\n') + '\n',
    );
  };
  log('0123456789abcdef0123456789abcdef', 'team-xgb-d4', 4, 0.91, 0);
  log('fedcba9876543210fedcba9876543210', 'team-xgb-d8', 8, 0.93, 6);
  const file = join(dir, 'mlflow.db');
  const uri = `sqlite:///${file}`;
  const cli = join(ROOT, 'dist', 'cli.js');
  execFileSync(process.execPath, [cli, 'db', 'init', '--tracking-uri', uri, '--artifact-root', join(dir, 'art')]);
  execFileSync(process.execPath, [cli, 'sync', runs, '--tracking-uri', uri]);
  // a registered model with two versions (the two runs), as MLflow's registry writes it, @champion on v1
  const SQL = await initSqlJs();
  const db = new SQL.Database(readFileSync(file));
  db.exec(`INSERT INTO registered_models VALUES ('churn-team-model', 1, 1, 'the team''s churn model');
    INSERT INTO registered_model_tags VALUES ('mlsight.primary_metric', 'val/accuracy', 'churn-team-model');
    INSERT INTO model_versions (name, version, creation_time, last_updated_time, current_stage, source, run_id, status)
      VALUES ('churn-team-model', 1, ${T0}, ${T0}, 'None', 'runs:/0123456789abcdef0123456789abcdef/model',
              '0123456789abcdef0123456789abcdef', 'READY'),
             ('churn-team-model', 2, ${T0 + 1000}, ${T0 + 1000}, 'None', 'runs:/fedcba9876543210fedcba9876543210/model',
              'fedcba9876543210fedcba9876543210', 'READY');
    INSERT INTO registered_model_aliases VALUES ('champion', 1, 'churn-team-model');`);
  writeFileSync(file, db.export());
  db.close();
  // promoted through the gate (an audit tag on v2 in MLflow's tables), then @staging set (another audit tag)
  const registry = (...args) => execFileSync(process.execPath, [cli, 'registry', ...args, '--tracking-uri', uri]);
  registry('promote', 'churn-team-model', '2', '--alias', 'champion', '--reason', 'higher val/accuracy');
  return uri;
}

export async function teamUiChecks({ withVsCode, checks, cleanup }) {
  const ws = mkdtempSync(join(tmpdir(), 'mlsight-ui-team-'));
  const teamDir = mkdtempSync(join(tmpdir(), 'mlsight-ui-teamdb-'));
  cleanup.push(() => rmSync(ws, { recursive: true, force: true }));
  cleanup.push(() => rmSync(teamDir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/workspace'), ws, { recursive: true });
  const uri = await teamDatabase(teamDir);
  await withVsCode(
    { workspace: ws, settings: { 'workbench.colorTheme': 'Default Dark Modern', 'mlsight.tracking.uri': uri } },
    async page => {
      const rows = page.locator('.sidebar .monaco-list-row');
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await openActivityContainer(page, 'ML Sight');
      await checks.check('team: the Runs view has a Team root with the team experiment and its runs', async () => {
        await rows.filter({ hasText: 'baseline' }).first().waitFor({ timeout: 30_000 });
        await rows
          .filter({ hasText: /^\s*Team/ })
          .first()
          .click();
        await rows.filter({ hasText: 'churn-team' }).first().click();
        await rows.filter({ hasText: 'team-xgb-d8' }).first().waitFor({ timeout: 20_000 });
        return (await rows.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim()).join(' | ');
      });
      await checks.check('team: a team run and a local run compare in the one Compare panel', async () => {
        await rows.filter({ hasText: 'baseline' }).first().click();
        await rows
          .filter({ hasText: 'team-xgb-d8' })
          .first()
          .click({ modifiers: ['Control'] });
        await clickViewAction(page, 'Runs', 'Compare Runs…');
        await page.locator('.tabs-container .tab', { hasText: 'Compare 2 Runs' }).waitFor({ timeout: 20_000 });
        await view.locator('#compare-table').waitFor({ timeout: 30_000 });
        const chips = await view.locator('.run-chip').allInnerTexts();
        if (!chips.some(c => c.includes('team-xgb-d8')) || !chips.some(c => c.includes('baseline'))) {
          throw new Error(`run chips: ${JSON.stringify(chips)}`);
        }
        const keys = await view.locator('#compare-table tbody tr[data-key] th').allInnerTexts();
        if (!keys.includes('max_depth')) {
          throw new Error(`no max_depth row: ${JSON.stringify(keys)}`);
        }
        const n = await view.locator('.chart-card[data-metric="train/loss"] canvas').count();
        if (!n) {
          throw new Error('no train/loss chart');
        }
        return `${chips.length} runs; rows ${JSON.stringify(keys)}`;
      });
      await page.waitForTimeout(800);
      await screenshot(page, 'ui-compare-team-local');
      await checks.check('team: a team run opens in the run page', async () => {
        await runCommand(page, 'View: Close All Editors');
        await rows.filter({ hasText: 'team-xgb-d4' }).first().click();
        await page.locator('.tabs-container .tab', { hasText: 'Run team-xgb-d4' }).waitFor({ timeout: 20_000 });
        await view.locator('h1', { hasText: 'team-xgb-d4' }).waitFor({ timeout: 20_000 });
        const metrics = await view.locator('#metrics tbody tr').allInnerTexts();
        if (!metrics.some(t => t.includes('val/accuracy'))) {
          throw new Error(JSON.stringify(metrics));
        }
        return `${metrics.length} metrics`;
      });
      await screenshot(page, 'ui-run-team');
      await checks.check(
        'team: a team model opens in the model page with its versions, aliases and audit',
        async () => {
          await runCommand(page, 'View: Close All Editors');
          const header = page.locator('.sidebar .pane-header', { hasText: 'Models' }).first();
          if ((await header.getAttribute('aria-expanded')) === 'false') {
            await header.click();
          }
          const teamRoots = rows.filter({ hasText: /^\s*Team/ });
          await teamRoots.last().waitFor({ timeout: 20_000 });
          await teamRoots.last().click();
          const model = rows.filter({ hasText: 'churn-team-model' }).first();
          await model.waitFor({ timeout: 20_000 });
          await model.click();
          await page
            .locator('.tabs-container .tab', { hasText: 'Model churn-team-model · team' })
            .waitFor({ timeout: 20_000 });
          const timeline = view.locator('#timeline');
          await timeline.waitFor({ timeout: 30_000 });
          const text = (await timeline.innerText()).replace(/\s+/g, ' ');
          for (const want of ['v2', '@champion', 'team-xgb-d8', 'v1', 'team-xgb-d4']) {
            if (!text.includes(want)) {
              throw new Error(`no "${want}" in ${text.slice(0, 300)}`);
            }
          }
          const header2 = (await view.locator('#canary').innerText()).replace(/\s+/g, ' ');
          if (!/outcome logs/.test(header2) || /Configure Canary/.test(header2) || !/Set Alias/.test(header2)) {
            throw new Error(`actions: ${header2}`);
          }
          const recent = (await view.locator('#recent').innerText()).replace(/\s+/g, ' ');
          if (!/promote/.test(recent) || !/higher val\/accuracy/.test(recent)) {
            throw new Error(`recent changes: ${recent}`);
          }
          return `${text.slice(0, 120)} | ${recent.slice(0, 120)}`;
        },
      );
      await page.waitForTimeout(600);
      await screenshot(page, 'ui-model-team');
    },
  );
}
