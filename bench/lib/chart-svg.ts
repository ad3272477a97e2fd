/**
 * A horizontal bar chart of min / median / max ratios as an SVG string: one bar per series up to
 * its median, a whisker from min to max, the median written at the bar's end, and a vertical line
 * at the target. Written by hand because every chart library that renders an image file in Node
 * either needs a browser or a native canvas (node-canvas, skia), which the machines cannot build
 * or download; an SVG is text, renders on GitHub and in any browser, and diffs in review.
 * Pure: unit-tested in test/unit/bench-chart.test.ts.
 */

import { escapeXml, px } from './svg-text';

export interface ChartBar {
  readonly label: string;
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface RatioChartOptions {
  readonly title: string;
  /** Text under the axis. @default '' */
  readonly axisLabel?: string;
  /** Left end of the axis. @default 0 */
  readonly axisMin?: number;
  /** Right end of the axis; values beyond either end are drawn at it. @default 1.1 */
  readonly axisMax?: number;
  /** Distance between grid lines. @default 0.1 */
  readonly tickStep?: number;
  /** A vertical line, e.g. the 0.90x target. @default none */
  readonly target?: { readonly value: number; readonly label: string };
  /** Number format of the median labels. @default (v) => `${v.toFixed(2)}x` */
  readonly format?: (v: number) => string;
  /** Number format of the tick labels (shorter: they share the axis). @default (v) => `${v.toFixed(1)}x` */
  readonly tickFormat?: (v: number) => string;
}

/** Geometry, px. Exported for the tests. */
export const LAYOUT = {
  width: 760,
  /** Room for the series labels, left of the axis. */
  left: 180,
  /** Room for the median label of a bar reaching the axis end. */
  right: 70,
  /** Title band. */
  top: 56,
  barHeight: 24,
  gap: 16,
  /** Tick labels and the axis label. */
  bottom: 56,
} as const;

const COLORS = { bar: '#4c78a8', whisker: '#1f2d3d', grid: '#dde3ea', target: '#d62728', text: '#1f2d3d' } as const;


export function ratioChartSvg(bars: readonly ChartBar[], o: RatioChartOptions): string {
  const axisMin = o.axisMin ?? 0;
  const axisMax = o.axisMax ?? 1.1;
  const step = o.tickStep ?? 0.1;
  const format = o.format ?? ((v: number) => `${v.toFixed(2)}x`);
  const tickFormat = o.tickFormat ?? ((v: number) => `${v.toFixed(1)}x`);
  if (!(axisMax > axisMin)) throw new RangeError(`axisMax must be greater than axisMin (${axisMin}), got ${axisMax}`);
  if (!(step > 0)) throw new RangeError(`tickStep must be positive, got ${step}`);
  for (const b of bars) {
    for (const v of [b.min, b.median, b.max]) {
      if (!Number.isFinite(v)) throw new RangeError(`bar '${b.label}' values must be finite numbers, got ${v}`);
    }
  }

  const { width, left, right, top, barHeight, gap, bottom } = LAYOUT;
  const plotWidth = width - left - right;
  const plotHeight = bars.length * (barHeight + gap) + gap;
  const height = top + plotHeight + bottom;
  const x = (v: number) => left + ((Math.min(axisMax, Math.max(axisMin, v)) - axisMin) / (axisMax - axisMin)) * plotWidth;
  const plotBottom = top + plotHeight;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${px(height)}" viewBox="0 0 ${width} ${px(height)}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect class="background" x="0" y="0" width="${width}" height="${px(height)}" fill="#ffffff"/>`,
    `<text class="title" x="16" y="28" font-size="15" font-weight="bold" fill="${COLORS.text}">${escapeXml(o.title)}</text>`,
  ];
  // Ticks counted in steps from axisMin, so 0.1 steps do not accumulate floating-point error.
  const ticks = Math.floor((axisMax - axisMin) / step + 1e-9);
  for (let i = 0; i <= ticks; i++) {
    const v = axisMin + i * step;
    out.push(`<line class="grid" x1="${px(x(v))}" y1="${top}" x2="${px(x(v))}" y2="${px(plotBottom)}" stroke="${COLORS.grid}"/>`);
    out.push(`<text class="tick" x="${px(x(v))}" y="${px(plotBottom + 18)}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(tickFormat(v))}</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + gap + i * (barHeight + gap);
    const mid = y + barHeight / 2;
    out.push(`<text class="label" x="${left - 10}" y="${px(mid + 4)}" text-anchor="end" fill="${COLORS.text}">${escapeXml(b.label)}</text>`);
    out.push(`<rect class="bar" x="${px(x(axisMin))}" y="${px(y)}" width="${px(x(b.median) - x(axisMin))}" height="${barHeight}" fill="${COLORS.bar}"/>`);
    out.push(`<line class="whisker" x1="${px(x(b.min))}" y1="${px(mid)}" x2="${px(x(b.max))}" y2="${px(mid)}" stroke="${COLORS.whisker}" stroke-width="1.5"/>`);
    for (const v of [b.min, b.max]) {
      out.push(`<line class="cap" x1="${px(x(v))}" y1="${px(y + 5)}" x2="${px(x(v))}" y2="${px(y + barHeight - 5)}" stroke="${COLORS.whisker}" stroke-width="1.5"/>`);
    }
    out.push(`<text class="value" x="${px(Math.max(x(b.median), x(b.max)) + 6)}" y="${px(mid + 4)}" fill="${COLORS.text}">${escapeXml(format(b.median))}</text>`);
  });
  if (o.target) {
    const tx = px(x(o.target.value));
    out.push(`<line class="target" x1="${tx}" y1="${top - 8}" x2="${tx}" y2="${px(plotBottom)}" stroke="${COLORS.target}" stroke-width="1.5" stroke-dasharray="5 3"/>`);
    out.push(`<text class="target-label" x="${tx}" y="${top - 12}" text-anchor="middle" fill="${COLORS.target}">${escapeXml(o.target.label)}</text>`);
  }
  if (o.axisLabel) {
    out.push(`<text class="axis-label" x="${px(left + plotWidth / 2)}" y="${px(plotBottom + 42)}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(o.axisLabel)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
