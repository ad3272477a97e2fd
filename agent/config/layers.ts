/**
 * Layering of config sources (file, then environment, then flags), remembering which source set
 * each value so an error can say where the bad value came from.
 */
import type { ConfigOrigin } from './issues';

/** Deep-merges `source` into `target`; objects merge key by key, anything else replaces. */
export class Layered {
  readonly value: Record<string, unknown> = {};
  // path (JSON of the segments) -> the source that last set the value there
  private readonly origins = new Map<string, (path: readonly PropertyKey[]) => ConfigOrigin>();

  /** `origin` gets the full path of a problem, so a file source can look up the line. */
  add(source: Record<string, unknown>, origin: (path: readonly PropertyKey[]) => ConfigOrigin): void {
    this.mergeInto(this.value, source, [], origin);
  }

  /** The origin of the value at `path`: the source that set the longest prefix of it. */
  locate(path: readonly PropertyKey[]): ConfigOrigin | undefined {
    for (let n = path.length; n >= 0; n--) {
      const origin = this.origins.get(JSON.stringify(path.slice(0, n)));
      if (origin !== undefined) return origin(path);
    }
    return undefined;
  }

  private mergeInto(
    target: Record<string, unknown>,
    source: Record<string, unknown>,
    path: readonly string[],
    origin: (path: readonly PropertyKey[]) => ConfigOrigin,
  ): void {
    for (const [key, value] of Object.entries(source)) {
      // null is "unset": Helm-style templates and `key:` with nothing after it produce it.
      if (value === undefined || value === null) continue;
      const at = [...path, key];
      const existing = target[key];
      if (isPlainObject(value) && Object.keys(value).length > 0) {
        if (!isPlainObject(existing)) {
          this.forget(at);
          target[key] = {};
        }
        this.mergeInto(target[key] as Record<string, unknown>, value, at, origin);
      } else if (isPlainObject(value) && isPlainObject(existing)) {
        // `key: {}` over an existing mapping changes nothing; keep the older origins beneath it.
        continue;
      } else {
        this.forget(at);
        target[key] = value;
        this.origins.set(JSON.stringify(at), origin);
      }
    }
  }

  /** Drops the origins under `path`, whose values a new value replaces. */
  private forget(path: readonly string[]): void {
    const prefix = JSON.stringify(path).slice(0, -1);
    for (const key of this.origins.keys()) if (key === `${prefix}]` || key.startsWith(`${prefix},`)) this.origins.delete(key);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
