// Byte amounts as `status` prints them: in gb (default), mb or bytes, rounded the way
// rabbitmqctl rounds (four decimals for sizes, two for percentages, at least one decimal).

export type Unit = 'bytes' | 'mb' | 'gb';

const DIVISOR: Record<Unit, number> = { bytes: 1, mb: 1_000_000, gb: 1_000_000_000 };

export function decimal(value: number, places: number): string {
  const rounded = Number(value.toFixed(places));
  return Number.isInteger(rounded) ? rounded.toFixed(1) : String(rounded);
}

export function inUnit(bytes: number, unit: Unit): string {
  return unit === 'bytes' ? `${bytes} bytes` : `${decimal(bytes / DIVISOR[unit], 4)} ${unit}`;
}

export function isUnit(x: unknown): x is Unit {
  return x === 'bytes' || x === 'mb' || x === 'gb';
}
