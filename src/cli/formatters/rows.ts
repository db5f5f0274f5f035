// Rendering a streamed list (rows of column/value pairs) in each formatter. Table, JSON and CSV
// write each row as it arrives, so a long listing never sits in memory; Erlang and
// pretty_table need the whole list to lay it out.

import type { FormatterName } from '../command.js';
import type { Row } from '../term.js';
import { formatErlangTerm } from './erlang.js';
import { prettyTable } from './pretty-table.js';
import { Tuple, Atom } from '../term.js';
import { jsonValue, tableCell } from './values.js';

export interface RowOutput {
  write(text: string): void;
  headers: boolean;
  styled: boolean;
}

export async function renderRows(
  formatter: FormatterName,
  columns: string[],
  batches: AsyncIterable<Row[]>,
  out: RowOutput,
): Promise<void> {
  switch (formatter) {
    case 'json': {
      const pids = new Map<string, number>();
      let first = true;
      out.write('[\n');
      for await (const batch of batches) {
        let chunk = '';
        for (const row of batch) {
          const obj: Record<string, unknown> = {};
          for (const [k, v] of row) obj[k] = jsonValue(v, pids);
          chunk += `${first ? '' : ','}${JSON.stringify(obj)}\n`;
          first = false;
        }
        out.write(chunk);
      }
      out.write(']\n');
      return;
    }
    case 'csv': {
      let first = true;
      for await (const batch of batches) {
        let chunk = '';
        for (const row of batch) {
          if (first && out.headers) chunk += csvLine(columns) + '\n';
          first = false;
          chunk += csvLine(row.map(([, v]) => tableCell(v))) + '\n';
        }
        out.write(chunk);
      }
      return;
    }
    case 'erlang': {
      const all: Row[] = [];
      for await (const batch of batches) all.push(...batch);
      out.write(formatErlangTerm(all.map((row) => row.map(([k, v]) => new Tuple([new Atom(k), v])))) + '\n');
      return;
    }
    case 'pretty_table': {
      const all: Row[] = [];
      for await (const batch of batches) all.push(...batch);
      if (all.length > 0) out.write(prettyTable(columns, all.map((r) => r.map(([, v]) => tableCell(v))), out.styled));
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
        out.write(chunk);
      }
    }
  }
}

function csvLine(cells: string[]): string {
  return cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
}
