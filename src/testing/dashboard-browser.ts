// For the dashboard's tests: Debian's Chromium through playwright-core (as the report test drives
// it), a page that records every URL it asks for and every console error (a CSP refusal is one),
// and the login a person does: the key typed into the form.
import { existsSync } from 'node:fs';
import * as assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.PRAETOR_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface WatchedPage {
  readonly page: Page;
  readonly requests: string[];
  readonly consoleErrors: string[];
}

export async function launchBrowser(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install Debian's chromium (scripts/quickstart.sh test does) or set PRAETOR_CHROMIUM`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

export async function openPage(browser: Browser, width = 1280, height = 800): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(err.message));
  return { page, requests, consoleErrors };
}

/**
 * Opens /ui/ and logs in with `key` through the form, as a person would. The page's first question
 * (who am I?) is answered 401 before the login, which Chromium logs as a console error: that one
 * is checked and dropped.
 */
export async function login(w: WatchedPage, base: string, key: string): Promise<void> {
  const { page } = w;
  await page.goto(`${base}/ui/`, { waitUntil: 'load' });
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('header nav').waitFor({ timeout: 10_000 });
  const before = w.consoleErrors.splice(0);
  assert.ok(before.every((m) => m.includes('401')), `console errors before login: ${before.join('; ')}`);
}

/** Every request the page made went to `base` (or was a data: URL). */
export function onlyTo(base: string, requests: readonly string[]): string[] {
  return requests.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('data:'));
}
