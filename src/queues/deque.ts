// A growable ring buffer: O(1) push and shift at both ends, which a queue's ready list needs
// millions of times a second; and an ordered insert for messages requeued to their place.

export class Deque<T> {
  private items: Array<T | undefined>;
  private head = 0;
  private count = 0;

  constructor(capacity = 16) {
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = item;
    this.count++;
  }

  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = item;
    this.count++;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.count--;
    if (this.count === 0) {
      this.head = 0;
      // A drained backlog gives its big array back (the collector would otherwise keep walking it).
      if (this.items.length > 4096) this.items = new Array<T | undefined>(16);
    }
    return item;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  at(i: number): T | undefined {
    return i < 0 || i >= this.count ? undefined : this.items[(this.head + i) % this.items.length];
  }

  /** Inserts before the first item for which `before(item)` is true (or at the end). */
  insertOrdered(item: T, before: (existing: T) => boolean): void {
    let i = 0;
    while (i < this.count && !before(this.at(i) as T)) i++;
    if (i === 0) {
      this.unshift(item);
      return;
    }
    if (i === this.count) {
      this.push(item);
      return;
    }
    this.push(item);
    // Shift the tail right by one to open position i.
    for (let j = this.count - 1; j > i; j--) {
      this.items[(this.head + j) % this.items.length] = this.items[(this.head + j - 1) % this.items.length];
    }
    this.items[(this.head + i) % this.items.length] = item;
  }

  clear(): T[] {
    const out = this.toArray();
    this.items = new Array<T | undefined>(16);
    this.head = 0;
    this.count = 0;
    return out;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(this.head + i) % this.items.length] as T);
    return out;
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.items.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
