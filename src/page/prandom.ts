/**
 * A small seeded pseudo-random generator (mulberry32): every random choice
 * the simulated kernel makes (fault injection, RAND policies) draws from
 * one of these, seeded from the boot seed, so that the same seed gives the
 * same run. It stands in for the kernel's `get_random_u32_below`; it is not
 * cryptographic and need not be.
 */
export class Prandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned value. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A value in `[0, ceil)` (`get_random_u32_below`). */
  below(ceil: number): number {
    return Math.floor((this.nextU32() / 2 ** 32) * ceil);
  }
}
