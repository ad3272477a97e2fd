import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FLAME_LAYOUT, flameGraphSvg, frameLabel, frameTree, selfTimes, type CpuProfile, type CpuProfileNode } from '../../bench/lib/flame-svg';

const cf = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/**
 * (root) -> (program) 2 samples, (garbage collector) 3, (idle) 50,
 *           main -> parse (call site 1) 10 -> scan 5
 *                -> parse (call site 2) 4
 *                -> write 6
 */
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: cf('(root)'), hitCount: 0, children: [2, 3, 4, 5] },
    { id: 2, callFrame: cf('(program)'), hitCount: 2 },
    { id: 3, callFrame: cf('(garbage collector)'), hitCount: 3 },
    { id: 4, callFrame: cf('(idle)'), hitCount: 50 },
    { id: 5, callFrame: cf('main', 'file:///repo/dist/agent/cli/main.js', 9), hitCount: 1, children: [6, 7, 9] },
    { id: 6, callFrame: cf('parse', 'file:///repo/dist/agent/http/head.js', 40), hitCount: 10, children: [8] },
    { id: 7, callFrame: cf('parse', 'file:///repo/dist/agent/http/head.js', 40), hitCount: 4 },
    { id: 8, callFrame: cf('scan', 'file:///repo/dist/agent/http/block-scanner.js', 3), hitCount: 5 },
    { id: 9, callFrame: cf('write', 'node:net', 99), hitCount: 6 },
  ] satisfies CpuProfileNode[],
};

describe('flame graph of a V8 CPU profile', () => {
  test('labels: paths relative to the compiled tree, 1-based lines, V8 entries by name', () => {
    assert.equal(frameLabel(cf('parse', 'file:///repo/dist/agent/http/head.js', 40)), 'parse agent/http/head.js:41');
    assert.equal(frameLabel(cf('', 'node:net', 0)), '(anonymous) node:net:1');
    assert.equal(frameLabel(cf('encode', '/x/node_modules/yaml/dist/index.js', 4)), 'encode yaml/dist/index.js:5');
    assert.equal(frameLabel(cf('(garbage collector)')), '(garbage collector)');
  });

  test('tree: call sites of one function merged, idle left out, totals are self plus callees', () => {
    const root = frameTree(PROFILE);
    assert.equal(root.total, 31); // 2 + 3 + 1 + 10 + 4 + 5 + 6; the 50 idle samples are not busy time
    assert.deepEqual(root.children.map((c) => [c.label, c.total]), [
      ['main agent/cli/main.js:10', 26],
      ['(garbage collector)', 3],
      ['(program)', 2],
    ]);
    const main = root.children[0]!;
    assert.deepEqual(main.children.map((c) => [c.label, c.self, c.total]), [
      ['parse agent/http/head.js:41', 14, 19],
      ['write node:net:100', 6, 6],
    ]);
    assert.deepEqual(main.children[0]!.children.map((c) => [c.label, c.total]), [['scan agent/http/block-scanner.js:4', 5]]);
  });

  test('self times: largest first, shares of the busy samples', () => {
    const top = selfTimes(frameTree(PROFILE));
    assert.deepEqual(top.map((t) => [t.label, t.samples]), [
      ['parse agent/http/head.js:41', 14],
      ['write node:net:100', 6],
      ['scan agent/http/block-scanner.js:4', 5],
      ['(garbage collector)', 3],
      ['(program)', 2],
      ['main agent/cli/main.js:10', 1],
    ]);
    assert.equal(top[0]!.share, 14 / 31);
    assert.equal(top.reduce((s, t) => s + t.samples, 0), 31);
  });

  test('SVG: one box per frame, widths in proportion, callers below callees, labels escaped and fitted', () => {
    const svg = flameGraphSvg(frameTree(PROFILE), { title: 'a <b> & c' });
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.includes('>a &lt;b&gt; &amp; c</text>'));
    const rects = [...svg.matchAll(/<rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)].map((m) => ({ x: +m[1]!, y: +m[2]!, w: +m[3]! }));
    assert.equal(rects.length, 7); // all, main, parse, scan, write, GC, program
    const plot = FLAME_LAYOUT.width - 2 * FLAME_LAYOUT.side;
    const [all, main, parse, scan] = rects;
    assert.equal(all!.w, plot);
    assert.ok(Math.abs(main!.w - (plot * 26) / 31) < 0.01);
    assert.ok(Math.abs(parse!.w - (plot * 19) / 31) < 0.01);
    assert.ok(Math.abs(scan!.w - (plot * 5) / 31) < 0.01);
    // Depth goes up the image: each callee's row is one row above its caller's.
    assert.equal(all!.y - main!.y, FLAME_LAYOUT.rowHeight);
    assert.equal(main!.y - parse!.y, FLAME_LAYOUT.rowHeight);
    assert.equal(parse!.x, main!.x);
    assert.match(svg, /<title>parse agent\/http\/head\.js:41: 19 samples, 61\.29 % \(self 14\)<\/title>/);
    for (const m of svg.matchAll(/<text x="([\d.]+)" y="\d+">([^<]*)<\/text>/g)) {
      assert.ok(m[2]!.length * FLAME_LAYOUT.charWidth <= plot, `label ${m[2]} fits`);
    }
  });

  test('boxes too narrow to see are left out, and an empty profile still renders', () => {
    const wide: CpuProfile = {
      nodes: [
        { id: 1, callFrame: cf('(root)'), children: [2, 3] },
        { id: 2, callFrame: cf('big', '/a.js'), hitCount: 100_000 },
        { id: 3, callFrame: cf('tiny', '/b.js'), hitCount: 1 },
      ],
    };
    const svg = flameGraphSvg(frameTree(wide), { title: 't' });
    assert.ok(svg.includes('big /a.js:1'));
    assert.ok(!svg.includes('tiny'));
    const empty = flameGraphSvg(frameTree({ nodes: [{ id: 1, callFrame: cf('(root)') }] }), { title: 'none' });
    assert.ok(empty.includes('</svg>'));
  });
});
