/** Reconnect delays: doubling from `initialMs` up to `maxMs`, with up to 20 % jitter so many agents
 * restarting together do not hammer a collector in step. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs = 100,
    private readonly maxMs = 5000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(base * (1 - 0.2 * this.random()));
  }

  reset(): void {
    this.attempt = 0;
  }
}
