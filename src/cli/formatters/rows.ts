// Rendering a list (rows of column/value pairs) in each formatter. Table, JSON and CSV write each
// batch as it arrives and wait for the output to drain, so a long listing never sits in memory;
// Erlang and pretty_table need the whole list to lay it out.
//
// rabbitmqctl prints some lists as a stream (list_queues: nothing at all when empty) and others
// as one value (list_users: an empty line, `[]`, or a boxed `[]` when empty): `whole` says which.

import type { FormatterName } from '../command.js';
import type { Row } from '../term.js';
import { formatErlangTerm } from './erlang.js';
import { prettyTable } from './pretty-table.js';
import { Tuple, Atom } from '../term.js';
import { jsonText, prettyCell, tableCell } from './values.js';

export interface RowOutput {
  /** Writes text; a returned promise resolves once the output can take more. */
  write(text: string): Promise<void> | void;
  headers: boolean;
  styled: boolean;
}

export interface RowShape {
  /** An empty list still prints as a value (see above). */
  whole?: boolean;
  /** Erlang output nests each batch as a list of its own. */
  grouped?: boolean;
}

export async function renderRows(
  formatter: FormatterName,
  columns: string[],
  batches: AsyncIterable<Row[]>,
  out: RowOutput,
  shape: RowShape = {},
): Promise<void> {
  switch (formatter) {
    case 'json': {
      const pids = new Map<string, number>();
      let first = true;
      for await (const batch of batches) {
        let chunk = '';
        for (const row of batch) {
          const obj = row.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v, pids)}`).join(',');
          chunk += `${first ? '[\n' : ','}{${obj}}\n`;
          first = false;
        }
        await out.write(chunk);
      }
      await out.write(!first ? ']\n' : shape.whole ? '[]\n' : '[\n]\n');
      return;
    }
    case 'csv': {
      // rabbitmqctl keeps the CSV header even with --silent.
      let first = true;
      for await (const batch of batches) {
        let chunk = '';
        for (const row of batch) {
          if (first) chunk += csvLine(columns) + '\n';
          first = false;
          chunk += csvLine(row.map(([, v]) => tableCell(v))) + '\n';
        }
        await out.write(chunk);
      }
      if (first && shape.whole) await out.write('\r\n\r\n\n');
      return;
    }
    case 'erlang': {
      const all: Array<Row | Row[]> = [];
      for await (const batch of batches) {
        if (shape.grouped) all.push(batch);
        else all.push(...batch);
      }
      const proplist = (row: Row) => row.map(([k, v]) => new Tuple([new Atom(k), v]));
      const term = all.map((x) => (shape.grouped ? (x as Row[]).map(proplist) : proplist(x as Row)));
      await out.write(formatErlangTerm(term) + '\n');
      return;
    }
    case 'pretty_table': {
      const all: Row[] = [];
      for await (const batch of batches) all.push(...batch);
      if (all.length > 0) await out.write(prettyTable(columns, all.map((r) => r.map(([, v]) => prettyCell(v))), out.styled));
      else if (shape.whole) await out.write(prettyTable(['Output'], [['[]']], out.styled));
      return;
    }
    default: {
      let first = true;
      for await (const batch of batches) {
        let chunk = '';
        for (const row of batch) {
          if (first && out.headers) chunk += columns.join('\t') + '\n';
          first = false;
          chunk += row.map(([, v]) => tableCell(v)).join('\t') + '\n';
        }
        await out.write(chunk);
      }
      if (first && shape.whole) await out.write('\n');
    }
  }
}

function csvLine(cells: string[]): string {
  return cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
}
