/**
 * One string object for many equal strings that live long: every connection's open event
 * carries its addresses and its process's name, and a tracked connection keeps them for its
 * life (in its records' `connection` and `process`). 10,000 keep-alive connections from one
 * client to one server are 30,000 copies of three strings otherwise.
 *
 * Bounded: past `max` distinct strings the table starts over (a new string costs one entry, an
 * address scan of a large network does not grow it without end).
 */
export class StringInterner {
  private readonly table = new Map<string, string>();

  constructor(private readonly max = 4096) {}

  /** The interned string equal to `s`: the first one seen, or `s` itself from now on. */
  intern(s: string): string {
    const known = this.table.get(s);
    if (known !== undefined) return known;
    if (this.table.size >= this.max) this.table.clear();
    this.table.set(s, s);
    return s;
  }

  get size(): number {
    return this.table.size;
  }
}
