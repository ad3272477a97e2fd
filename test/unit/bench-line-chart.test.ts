import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LINE_LAYOUT, lineChartSvg, niceTicks } from '../../bench/lib/chart-line-svg';
import { escapeXml } from '../../bench/lib/svg-text';

describe('niceTicks', () => {
  test('steps of 1, 2 or 5 times a power of ten covering the range', () => {
    assert.deepEqual(niceTicks(0, 10), { values: [0, 2, 4, 6, 8, 10], decimals: 0 });
    assert.deepEqual(niceTicks(0, 137), { values: [0, 50, 100, 150], decimals: 0 });
    assert.deepEqual(niceTicks(0, 1), { values: [0, 0.2, 0.4, 0.6, 0.8, 1], decimals: 1 });
    assert.deepEqual(niceTicks(12.3, 17.9), { values: [12, 14, 16, 18], decimals: 0 });
  });

  test('tick values print exactly (no 0.30000000000000004)', () => {
    const { values, decimals } = niceTicks(0.1, 0.3);
    assert.deepEqual(values, [0.1, 0.15, 0.2, 0.25, 0.3]);
    assert.equal(decimals, 2);
  });

  test('an empty range is widened around the value', () => {
    assert.deepEqual(niceTicks(0, 0).values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(5, 5).values, [2, 3, 4, 5, 6, 7, 8]);
  });

  test('rejects a reversed or non-finite range', () => {
    assert.throws(() => niceTicks(2, 1), RangeError);
    assert.throws(() => niceTicks(0, Number.NaN), RangeError);
    assert.throws(() => niceTicks(-Infinity, 0), RangeError);
  });
});

describe('lineChartSvg', () => {
  const { width, left, right, top, panelHeight, gap, bottom } = LINE_LAYOUT;
  const plotRight = width - right; // 736

  test('exact coordinates: x from 0 to the last second, y from 0 to the nice maximum', () => {
    const svg = lineChartSvg({ title: 't', panels: [{ label: 'RSS (MiB)', points: [[0, 0], [5, 50], [10, 100]] }] });
    // x ticks 0..10 over [80, 736]; y ticks 0..100 (step 20) over [228, 48].
    assert.equal(left, 80);
    assert.equal(plotRight, 736);
    assert.match(svg, /<polyline [^>]*points="80,228 408,138 736,48"\/>/);
    assert.match(svg, new RegExp(`height="${top + panelHeight + bottom}"`));
    for (const [label, y] of [['0', 232], ['20', 196], ['100', 52]] as const) {
      assert.ok(svg.includes(`<text x="74" y="${y}" text-anchor="end" fill="#1f2d3d">${label}</text>`), `y tick ${label}`);
    }
    assert.ok(svg.includes('<text x="736" y="245" text-anchor="middle" fill="#1f2d3d">10</text>'));
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="760" height="284"'));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
  });

  test('stacked panels share the x axis and have their own y axes', () => {
    const svg = lineChartSvg({
      title: 'soak',
      panels: [
        { label: 'RSS (MiB)', points: [[0, 100], [20, 200]] },
        { label: 'lag p99 (ms)', points: [[0, 10], [10, 20]] },
      ],
    });
    assert.ok(svg.includes(`height="${top + 2 * panelHeight + gap + bottom}"`)); // 504
    // Panel 1: x 0..20 (step 5), y 0..200 (step 50): (20, 200) -> (736, 48).
    assert.match(svg, /points="80,138 736,48"/);
    // Panel 2 spans y 268..448; x = 10 s is half way; y 0..20 (step 5): (10, 20) -> (408, 268).
    assert.match(svg, /points="80,358 408,268"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 2);
    assert.ok(svg.includes('transform="rotate(-90 18 358)"'));
  });

  test('fromZero: false fits the y axis to the data', () => {
    const svg = lineChartSvg({ title: 't', panels: [{ label: 'y', points: [[0, 120], [10, 130]], fromZero: false }] });
    // y ticks 120..130 (step 2): 120 -> 228, 130 -> 48.
    assert.match(svg, /points="80,228 736,48"/);
  });

  test('escapes the title and labels', () => {
    const svg = lineChartSvg({ title: '<RSS & "lag">', xLabel: "it's s", panels: [{ label: 'a<b', points: [[0, 1], [1, 2]] }] });
    assert.ok(svg.includes('&lt;RSS &amp; &quot;lag&quot;&gt;'));
    assert.ok(svg.includes('it&#39;s s'));
    assert.ok(svg.includes('>a&lt;b</text>'));
    assert.ok(!svg.includes('<RSS'));
    assert.equal(escapeXml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });

  test('an empty series draws its axes and says so', () => {
    const svg = lineChartSvg({ title: 't', panels: [{ label: 'y', points: [] }] });
    assert.ok(svg.includes('>no data</text>'));
    assert.ok(!svg.includes('<polyline'));
    assert.ok(!svg.includes('<circle'));
    // x axis 0..1 by default.
    assert.ok(svg.includes('<text x="736" y="245" text-anchor="middle" fill="#1f2d3d">1.0</text>'));
  });

  test('one point is a dot', () => {
    const svg = lineChartSvg({ title: 't', panels: [{ label: 'y', points: [[4, 2]] }] });
    // x 0..4, y 0..2: the point is the top right corner.
    assert.ok(svg.includes('<circle cx="736" cy="48" r="3" fill="#4c78a8"/>'));
    assert.ok(!svg.includes('<polyline'));
  });

  test('points with a non-finite coordinate are left out', () => {
    const svg = lineChartSvg({ title: 't', panels: [{ label: 'y', points: [[0, 0], [Number.NaN, 5], [5, Number.NaN], [10, 10]] }] });
    assert.match(svg, /points="80,228 736,48"/);
  });

  test('needs a panel', () => {
    assert.throws(() => lineChartSvg({ title: 't', panels: [] }), RangeError);
  });

  test('the same data gives the same text', () => {
    const o = { title: 't', panels: [{ label: 'y', points: [[0, 1.23456], [3.3333, 7.777]] as [number, number][] }] };
    assert.equal(lineChartSvg(o), lineChartSvg(o));
  });
});
