// Latency histogram: log-linear buckets (HdrHistogram's layout with 7 sub-bucket bits), so any
// recorded value is known to within 1/128 (< 0.8%) of itself, values below 256 exactly, in a
// fixed array of 3,328 counters whatever the number of samples. Values are whole microseconds
// from 0 to 2^32 - 1 (71 minutes); larger ones are clamped. Worker threads each keep one and
// hand it to the main thread as its counts array, which merges them.

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
const LINEAR = 2 * SUB; // values below this have a bucket each
/** Bucket count: the linear part, then 128 buckets per power of two from 2^8 up to 2^32. */
export const BUCKETS = LINEAR + (32 - SUB_BITS - 1) * SUB;
const MAX_VALUE = 0xffffffff;

export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(BUCKETS);
  }

  record(value: number): void {
    const v = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : Math.floor(value);
    this.counts[bucketOf(v)]++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram): void {
    const c = this.counts;
    const o = other.counts;
    for (let i = 0; i < BUCKETS; i++) c[i] += o[i];
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  /**
   * The smallest value v such that at least `p` percent of the samples are <= v, given as the
   * highest value of v's bucket (never more than the largest sample), as HdrHistogram reports.
   */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(Math.max(highestInBucket(i), this.min), this.max);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      min: this.count === 0 ? 0 : this.min,
      mean: this.count === 0 ? 0 : this.sum / this.count,
      p50: this.percentile(50),
      p75: this.percentile(75),
      p95: this.percentile(95),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }

  /** What a worker posts: plain data that survives structured cloning. */
  toTransfer(): HistogramData {
    return { counts: this.counts, count: this.count, min: this.min, max: this.max, sum: this.sum };
  }

  static from(data: HistogramData): Histogram {
    const h = new Histogram(data.counts);
    h.count = data.count;
    h.min = data.min;
    h.max = data.max;
    h.sum = data.sum;
    return h;
  }
}

export interface HistogramData {
  counts: Float64Array;
  count: number;
  min: number;
  max: number;
  sum: number;
}

export function bucketOf(v: number): number {
  if (v < LINEAR) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS; // >= 1
  return (shift + 1) * SUB + (v >>> shift) - SUB;
}

/** The lowest value that falls in bucket `i`. */
export function lowestInBucket(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor(i / SUB) - 1;
  return ((i % SUB) + SUB) * 2 ** shift;
}

export function highestInBucket(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor(i / SUB) - 1;
  return lowestInBucket(i) + 2 ** shift - 1;
}
