// Live counters that worker threads write and the main thread reads at any time, in one
// SharedArrayBuffer: a slot of FIELDS 64-bit integers per producer or consumer. Each slot has
// one writer; Atomics make every read see a whole value. Workers store once per batch or socket
// chunk, not per message.

export const Field = {
  published: 0,
  confirmed: 1,
  nacked: 2,
  returned: 3,
  consumed: 4,
  /** process.hrtime.bigint() when the last message arrived (consumers). */
  lastConsumedNs: 5,
  /** 1 while the broker blocks this producer's connection (connection.blocked). */
  blocked: 6,
  /** Nanoseconds spent blocked so far. */
  blockedNs: 7,
  /** process.hrtime.bigint() of the last batch written (producers). */
  lastPublishedNs: 8,
} as const;
export const FIELDS = 9;

export type FieldName = keyof typeof Field;

export class Counters {
  readonly values: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.values = new BigInt64Array(buffer);
  }

  static create(slots: number): Counters {
    return new Counters(new SharedArrayBuffer(slots * FIELDS * 8));
  }

  get slots(): number {
    return this.values.length / FIELDS;
  }

  set(slot: number, field: FieldName, value: number | bigint): void {
    Atomics.store(this.values, slot * FIELDS + Field[field], BigInt(value));
  }

  get(slot: number, field: FieldName): number {
    return Number(Atomics.load(this.values, slot * FIELDS + Field[field]));
  }

  getBig(slot: number, field: FieldName): bigint {
    return Atomics.load(this.values, slot * FIELDS + Field[field]);
  }

  /** The sum of `field` over all slots. */
  total(field: FieldName): number {
    let sum = 0;
    for (let s = 0; s < this.slots; s++) sum += this.get(s, field);
    return sum;
  }
}
