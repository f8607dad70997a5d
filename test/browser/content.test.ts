import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { browserSuite, pageAs, screenshot } from './browser.js';
import { expectUsable } from './page-checks.js';

/** A small landscape-like PNG (sky over ground, a sun at `sun`), so thumbnails look like frames. */
function framePng(sky: [number, number, number], ground: [number, number, number], sun: number): Buffer {
  const width = 96;
  const height = 64;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const inSun = (x - sun) ** 2 + (y - 16) ** 2 < 64;
      const base = y < 40 ? sky : ground;
      const shade = y < 40 ? 1 - y / 120 : 1 - (y - 40) / 80;
      const [r, g, b] = inSun ? [255, 214, 102] : base.map((c) => Math.round(c * shade));
      row.set([r!, g!, b!], 1 + x * 3);
    }
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const DAWN = framePng([120, 160, 230], [70, 130, 80], 20);
const NOON = framePng([90, 170, 250], [150, 130, 90], 50);
const DUSK = framePng([220, 130, 110], [60, 80, 70], 78);

describe('the web UI: items, annotations, processing and lineage', () => {
  const suite = browserSuite();

  it('uploads with progress, shows thumbnails, annotates, and dedupes into a new dataset with lineage', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const lin = await server.person('Lin Wei', 'lin@survey.test');
    const org = await lin.post('/api/v1/orgs', { name: 'Survey Co' });
    const dataset = await lin.post(`/api/v1/orgs/${org.body.id}/datasets`, { name: 'Street frames' });

    const page = await pageAs(browser, server, lin, errors);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${server.url}/datasets/${dataset.body.id}`);
    await page.getByRole('heading', { name: 'Street frames', exact: true }).waitFor();

    await page.getByLabel('Upload files').setInputFiles([
      { name: 'frame-1.png', mimeType: 'image/png', buffer: DAWN },
      { name: 'frame-1-copy.png', mimeType: 'image/png', buffer: DAWN },
      { name: 'frame-2.png', mimeType: 'image/png', buffer: NOON },
      { name: 'frame-3.png', mimeType: 'image/png', buffer: DUSK },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('shot on a cloudy day') },
    ]);
    await page.getByRole('button', { name: 'Open notes.txt' }).waitFor();
    await expect.poll(() => page.locator('.tile img').count()).toBe(4);
    await expect
      .poll(() =>
        page
          .locator('.tile img')
          .first()
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
      )
      .toBe(96);

    await page.getByLabel('New layer').fill('Vehicles');
    await page.getByRole('button', { name: 'Create layer' }).click();
    await page.getByText('Vehicles (0 annotations)').waitFor();
    await page.getByRole('button', { name: 'Open frame-1.png' }).click();
    await page.getByLabel('Label').fill('car');
    await page.getByRole('button', { name: 'Add annotation' }).click();
    await page.getByText('Vehicles (1 annotation)').waitFor();
    // Image and file tiles, an item open, a layer with an annotation.
    await expectUsable(page, 'a dataset with items');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Open notes.txt' }).waitFor();
    await expectUsable(page, 'a dataset with items, at phone width');
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'dataset-content');

    await page.getByRole('button', { name: 'Process' }).click();
    await page.getByLabel(/Carry sharing over/).check();
    await page.getByRole('button', { name: 'Run dedupe' }).click();
    await page.getByRole('heading', { name: 'Street frames (deduplicated)', exact: true }).waitFor();
    await expect.poll(() => page.locator('.tile').count()).toBe(4);
    const lineage = page.getByRole('region', { name: 'Projects and lineage' });
    await lineage.getByRole('link', { name: 'Street frames' }).waitFor();
    await page.getByText('Vehicles (1 annotation)').waitFor();

    // The dialog's work is over: it closed, and the new dataset says what it is and where it came from.
    expect(await page.getByRole('dialog').count()).toBe(0);
    await page.getByRole('status').getByText('Done: this is the deduplicated copy of “Street frames”.').waitFor();
    await page.locator('.details').getByRole('link', { name: '“Street frames”' }).waitFor();
    // Two runs of one pipeline share a name; the inventory tells them apart by lineage.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await page
      .getByRole('row', { name: /Street frames \(deduplicated\)/ })
      .getByText(/^from Street frames, /)
      .waitFor();

    expect(errors).toEqual([]);
  });
});
