/**
 * FNV-1a (32 bit) over UTF-16 code units: a short, stable fingerprint for the pod template's
 * config annotation, so pods roll when the config changes. Not for security; kept Node-free.
 */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
