import axe from 'axe-core';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { newPage, type WebServer } from './browser.js';

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
export type Viewport = (typeof VIEWPORTS)[number];

/** A fresh browser at `viewport`, allowed to use the clipboard, logged in as `actor` when given. */
export async function pageAt(browser: Browser, server: WebServer, viewport: Viewport, errors: string[], actor?: Actor): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  if (actor) await context.addCookies([{ name: 'tessera_session', value: actor.auth.cookie ?? '', url: server.url }]);
  return newPage(context, errors);
}

/** The page as axe-core sees it: no serious or critical violation of WCAG rules. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  // Evaluated rather than added as a <script>: the app's CSP rightly refuses inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      rules: { 'label-content-name-mismatch': { enabled: true } },
    });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  expect(violations, `accessibility of ${where}`).toEqual([]);
}

/** The page fits its width: nothing scrolls the whole page sideways (a table may scroll in its own box). */
export async function expectNoSidewaysScroll(page: Page, where: string): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `sideways scroll of ${where}`).toBeLessThanOrEqual(0);
}

/** Both checks, for every state of a page a test reaches. */
export async function expectUsable(page: Page, where: string): Promise<void> {
  await expectNoSidewaysScroll(page, where);
  await expectAccessible(page, where);
}
