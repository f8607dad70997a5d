import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshot, startWebServer } from './browser.js';

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000100000001008020000009091683600000017494441547801636060f8cfc0c0f09f8181e13f0303c37f0600441f0b1d7a3a6b0c0000000049454e44ae426082',
  'hex',
);

describe('the web UI: items, annotations, processing and lineage', () => {
  let server: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Browser;
  const errors: string[] = [];
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function api(path: string, body: unknown, cookie?: string) {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie, origin: server.url } : {}) },
      body: JSON.stringify(body),
    });
    return { body: (await res.json()) as any, cookie: /tessera_session=[^;]+/.exec(res.headers.get('set-cookie') ?? '')?.[0] };
  }

  it('uploads with progress, shows thumbnails, annotates, and dedupes into a new dataset with lineage', { timeout: 120_000 }, async () => {
    const signup = await api('/auth/signup', { email: 'lin@survey.test', password: 'a long enough password', name: 'Lin' });
    const cookie = signup.cookie!;
    const org = await api('/orgs', { name: 'Survey Co' }, cookie);
    const dataset = await api(`/orgs/${org.body.id}/datasets`, { name: 'Street frames' }, cookie);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies([{ name: 'tessera_session', value: cookie.split('=')[1]!, url: server.url }]);
    const page = await newPage(context, errors);
    await page.goto(`${server.url}/datasets/${dataset.body.id}`);
    await page.getByRole('heading', { name: 'Street frames', exact: true }).waitFor();

    await page.getByLabel('Upload files').setInputFiles([
      { name: 'frame-1.png', mimeType: 'image/png', buffer: PNG },
      { name: 'frame-1-copy.png', mimeType: 'image/png', buffer: PNG },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('shot on a cloudy day') },
    ]);
    await page.getByRole('button', { name: 'Open notes.txt' }).waitFor();
    await expect.poll(() => page.locator('.tile img').count()).toBe(2);
    await expect
      .poll(() =>
        page
          .locator('.tile img')
          .first()
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
      )
      .toBe(16);

    await page.getByLabel('New layer').fill('Vehicles');
    await page.getByRole('button', { name: 'Create layer' }).click();
    await page.getByText('Vehicles (0 annotations)').waitFor();
    await page.getByRole('button', { name: 'Open frame-1.png' }).click();
    await page.getByLabel('Label').fill('car');
    await page.getByRole('button', { name: 'Add annotation' }).click();
    await page.getByText('Vehicles (1 annotations)').waitFor();
    await screenshot(page, 'dataset-content');

    await page.getByRole('button', { name: 'Process' }).click();
    await page.getByLabel(/Carry sharing over/).check();
    await page.getByRole('button', { name: 'Run dedupe' }).click();
    await page.getByRole('heading', { name: 'Street frames (deduplicated)', exact: true }).waitFor();
    await expect.poll(() => page.locator('.tile').count()).toBe(2);
    const lineage = page.getByRole('region', { name: 'Projects and lineage' });
    await lineage.getByRole('link', { name: 'Street frames' }).waitFor();
    await page.getByText('Vehicles (1 annotations)').waitFor();

    expect(errors).toEqual([]);
  });
});
