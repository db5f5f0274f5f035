// warren-perf's latency histogram: every value lands in a bucket whose bounds hold it, buckets
// are exact below 256 and within 1/128 above, percentiles agree with a sorted list to that
// precision, and histograms from several threads merge into the one a single thread would keep.

import { describe, expect, it } from 'vitest';
import { BUCKETS, Histogram, bucketOf, highestInBucket, lowestInBucket } from '../../src/perf/histogram.js';

/** The exact percentile of sorted values, as the histogram defines it (nearest rank). */
function exact(sorted: number[], p: number): number {
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1];
}

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('perf histogram buckets', () => {
  it('gives every value below 256 a bucket of its own', () => {
    for (let v = 0; v < 256; v++) {
      expect(bucketOf(v)).toBe(v);
      expect([lowestInBucket(v), highestInBucket(v)]).toEqual([v, v]);
    }
  });

  it('puts a value in the bucket whose bounds hold it, from 256 up to 2^32 - 1', () => {
    const values = [256, 257, 511, 512, 513, 1000, 4095, 4096, 65_535, 1_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
    const random = seeded(7);
    for (let i = 0; i < 10_000; i++) values.push(256 + Math.floor(random() ** 4 * (2 ** 32 - 257)));
    for (const v of values) {
      const b = bucketOf(v);
      expect(b).toBeLessThan(BUCKETS);
      expect(lowestInBucket(b)).toBeLessThanOrEqual(v);
      expect(highestInBucket(b)).toBeGreaterThanOrEqual(v);
      expect((highestInBucket(b) - lowestInBucket(b) + 1) / lowestInBucket(b)).toBeLessThanOrEqual(1 / 128);
    }
    expect(bucketOf(2 ** 32 - 1)).toBe(BUCKETS - 1);
  });

  it('leaves no gap and no overlap between neighbouring buckets', () => {
    for (let b = 1; b < BUCKETS; b++) expect(lowestInBucket(b)).toBe(highestInBucket(b - 1) + 1);
  });
});

describe('perf histogram percentiles', () => {
  it('reports nothing for no samples', () => {
    expect(new Histogram().summary()).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p75: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  });

  it('is exact for small values: 1..100 gives p50 = 50, p99 = 99, p99.9 = 100', () => {
    const h = new Histogram();
    for (let v = 100; v >= 1; v--) h.record(v);
    const s = h.summary();
    expect([s.count, s.min, s.p50, s.p75, s.p99, s.p999, s.max, s.mean]).toEqual([100, 1, 50, 75, 99, 100, 100, 50.5]);
  });

  it('agrees with a sorted list to within 1/128 on a long-tailed latency distribution', () => {
    const random = seeded(42);
    const values: number[] = [];
    const h = new Histogram();
    for (let i = 0; i < 200_000; i++) {
      // Mostly 100-400 us, with a tail out to seconds.
      const v = Math.floor(100 + 300 * random() + (random() < 0.01 ? 2_000_000 * random() ** 3 : 0));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    for (const p of [50, 75, 95, 99, 99.9]) {
      const want = exact(values, p);
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got - want).toBeLessThanOrEqual(Math.max(0, want / 128));
    }
    expect(h.percentile(100)).toBe(values.at(-1));
    expect(h.summary().min).toBe(values[0]);
  });

  it('never reports more than the largest sample nor less than the smallest', () => {
    const h = new Histogram();
    h.record(1000);
    h.record(1001);
    // Both fall in the bucket 1000..1003, whose highest value is capped at the largest sample.
    expect([lowestInBucket(bucketOf(1000)), highestInBucket(bucketOf(1000))]).toEqual([1000, 1003]);
    expect([h.percentile(50), h.percentile(99.9)]).toEqual([1001, 1001]);
    const one = new Histogram();
    one.record(300_000);
    expect([one.percentile(0), one.percentile(50), one.percentile(100)]).toEqual([300_000, 300_000, 300_000]);
  });

  it('rounds fractions of a microsecond down and clamps negatives and huge values', () => {
    const h = new Histogram();
    h.record(12.9);
    h.record(-5);
    h.record(2 ** 40);
    expect([h.min, h.max, h.count]).toEqual([0, 2 ** 32 - 1, 3]);
    expect(h.percentile(34)).toBe(12);
  });

  it('merges histograms from several threads into what one histogram of all samples holds', () => {
    const random = seeded(3);
    const all = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    for (let i = 0; i < 30_000; i++) {
      const v = Math.floor(random() * 50_000);
      all.record(v);
      parts[i % 3].record(v);
    }
    const merged = new Histogram();
    // As the main thread receives them: structured-clone-able data.
    for (const p of parts) merged.merge(Histogram.from(structuredClone(p.toTransfer())));
    expect(merged.summary()).toEqual(all.summary());
    expect(Array.from(merged.counts)).toEqual(Array.from(all.counts));
  });
});
