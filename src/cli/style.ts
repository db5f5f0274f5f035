// Bold text where a person is looking. RabbitMQ always writes ANSI bold; Warren writes it only
// to a terminal that supports colour (chalk's detection: a TTY, not TERM=dumb) and never under
// NO_COLOR, so piped output and files stay clean. The bytes are RabbitMQ's own (ESC[1m ...
// ESC[0m), not chalk's, so a terminal session looks exactly like rabbitmqctl's.

import chalk, { chalkStderr } from 'chalk';

export type Styler = (text: string) => string;

const plain: Styler = (text) => text;
const bold: Styler = (text) => `\x1b[1m${text}\x1b[0m`;

function colourAllowed(level: number): boolean {
  const noColor = process.env.NO_COLOR;
  return level > 0 && (noColor === undefined || noColor === '');
}

export function boldFor(stream: 'stdout' | 'stderr'): Styler {
  return colourAllowed(stream === 'stdout' ? chalk.level : chalkStderr.level) ? bold : plain;
}

export function stdoutIsStyled(): boolean {
  return colourAllowed(chalk.level);
}
