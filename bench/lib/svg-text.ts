/** What every hand-written SVG of the benchmarks needs: escaped text, stable coordinates. */

/** Text content and attribute values: the five characters XML gives a meaning. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Coordinates rounded to 0.1 px: stable text for identical data. */
export const px = (v: number): string => String(Math.round(v * 10) / 10);
