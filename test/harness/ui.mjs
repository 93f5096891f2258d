// Small helpers for driving the VS Code workbench like a person (playwright-core + Debian Chromium).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './codeServer.mjs';

export const SHOTS = join(ROOT, 'test-results');
mkdirSync(SHOTS, { recursive: true });

/** Records named checks; prints "ok"/"FAIL" lines and the final "N passed, N failed". */
export class Checks {
  results = [];
  async check(name, fn) {
    const t = Date.now();
    try {
      const detail = await fn();
      this.results.push({ name, ok: true });
      console.log(`  ok   ${name} (${Date.now() - t} ms)${detail ? ` -> ${detail}` : ''}`);
    } catch (e) {
      this.results.push({ name, ok: false, error: String(e?.message ?? e) });
      console.log(
        `  FAIL ${name}: ${String(e?.message ?? e)
          .split('\n')
          .slice(0, 4)
          .join(' | ')}`,
      );
    }
  }
  fail(name, e) {
    this.results.push({ name, ok: false, error: String(e?.message ?? e) });
    console.log(`  FAIL ${name}: ${e?.stack ?? e}`);
  }
  get failed() {
    return this.results.filter(r => !r.ok).length;
  }
  get passed() {
    return this.results.filter(r => r.ok).length;
  }
}

export async function openWorkbench(browser, url, { viewport = { width: 1400, height: 860 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('pageerror', e => {
    if (process.env.VERBOSE) {
      console.error('[pageerror]', e.message);
    }
  });
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  return page;
}

export async function runCommand(page, title) {
  // keys typed while a webview has focus go to the webview: give the workbench the focus first
  await page
    .locator('.part.titlebar')
    .first()
    .click({ position: { x: 300, y: 10 } })
    .catch(() => {});
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

export async function openActivityContainer(page, title) {
  const item = page
    .locator(`.activitybar .action-item a[aria-label^="${title}"], .activitybar .action-item[aria-label^="${title}"]`)
    .first();
  await item.waitFor({ timeout: 30_000 });
  // clicking an already-open container closes it; only click when its view is not showing
  const open = await page
    .locator('.sidebar .composite.title', { hasText: title.toUpperCase() })
    .count()
    .catch(() => 0);
  if (!open) {
    await item.click();
  }
}

export const screenshot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

/** Clicks a view's title-bar action (they only show while the view header is hovered or focused). */
export async function clickViewAction(page, viewTitle, actionLabel) {
  const header = page.locator('.sidebar .pane-header', { hasText: viewTitle }).first();
  await header.hover();
  const action = header.locator(`.action-label[aria-label="${actionLabel}"]`).first();
  await action.waitFor({ timeout: 10_000 });
  await action.click();
}

/** Picks a colour theme through "Preferences: Color Theme". */
export async function setColorTheme(page, name) {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}
