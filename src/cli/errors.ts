// Exit codes (sysexits, as rabbitmqctl uses them) and the typed errors commands raise. One
// function, `exitCodeOf`, maps an error to its code; main.ts renders the message.

export const EX_OK = 0;
export const EX_USAGE = 64;
export const EX_DATAERR = 65;
export const EX_NOUSER = 67;
export const EX_UNAVAILABLE = 69;
export const EX_SOFTWARE = 70;
export const EX_TEMPFAIL = 75;
export const EX_CONFIG = 78;

/** Bad arguments: printed as "Error (argument validation): ..." with the command's usage. */
export class ValidationError extends Error {
  constructor(
    message: string,
    readonly code: number = EX_USAGE,
  ) {
    super(message);
  }
}

const APP_STATE_TEXTS = {
  running: "Error: this command requires the 'rabbit' app to be running on the target node. Start it with 'rabbitmqctl start_app'.",
  stopped: "Error: this command requires the 'rabbit' app to be stopped on the target node. Stop it with 'rabbitmqctl stop_app'.",
  /** The whole node, not just the app (commands that edit a stopped node's files). */
  node_stopped: 'Error: this command requires the target node to be stopped.',
};

/** The app (or node) is in the wrong state for the command: printed with the usage, exit 64. */
export class AppStateError extends Error {
  constructor(readonly wanted: keyof typeof APP_STATE_TEXTS) {
    super(APP_STATE_TEXTS[wanted]);
  }
}

/** A failure reported as "Error:\n<message>" on stderr. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number,
    /** Printed as is, without the "Error:" line. */
    readonly bare = false,
  ) {
    super(message);
  }
}

/** The operation did not finish within --timeout. */
export class TimeoutError extends Error {
  constructor(
    readonly operation: string,
    readonly node: string,
    readonly timeoutMs: number,
  ) {
    super(`Error: operation ${operation} on node ${node} timed out. Timeout value used: ${timeoutMs}`);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof ValidationError) return err.code;
  if (err instanceof AppStateError) return EX_USAGE;
  if (err instanceof CommandError) return err.code;
  if (err instanceof TimeoutError) return EX_TEMPFAIL;
  return EX_SOFTWARE;
}
