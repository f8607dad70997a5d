import fs from 'node:fs';
import type { BenchResult } from './report.js';
import { type ScaleName, scaleOf } from './scale.js';

/** One line of a chart: (datasets in the world, value) points. */
interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

const WIDTH = 440;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 12, top: 34, bottom: 40 };
const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#57606a'];

const log = Math.log10;
const xmlText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function decadesAround(values: number[]): [number, number] {
  return [Math.floor(log(Math.min(...values))), Math.ceil(log(Math.max(...values)))];
}

function label(value: number): string {
  if (value >= 1e6) return `${value / 1e6}M`;
  if (value >= 1e3) return `${value / 1e3}k`;
  return String(value);
}

/** A log–log panel: how a cost grows with the size of the world. */
function panel(title: string, unit: string, series: Series[], offsetX: number): string {
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return '';
  const [x0, x1] = decadesAround(points.map((p) => p[0]));
  const [y0, y1] = decadesAround(points.map((p) => p[1]));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => offsetX + MARGIN.left + ((log(x) - x0) / Math.max(1, x1 - x0)) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - ((log(y) - y0) / Math.max(1, y1 - y0)) * plotH;
  const parts = [`<text x="${offsetX + WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">${xmlText(title)}</text>`];
  for (let d = y0; d <= y1; d += 1) {
    const y = sy(10 ** d);
    parts.push(`<line x1="${offsetX + MARGIN.left}" x2="${offsetX + WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="#d0d7de"/>`);
    parts.push(`<text x="${offsetX + MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${label(10 ** d)}</text>`);
  }
  for (let d = x0; d <= x1; d += 1) {
    const x = sx(10 ** d);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label(10 ** d)}</text>`);
  }
  parts.push(
    `<text x="${offsetX + MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">datasets in the world (log)</text>`,
    `<text transform="translate(${offsetX + 14} ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${xmlText(unit)} (log)</text>`,
  );
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const path = s.points.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    for (const [x, y] of s.points) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = MARGIN.top + 8 + i * 15;
    parts.push(
      `<line x1="${offsetX + MARGIN.left + 8}" x2="${offsetX + MARGIN.left + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<text x="${offsetX + MARGIN.left + 30}" y="${ly + 4}">${xmlText(s.name)}</text>`,
    );
  });
  return parts.join('\n');
}

function seriesOf(
  results: BenchResult[],
  name: string,
  color: string,
  value: (r: BenchResult) => number | undefined,
  dashed = false,
): Series {
  const points = results
    .map((r) => [r.world.datasets ?? 0, value(r)] as [number, number | undefined])
    .filter((p): p is [number, number] => p[1] !== undefined && p[1] > 0 && p[0] > 0)
    .sort((a, b) => a[0] - b[0]);
  return { name, color, points, ...(dashed ? { dashed } : {}) };
}

/** Reads bench JSON files (any scales, either database) and draws the growth chart as SVG. */
export function writeGrowthChart(out: string, files: string[]): void {
  const results = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as BenchResult);
  const dbs = [...new Set(results.map((r) => r.db))];
  const checks: Series[] = [];
  const pages: Series[] = [];
  dbs.forEach((db, i) => {
    const mine = results.filter((r) => r.db === db);
    checks.push(seriesOf(mine, `Tessera check, ${db}`, COLORS[i * 2]!, (r) => r.check.p50_us));
    pages.push(seriesOf(mine, `Tessera inventory, ${db}`, COLORS[i * 2]!, (r) => r.inventory.heavy_first.p50_ms));
    pages.push(seriesOf(mine, `naive inventory, ${db}`, COLORS[i * 2 + 1]!, (r) => r.peer.naive_inventory.heavy_p50_ms, true));
  });
  const casbinPoints = new Map<number, number>();
  for (const r of results) if (r.peer.casbin) casbinPoints.set(casbinDatasets(r.peer.casbin.scale), r.peer.casbin.check_p50_us);
  checks.push({ name: 'casbin enforce()', color: COLORS[5]!, dashed: true, points: [...casbinPoints].sort((a, b) => a[0] - b[0]) });
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH * 2}" height="${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel('Permission check, p50', 'µs', checks, 0),
    panel('Inventory first page, heavy user, p50', 'ms', pages, WIDTH),
    '</svg>',
  ].join('\n');
  fs.writeFileSync(out, `${svg}\n`);
}

/** casbin may have run at a smaller scale than the run it belongs to. */
function casbinDatasets(scale: ScaleName): number {
  return scaleOf(scale).datasets;
}
