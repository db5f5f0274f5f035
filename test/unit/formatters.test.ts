// The list formatters (table, json, csv, pretty_table, erlang) against rabbitmqctl's captured
// output for the same rows, and the value rules behind them.

import { describe, expect, it } from 'vitest';
import { renderRows } from '../../src/cli/formatters/rows.js';
import { jsonValue, tableCell } from '../../src/cli/formatters/values.js';
import { ABSENT, Atom, Pid, Tuple, type Row } from '../../src/cli/term.js';
import { decimal, inUnit } from '../../src/cli/units.js';
import { reference } from '../harness.js';

async function render(formatter: Parameters<typeof renderRows>[0], columns: string[], rows: Row[], opts: { headers?: boolean; styled?: boolean } = {}) {
  let out = '';
  async function* batches() {
    yield rows;
  }
  await renderRows(formatter, columns, batches(), {
    write: (t) => (out += t),
    headers: opts.headers ?? true,
    styled: opts.styled ?? false,
  });
  return out;
}

/** The part of a capture after its banner lines. */
function body(file: string, bannerLines: number): string {
  return reference(file).stdout.split('\n').slice(bannerLines).join('\n');
}

const queues: Row[] = [
  [['name', 'temp.q'], ['messages', 0]],
  [['name', 'hello'], ['messages', 3]],
];

describe('list formatters', () => {
  it('table: tab-separated with a header row', async () => {
    expect(await render('table', ['name', 'messages'], queues)).toBe(body('01-single-node/046', 2));
  });

  it('table: no header with --no-table-headers, and nothing at all for no rows', async () => {
    expect(await render('table', ['name', 'messages'], queues, { headers: false })).toBe(body('01-single-node/049', 2));
    expect(await render('table', ['name', 'messages'], [])).toBe('');
  });

  it('json: one object per line in rabbitmqctl\'s layout', async () => {
    expect(await render('json', ['name', 'messages'], queues)).toBe(reference('01-single-node/050').stdout);
    expect(await render('json', ['name', 'messages'], [])).toBe(reference('01-single-node/010').stdout);
  });

  it('csv: every field quoted', async () => {
    expect(await render('csv', ['name', 'messages'], queues)).toBe(reference('01-single-node/053').stdout);
  });

  it('erlang: a list of proplists', async () => {
    expect(await render('erlang', ['name', 'messages'], queues)).toBe(body('01-single-node/052', 2));
    expect(await render('erlang', ['name'], [])).toBe('[]\n');
  });

  it('pretty_table: DEC line drawing and bold headers on a terminal', async () => {
    expect(await render('pretty_table', ['name', 'messages'], queues, { styled: true })).toBe(body('01-single-node/051', 2));
  });

  it('pretty_table: plain box characters and no escapes elsewhere', async () => {
    const out = await render('pretty_table', ['name', 'messages'], queues);
    expect(out).not.toContain('\x1b');
    expect(out.split('\n')[1]).toBe('│ name   │ messages │');
  });

  it('pids, absent values and mixed columns as in the reference', async () => {
    const pid = (id: number) => new Pid('rabbit@vm', 1795284285, id, 0);
    const rows: Row[] = [
      [['name', 'temp.q'], ['durable', false], ['arguments', []], ['policy', ABSENT], ['pid', pid(1054)], ['slave_pids', ABSENT]],
      [['name', 'hello'], ['durable', true], ['arguments', []], ['policy', ABSENT], ['pid', pid(1015)], ['slave_pids', ABSENT]],
    ];
    const cols = ['name', 'durable', 'arguments', 'policy', 'pid', 'slave_pids'];
    expect(await render('table', cols, rows)).toBe(
      'name\tdurable\targuments\tpolicy\tpid\tslave_pids\n' +
        'temp.q\tfalse\t[]\t\t<rabbit@vm.1795284285.1054.0>\t\n' +
        'hello\ttrue\t[]\t\t<rabbit@vm.1795284285.1015.0>\t\n',
    );
    expect(JSON.parse((await render('json', cols, rows)).split('\n')[1])).toEqual({
      name: 'temp.q',
      durable: false,
      arguments: [],
      policy: '',
      pid: '#PID<12571.1054.0>',
      slave_pids: '',
    });
  });
});

describe('value rules', () => {
  it('prints lists, tuples and atoms as rabbitmqctl\'s table does', () => {
    const pids = [new Pid('rabbit_1@vm', 1795284303, 2833, 0), new Pid('rabbit_2@vm', 1795284303, 3653, 0)];
    expect(tableCell(pids)).toBe('[<rabbit_1@vm.1795284303.2833.0>, <rabbit_2@vm.1795284303.3653.0>]');
    expect(tableCell([new Atom('monitoring'), new Atom('management')])).toBe('[monitoring, management]');
    expect(tableCell([new Tuple(['x-queue-type', 'quorum'])])).toBe('[{"x-queue-type","quorum"}]');
    expect(tableCell(new Tuple([new Atom('syncing'), 98304]))).toBe('{syncing, 98304}');
    expect(jsonValue(new Tuple([new Atom('syncing'), 32768]))).toEqual(['syncing', 32768]);
    expect(jsonValue([new Atom('administrator')])).toEqual(['administrator']);
  });

  it('rounds sizes the way status does', () => {
    expect(inUnit(50_000_000, 'gb')).toBe('0.05 gb');
    expect(inUnit(127_500_000, 'gb')).toBe('0.1275 gb');
    expect(inUnit(10_000, 'gb')).toBe('0.0 gb');
    expect(inUnit(85_407_592_448, 'gb')).toBe('85.4076 gb');
    expect(inUnit(1234, 'bytes')).toBe('1234 bytes');
    expect(decimal(62.1349, 2)).toBe('62.13');
    expect(decimal(2.1, 2)).toBe('2.1');
    expect(decimal(0, 2)).toBe('0.0');
  });
});
