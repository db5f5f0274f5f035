// The pretty_table formatter: a boxed table with a bold header (cli-table3). On a terminal the
// box is drawn with the DEC line-drawing escapes rabbitmqctl uses (ESC(0 ... ESC(B); elsewhere
// with plain Unicode box characters, so no escape sequence reaches a pipe or a file.

import Table from 'cli-table3';

const DEC: Record<string, string> = {
  '┌': 'l', '─': 'q', '┬': 'w', '┐': 'k', '│': 'x', '├': 't', '┼': 'n', '┤': 'u', '└': 'm', '┴': 'v', '┘': 'j',
};
const BOX = /[┌─┬┐│├┼┤└┴┘]/;

export function prettyTable(head: string[], rows: string[][], styled: boolean): string {
  const table = new Table({
    head: styled ? head.map((h) => `\x1b[1m${h}\x1b[0m`) : head,
    style: { head: [], border: [], compact: false },
  });
  table.push(...rows);
  const lines = table.toString().split('\n');
  return lines.map((line) => (styled ? toDec(line) : line)).join('\n') + '\n';
}

/** A border line becomes one DEC run; in a row line each vertical bar is its own run. */
function toDec(line: string): string {
  if (!line.includes('│')) {
    return `\x1b(0${[...line].map((ch) => DEC[ch] ?? ch).join('')}\x1b(B`;
  }
  return [...line].map((ch) => (BOX.test(ch) ? `\x1b(0${DEC[ch]}\x1b(B` : ch)).join('');
}
