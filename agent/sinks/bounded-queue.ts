/**
 * A fixed-capacity FIFO: `push` refuses (and the caller counts a drop) instead of growing, so a
 * slow or absent sink can never make the agent's memory grow without bound (DESIGN.md §5).
 * A ring over a preallocated array: no shifting, O(1) push and shift.
 */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a whole number >= 1, got ${capacity}`);
    }
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Appends `item`; false (nothing stored) when the queue is full. */
  push(item: T): boolean {
    if (this.count === this.capacity) return false;
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count++;
    return true;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    return out;
  }

  /** Puts `batch` back at the front (a delivery that must be retried keeps its place). */
  unshift(batch: readonly T[]): number {
    const room = Math.min(batch.length, this.capacity - this.count);
    for (let i = room - 1; i >= 0; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = batch[i];
    }
    this.count += room;
    return batch.length - room;
  }
}
