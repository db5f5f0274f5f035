// The node's log: one line per event, `<timestamp> [level] <message>`, appended to the log file
// and echoed to stdout when the node runs in the foreground.

import fs from 'node:fs';
import path from 'node:path';

export type LogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error';

export class Logger {
  private fd: number | undefined;

  constructor(
    readonly file: string,
    private readonly echo: boolean,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
  }

  log(level: LogLevel, message: string): void {
    const line = `${timestamp()} [${level}] ${message}\n`;
    // Synchronous so that a line logged just before a crash or exit is on disk.
    if (this.fd !== undefined) fs.writeSync(this.fd, line);
    if (this.echo) process.stdout.write(line);
  }

  info(message: string): void {
    this.log('info', message);
  }

  warning(message: string): void {
    this.log('warning', message);
  }

  error(message: string): void {
    this.log('error', message);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function timestamp(): string {
  const iso = new Date().toISOString(); // 2026-11-21T20:01:02.345Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+00:00`;
}
