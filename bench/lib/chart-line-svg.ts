/**
 * A time-series line chart as an SVG string: stacked panels sharing one x axis (seconds), each
 * with its own y axis, ticks, grid and one series (e.g. the agent's RSS in MiB above, its
 * event-loop lag p99 in ms below). Written by hand because every chart library that renders an
 * image file in Node needs a browser or a native canvas (node-canvas, skia), which these machines
 * cannot build or download; an SVG is text, renders on GitHub and in any browser, and diffs in
 * review. Pure: unit-tested in test/unit/bench-line-chart.test.ts.
 */

import { escapeXml, px } from './svg-text';

/** One series, drawn in its own panel. Points whose x or y is not finite are left out. */
export interface LinePanel {
  /** y-axis title, e.g. `RSS (MiB)`. */
  readonly label: string;
  readonly points: readonly (readonly [x: number, y: number])[];
  /** Stroke colour. @default a colour per panel */
  readonly color?: string;
  /**
   * Start the y axis at 0 (when every value is positive), so a flat series looks flat instead of
   * its noise filling the panel. @default true
   */
  readonly fromZero?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  /** Under the shared x axis. @default 'seconds' */
  readonly xLabel?: string;
  readonly panels: readonly LinePanel[];
}

/** Geometry, px. Exported for the tests. */
export const LINE_LAYOUT = {
  width: 760,
  /** y tick labels and the rotated axis title. */
  left: 80,
  right: 24,
  /** Title band. */
  top: 48,
  panelHeight: 180,
  /** Between panels: the x tick labels of the panel above. */
  gap: 40,
  /** x tick labels and the x-axis title. */
  bottom: 56,
} as const;

const PALETTE = ['#4c78a8', '#e45756', '#54a24b', '#b279a2'] as const;
const COLORS = { axis: '#1f2d3d', grid: '#dde3ea', text: '#1f2d3d', muted: '#7a8794' } as const;


export interface Ticks {
  /** Tick values, ascending; the first and last are the axis ends. */
  readonly values: readonly number[];
  /** Decimals that print every tick exactly. */
  readonly decimals: number;
}

/**
 * About `count` evenly spaced round ticks (steps of 1, 2 or 5 times a power of ten) covering
 * [lo, hi]. An empty range (lo == hi) is widened to one step around the value.
 */
export function niceTicks(lo: number, hi: number, count = 5): Ticks {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) throw new RangeError(`niceTicks needs finite lo <= hi, got ${lo}, ${hi}`);
  if (hi === lo) return lo === 0 ? niceTicks(0, 1, count) : niceTicks(lo - Math.abs(lo) / 2, hi + Math.abs(lo) / 2, count);
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(Number((i * step).toFixed(decimals)));
  return { values, decimals };
}

const finitePoints = (p: LinePanel) => p.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));

/** The chart; panels without a finite point show their axes and "no data". */
export function lineChartSvg(o: LineChartOptions): string {
  if (o.panels.length === 0) throw new RangeError('lineChartSvg needs at least one panel, got none');
  const { width, left, right, top, panelHeight, gap, bottom } = LINE_LAYOUT;
  const plotWidth = width - left - right;
  const height = top + o.panels.length * panelHeight + (o.panels.length - 1) * gap + bottom;
  const data = o.panels.map(finitePoints);
  const xs = data.flat().map(([x]) => x);
  // Seconds from the start: the axis begins at 0 unless the data goes below it.
  const xTicks = xs.length === 0 ? niceTicks(0, 1) : niceTicks(Math.min(0, ...xs), Math.max(...xs));
  const x0 = xTicks.values[0]!;
  const x1 = xTicks.values[xTicks.values.length - 1]!;
  const x = (v: number) => left + ((v - x0) / (x1 - x0)) * plotWidth;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${px(width / 2)}" y="28" text-anchor="middle" font-size="15" font-weight="bold" fill="${COLORS.text}">${escapeXml(o.title)}</text>`,
  ];
  o.panels.forEach((panel, i) => {
    const points = data[i]!;
    const color = panel.color ?? PALETTE[i % PALETTE.length]!;
    const ys = points.map(([, y]) => y);
    const fromZero = panel.fromZero ?? true;
    const lo = ys.length === 0 ? 0 : Math.min(...ys, ...(fromZero ? [0] : []));
    const hi = ys.length === 0 ? 1 : Math.max(...ys, ...(fromZero ? [0] : []));
    const yTicks = niceTicks(lo, hi);
    const y0 = yTicks.values[0]!;
    const y1 = yTicks.values[yTicks.values.length - 1]!;
    const pTop = top + i * (panelHeight + gap);
    const pBottom = pTop + panelHeight;
    const y = (v: number) => pBottom - ((v - y0) / (y1 - y0)) * panelHeight;
    out.push(`<g>`);
    for (const t of yTicks.values) {
      out.push(`<line x1="${left}" y1="${px(y(t))}" x2="${left + plotWidth}" y2="${px(y(t))}" stroke="${COLORS.grid}"/>`);
      out.push(`<text x="${left - 6}" y="${px(y(t) + 4)}" text-anchor="end" fill="${COLORS.text}">${t.toFixed(yTicks.decimals)}</text>`);
    }
    for (const t of xTicks.values) {
      out.push(`<line x1="${px(x(t))}" y1="${pBottom}" x2="${px(x(t))}" y2="${pBottom + 4}" stroke="${COLORS.axis}"/>`);
      out.push(`<text x="${px(x(t))}" y="${pBottom + 17}" text-anchor="middle" fill="${COLORS.text}">${t.toFixed(xTicks.decimals)}</text>`);
    }
    out.push(`<line x1="${left}" y1="${pTop}" x2="${left}" y2="${pBottom}" stroke="${COLORS.axis}"/>`);
    out.push(`<line x1="${left}" y1="${pBottom}" x2="${left + plotWidth}" y2="${pBottom}" stroke="${COLORS.axis}"/>`);
    const midY = px((pTop + pBottom) / 2);
    out.push(`<text x="18" y="${midY}" transform="rotate(-90 18 ${midY})" text-anchor="middle" fill="${COLORS.text}">${escapeXml(panel.label)}</text>`);
    if (points.length === 0) {
      out.push(`<text x="${px(left + plotWidth / 2)}" y="${midY}" text-anchor="middle" fill="${COLORS.muted}">no data</text>`);
    } else if (points.length === 1) {
      // A line needs two points: one sample is a dot.
      out.push(`<circle cx="${px(x(points[0]![0]))}" cy="${px(y(points[0]![1]))}" r="3" fill="${color}"/>`);
    } else {
      const path = points.map(([px0, py0]) => `${px(x(px0))},${px(y(py0))}`).join(' ');
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round" points="${path}"/>`);
    }
    out.push(`</g>`);
  });
  out.push(`<text x="${px(left + plotWidth / 2)}" y="${height - 14}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(o.xLabel ?? 'seconds')}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
