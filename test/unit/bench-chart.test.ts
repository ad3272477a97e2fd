import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LAYOUT, ratioChartSvg, type ChartBar } from '../../bench/lib/chart-svg';
import { escapeXml } from '../../bench/lib/svg-text';
import { roundsRatioChart } from '../../bench/lib/alternation';
import { writeChart } from '../../bench/lib/report';

const BARS: ChartBar[] = [
  { label: 'empty BPF', min: 0.96, median: 0.99, max: 1.02 },
  { label: 'copy floor (C)', min: 0.9, median: 0.93, max: 0.95 },
  { label: 'socktap', min: 0.5, median: 0.55, max: 0.6 },
];

/** Every `<tag class="name" ...>` element of `svg` with the given class, as attribute maps. */
function elements(svg: string, cls: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of svg.matchAll(new RegExp(`<(\\w+) class="${cls}"([^>]*)>`, 'g'))) {
    const attrs: Record<string, string> = { tag: m[1] };
    for (const a of m[2].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    out.push(attrs);
  }
  return out;
}

/** The text content of every `<text class="name">`. */
function texts(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<text class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
}

const plotWidth = LAYOUT.width - LAYOUT.left - LAYOUT.right;
/** x of value v on a 0..1 axis. */
const x01 = (v: number) => LAYOUT.left + v * plotWidth;

describe('ratioChartSvg', () => {
  test('one bar, one whisker, two caps, one label and one median value per series; a target line; ticks per step', () => {
    const svg = ratioChartSvg(BARS, { title: 't', axisMax: 1.1, target: { value: 0.9, label: 'target 0.90x' } });
    assert.equal(elements(svg, 'bar').length, 3);
    assert.equal(elements(svg, 'whisker').length, 3);
    assert.equal(elements(svg, 'cap').length, 6);
    assert.deepEqual(texts(svg, 'label'), ['empty BPF', 'copy floor (C)', 'socktap']);
    assert.deepEqual(texts(svg, 'value'), ['0.99x', '0.93x', '0.55x']);
    assert.equal(elements(svg, 'target').length, 1);
    assert.deepEqual(texts(svg, 'target-label'), ['target 0.90x']);
    // 0, 0.1, ..., 1.1: twelve ticks, no floating-point drift dropping the last one.
    assert.deepEqual(texts(svg, 'tick'), ['0.0x', '0.1x', '0.2x', '0.3x', '0.4x', '0.5x', '0.6x', '0.7x', '0.8x', '0.9x', '1.0x', '1.1x']);
    assert.equal(elements(svg, 'grid').length, 12);
    assert.equal((svg.match(/<svg /g) ?? []).length, 1);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
  });

  test('no target, no axis label: neither element', () => {
    const svg = ratioChartSvg(BARS, { title: 't' });
    assert.equal(elements(svg, 'target').length, 0);
    assert.equal(elements(svg, 'target-label').length, 0);
    assert.equal(elements(svg, 'axis-label').length, 0);
  });

  test('coordinates of known data on a 0..1 axis', () => {
    const svg = ratioChartSvg([{ label: 'a', min: 0.25, median: 0.5, max: 0.75 }], { title: 't', axisMax: 1, tickStep: 0.5, target: { value: 0.9, label: 'x' } });
    const [bar] = elements(svg, 'bar');
    const y = LAYOUT.top + LAYOUT.gap;
    assert.equal(Number(bar.x), LAYOUT.left);
    assert.equal(Number(bar.width), plotWidth / 2);
    assert.equal(Number(bar.y), y);
    assert.equal(Number(bar.height), LAYOUT.barHeight);
    const [w] = elements(svg, 'whisker');
    assert.equal(Number(w.x1), x01(0.25));
    assert.equal(Number(w.x2), x01(0.75));
    assert.equal(Number(w.y1), y + LAYOUT.barHeight / 2);
    assert.deepEqual(elements(svg, 'cap').map((c) => Number(c.x1)), [x01(0.25), x01(0.75)]);
    const [t] = elements(svg, 'target');
    assert.equal(Number(t.x1), Math.round(x01(0.9) * 10) / 10);
    assert.deepEqual(elements(svg, 'tick').map((e) => Number(e.x)), [x01(0), x01(0.5), x01(1)]);
    // The median's label sits right of the whisker's end.
    assert.equal(Number(elements(svg, 'value')[0].x), x01(0.75) + 6);
    const height = LAYOUT.top + (LAYOUT.barHeight + 2 * LAYOUT.gap) + LAYOUT.bottom;
    assert.match(svg, new RegExp(`<svg [^>]*height="${height}" viewBox="0 0 ${LAYOUT.width} ${height}"`));
  });

  test('values outside the axis are drawn at its ends; the label keeps the real median', () => {
    const svg = ratioChartSvg([{ label: 'a', min: -0.2, median: 1.4, max: 1.6 }], { title: 't', axisMax: 1, tickStep: 0.5, target: { value: 2, label: 'far' } });
    const [bar] = elements(svg, 'bar');
    assert.equal(Number(bar.x) + Number(bar.width), x01(1));
    const [w] = elements(svg, 'whisker');
    assert.equal(Number(w.x1), x01(0));
    assert.equal(Number(w.x2), x01(1));
    assert.equal(Number(elements(svg, 'target')[0].x1), x01(1));
    assert.deepEqual(texts(svg, 'value'), ['1.40x']);
  });

  test('labels and title are escaped', () => {
    const svg = ratioChartSvg([{ label: `<a href="x">&'`, min: 0.5, median: 0.5, max: 0.5 }], { title: 'A & B <c>', target: { value: 0.9, label: '"q"' } });
    assert.deepEqual(texts(svg, 'label'), ['&lt;a href=&quot;x&quot;&gt;&amp;&#39;']);
    assert.deepEqual(texts(svg, 'title'), ['A &amp; B &lt;c&gt;']);
    assert.deepEqual(texts(svg, 'target-label'), ['&quot;q&quot;']);
    assert.ok(!svg.includes('<a '));
    assert.equal(escapeXml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });

  test('custom formats are used for the values and the ticks', () => {
    const svg = ratioChartSvg([{ label: 'a', min: 0.5, median: 0.5, max: 0.5 }], { title: 't', axisMax: 1, tickStep: 1, format: (v) => `${Math.round(v * 100)} %`, tickFormat: (v) => `${v * 100} %` });
    assert.deepEqual(texts(svg, 'tick'), ['0 %', '100 %']);
    assert.deepEqual(texts(svg, 'value'), ['50 %']);
  });

  test('invalid input is refused with a message naming it', () => {
    assert.throws(() => ratioChartSvg(BARS, { title: 't', axisMin: 1, axisMax: 1 }), /axisMax must be greater than axisMin \(1\), got 1/);
    assert.throws(() => ratioChartSvg(BARS, { title: 't', tickStep: 0 }), /tickStep must be positive, got 0/);
    assert.throws(() => ratioChartSvg([{ label: 'n', min: 0, median: NaN, max: 1 }], { title: 't' }), /bar 'n' values must be finite numbers, got NaN/);
  });

  test('identical data gives identical text', () => {
    assert.equal(ratioChartSvg(BARS, { title: 't' }), ratioChartSvg(BARS, { title: 't' }));
  });
});

test('writeChart: the SVG beside the results file, linked relative to the document', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'socktap-chart-'));
  const md = writeChart(path.join(dir, 'bench', 'results', 'x.json'), path.join(dir, 'docs', 'benchmarks.md'), '<svg/>', 'alt text');
  assert.equal(md, '![alt text](../bench/results/x.svg)');
  assert.equal(fs.readFileSync(path.join(dir, 'bench', 'results', 'x.svg'), 'utf8'), '<svg/>');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('roundsRatioChart: one bar from the rounds summary, the target line, the axis widened past 1.1 only when needed', () => {
  const svg = roundsRatioChart('engine', { min: 0.7, median: 0.8, max: 0.85, n: 5 }, 5, 0.95);
  assert.match(svg, /over 5 rounds/);
  assert.match(svg, />engine</);
  assert.match(svg, /target 0\.95x/);
  assert.match(svg, />0\.80x</);
  assert.match(roundsRatioChart('x', { min: 1.1, median: 1.2, max: 1.26, n: 1 }, 1, 0.9), /over 1 round</);
});
