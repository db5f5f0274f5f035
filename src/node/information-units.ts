// RabbitMQ's unit table for absolute memory and disk limits ("50MB", "2GiB", "1G"): the units
// without "i" are powers of 1000, except the one-letter ones, which are powers of 1024.

const INFORMATION_UNITS: Record<string, number> = {
  '': 1,
  ...Object.fromEntries(['k', 'K', 'kiB', 'KiB', 'kib', 'KIB'].map((u) => [u, 1024])),
  ...Object.fromEntries(['m', 'M', 'MiB', 'mib', 'MIB'].map((u) => [u, 1024 ** 2])),
  ...Object.fromEntries(['g', 'G', 'GiB', 'gib', 'GIB'].map((u) => [u, 1024 ** 3])),
  ...Object.fromEntries(['kB', 'KB', 'kb', 'Kb'].map((u) => [u, 1000])),
  ...Object.fromEntries(['MB', 'mb', 'Mb'].map((u) => [u, 1000 ** 2])),
  ...Object.fromEntries(['GB', 'gb', 'Gb'].map((u) => [u, 1000 ** 3])),
};

/** Bytes for a whole number with an optional unit; undefined when it is not one. */
export function parseInformationUnit(raw: string): number | undefined {
  const match = /^(\d+)([A-Za-z]*)$/.exec(raw);
  const multiplier = match ? INFORMATION_UNITS[match[2]] : undefined;
  const value = match && multiplier ? Number(match[1]) * multiplier : NaN;
  return Number.isSafeInteger(value) ? value : undefined;
}
