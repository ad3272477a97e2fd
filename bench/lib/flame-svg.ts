/**
 * A V8 CPU profile (`.cpuprofile`, from `node --cpu-prof` or the inspector's Profiler) as a flame
 * graph SVG and a self-time table, so the benchmarks' "where the cost goes" is an image of the
 * measured profile in the repository, not only prose. Written by hand for the reason given in
 * chart-svg.ts (the flame-graph packages render in a browser: d3, React, an HTML viewer); the
 * profile format is V8's own, read as the DevTools protocol documents it. Pure: unit-tested in
 * test/unit/bench-flame.test.ts.
 */
import { escapeXml } from './svg-text';

/** The parts of a V8 CPU profile read here (DevTools protocol `Profiler.Profile`). */
export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
}

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  /** Samples that stopped in this node itself. */
  readonly hitCount?: number;
  readonly children?: readonly number[];
}

/** One box of the graph: a function reached by one call path, siblings of one name merged. */
export interface Frame {
  readonly label: string;
  /** Samples in the function itself / in it and everything it called. */
  self: number;
  total: number;
  readonly children: Frame[];
}

/** Samples of the idle loop: time the thread was not running, left out of every figure. */
const IDLE = '(idle)';

/**
 * `name path:line` with the path relative to the compiled tree (`dist/agent/http/x.js` reads as
 * `agent/http/x.js`, a dependency from its package's name), `node:` modules as they are, and V8's own entries (`(garbage collector)`,
 * `(program)`, builtins without a script) by name alone. Lines are 1-based here (0-based in V8).
 */
export function frameLabel(cf: CpuProfileNode['callFrame']): string {
  const name = cf.functionName === '' ? '(anonymous)' : cf.functionName;
  if (cf.url === '') return name;
  const url = cf.url.replace(/^file:\/\//, '');
  const modules = url.lastIndexOf('/node_modules/');
  const dist = url.lastIndexOf('/dist/');
  const file = modules >= 0 ? url.slice(modules + '/node_modules/'.length) : dist >= 0 ? url.slice(dist + '/dist/'.length) : url;
  return `${name} ${file}:${cf.lineNumber + 1}`;
}

/**
 * The profile's call tree with siblings of the same label merged (V8 keeps one node per call
 * site) and idle samples dropped. The root's total is every sample the thread was busy.
 */
export function frameTree(p: CpuProfile): Frame {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const childIds = new Set(p.nodes.flatMap((n) => n.children ?? []));
  const build = (into: Frame, node: CpuProfileNode): void => {
    const label = frameLabel(node.callFrame);
    if (label === IDLE) return;
    let f = into.children.find((c) => c.label === label);
    if (f === undefined) {
      f = { label, self: 0, total: 0, children: [] };
      into.children.push(f);
    }
    f.self += node.hitCount ?? 0;
    for (const id of node.children ?? []) {
      const child = byId.get(id);
      if (child !== undefined) build(f, child);
    }
  };
  const root: Frame = { label: 'all', self: 0, total: 0, children: [] };
  // V8's tree has one '(root)' node; its children are the entries (the program, the GC, scripts).
  for (const n of p.nodes) {
    if (childIds.has(n.id)) continue;
    if (n.callFrame.functionName === '(root)') {
      root.self += n.hitCount ?? 0;
      for (const id of n.children ?? []) {
        const child = byId.get(id);
        if (child !== undefined) build(root, child);
      }
    } else build(root, n);
  }
  const sum = (f: Frame): number => {
    f.total = f.self + f.children.reduce((s, c) => s + sum(c), 0);
    f.children.sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
    return f.total;
  };
  sum(root);
  return root;
}

export interface SelfTime {
  readonly label: string;
  readonly samples: number;
  /** Of every busy sample. */
  readonly share: number;
}

/** Self samples per label over the whole tree (every call path of a function summed), largest first. */
export function selfTimes(root: Frame): SelfTime[] {
  const by = new Map<string, number>();
  const walk = (f: Frame): void => {
    if (f !== root && f.self > 0) by.set(f.label, (by.get(f.label) ?? 0) + f.self);
    f.children.forEach(walk);
  };
  walk(root);
  const busy = Math.max(1, root.total);
  return [...by]
    .map(([label, samples]) => ({ label, samples, share: samples / busy }))
    .sort((a, b) => b.samples - a.samples || a.label.localeCompare(b.label));
}

/** Geometry, px. Exported for the tests. */
export const FLAME_LAYOUT = {
  width: 1200,
  top: 34,
  bottom: 8,
  side: 8,
  rowHeight: 17,
  /** Boxes narrower than this are not drawn (their time is in their parent's box). */
  minWidth: 0.6,
  /** Average glyph width at the label's font size, to fit labels into boxes. */
  charWidth: 6.6,
};

/** Warm colours for our code, yellow for Node's, blue for V8's collector, grey for the rest of V8. */
function fill(label: string): string {
  if (label === '(garbage collector)') return 'rgb(90,140,220)';
  // A shade per label (a string hash), so neighbouring boxes of one hue stay apart.
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
  const v = h % 40;
  if (label.includes(' agent/') || label.includes(' bench/')) return `rgb(${215 + v},${90 + v * 2},40)`;
  if (label.includes(' node:')) return `rgb(${200 + v},${170 + v},60)`;
  return `rgb(${160 + v},${160 + v},${150 + v})`;
}

/**
 * Flame graph: the root at the bottom, each function above its caller, widths in proportion to
 * samples (busy samples only), the widest callee first. Hover shows the label, samples and share.
 */
export function flameGraphSvg(root: Frame, o: { readonly title: string }): string {
  const { width, top, bottom, side, rowHeight, minWidth, charWidth } = FLAME_LAYOUT;
  const plot = width - 2 * side;
  const scale = root.total > 0 ? plot / root.total : 0;
  const rows: Array<{ f: Frame; x: number; depth: number; w: number }> = [];
  let depthMax = 0;
  const place = (f: Frame, x: number, depth: number): void => {
    const w = f.total * scale;
    if (w < minWidth) return;
    depthMax = Math.max(depthMax, depth);
    rows.push({ f, x, depth, w });
    let cx = x;
    for (const c of f.children) {
      place(c, cx, depth + 1);
      cx += c.total * scale;
    }
  };
  place(root, side, 0);
  const height = top + (depthMax + 1) * rowHeight + bottom;
  const busy = Math.max(1, root.total);
  const boxes: string[] = [];
  for (const { f, x, depth, w } of rows) {
    const y = height - bottom - (depth + 1) * rowHeight;
    const share = `${((100 * f.total) / busy).toFixed(2)} %`;
    const fits = Math.floor((w - 6) / charWidth);
    const text = fits >= 3 ? (f.label.length <= fits ? f.label : `${f.label.slice(0, fits - 2)}..`) : '';
    boxes.push(
      `<g><title>${escapeXml(`${f.label}: ${f.total} samples, ${share} (self ${f.self})`)}</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${rowHeight - 1}" fill="${f === root ? 'rgb(200,200,200)' : fill(f.label)}" rx="2"/>` +
        (text === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${y + rowHeight - 5}">${escapeXml(text)}</text>`) +
        '</g>',
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-family="sans-serif" font-size="15">${escapeXml(o.title)}</text>`,
    ...boxes,
    '</svg>',
    '',
  ].join('\n');
}
