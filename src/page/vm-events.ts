/**
 * Event counters (`vm_event_states`, include/linux/vm_event_item.h): how
 * many times something happened since boot (`pgalloc_normal`, `pgfree`,
 * `pgfault`, `allocstall_dma32`, ...), as /proc/vmstat prints them.
 *
 * Counters are registered by name once, when a layer starts; hot paths
 * keep the slot number `register` returned and add to it directly, so
 * counting costs one typed-array add. Values are doubles (exact to 2**53).
 */
export class VmEvents {
  private readonly slots = new Map<string, number>();
  private values = new Float64Array(64);
  private names: string[] = [];

  /** The counters as a typed array, indexed by slot; re-read after `register`. */
  get counters(): Float64Array {
    return this.values;
  }

  /**
   * Registers a counter (idempotent) and returns its slot.
   *
   * @example
   * ```ts
   * const events = new VmEvents();
   * const pgfree = events.register('pgfree');
   * events.counters[pgfree] += 1;
   * events.get('pgfree'); // 1
   * ```
   */
  register(name: string): number {
    const existing = this.slots.get(name);
    if (existing !== undefined) return existing;
    const slot = this.names.length;
    if (slot === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.slots.set(name, slot);
    this.names.push(name);
    return slot;
  }

  /** Adds `n` to the counter in `slot` (the hot-path form). */
  add(slot: number, n: number): void {
    this.values[slot] = (this.values[slot] as number) + n;
  }

  /** Adds `n` to a registered counter by name (off the hot paths). */
  count(name: string, n = 1): void {
    const slot = this.slots.get(name) ?? this.register(name);
    this.values[slot] = (this.values[slot] as number) + n;
  }

  /** A counter's value; 0 for a counter never registered. */
  get(name: string): number {
    const slot = this.slots.get(name);
    return slot === undefined ? 0 : (this.values[slot] as number);
  }

  /** Every registered counter in registration order. */
  entries(): [string, number][] {
    return this.names.map((name, slot) => [name, this.values[slot] as number]);
  }
}
