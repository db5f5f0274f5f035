// Errors that cross the distribution port: a code the CLI maps to an exit status and message,
// plus optional data for the caller.

export class ControlError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

export function toWire(err: unknown): WireError {
  if (err instanceof ControlError) return { code: err.code, message: err.message, data: err.data };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
