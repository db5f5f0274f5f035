// The value rules of the list commands' columns (addresses, AMQP tables, pretty_table cells,
// JSON floats), lists that print as one value when empty, consumers grouped by queue in Erlang
// output, and column arguments, as rabbitmqctl 3.10 shows them (captured from a real node).

import { describe, expect, it } from 'vitest';
import { renderRows } from '../../src/cli/formatters/rows.js';
import { ipv6Text, jsonText, prettyCell, tableCell } from '../../src/cli/formatters/values.js';
import { QUEUE_ITEMS, VHOST_ITEMS, addressTuple, parseColumns, termOf } from '../../src/cli/info-items.js';
import { ABSENT, Atom, Float, Pid, Tuple, type Row } from '../../src/cli/term.js';
import { ValidationError } from '../../src/cli/errors.js';

async function render(formatter: Parameters<typeof renderRows>[0], columns: string[], batches: Row[][], shape = {}) {
  let out = '';
  async function* rows() {
    yield* batches;
  }
  await renderRows(formatter, columns, rows(), { write: (t) => void (out += t), headers: true, styled: false }, shape);
  return out;
}

const args = termOf('table', [
  ['x-max-length', 'byte', 10],
  ['x-dead-letter-exchange', 'longstr', 'dlx'],
  ['x-flag', 'bool', true],
  ['x-nested', 'table', [['a', 'longstr', 'b'], ['n', 'byte', 1]]],
  ['x-arr', 'array', [['longstr', 'a'], ['byte', 1]]],
]);

describe('column values', () => {
  it('prints addresses as inet:ntoa does, and sends them to JSON as tuples', () => {
    expect(addressTuple('::ffff:127.0.0.1')).toEqual(new Tuple([0, 0, 0, 0, 0, 65535, 32512, 1]));
    expect(tableCell(addressTuple('::ffff:127.0.0.1'))).toBe('127.0.0.1');
    expect(tableCell(addressTuple('10.1.2.3'))).toBe('10.1.2.3');
    expect(tableCell(addressTuple('::1'))).toBe('::1');
    expect(tableCell(addressTuple('fe80::1:0:0:2%eth0'))).toBe('fe80::1:0:0:2');
    expect(ipv6Text([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe('2001:db8::1:0:0:1');
    expect(jsonText(addressTuple('::ffff:127.0.0.1'))).toBe('[0,0,0,0,0,65535,32512,1]');
  });

  it('prints an AMQP table as rabbitmqctl does in each formatter', () => {
    expect(tableCell(args)).toBe('[{"x-max-length",10},{"x-dead-letter-exchange","dlx"},{"x-flag",true},{"x-nested",[{"a","b"},{"n",1}]},{"x-arr",["a",1]}]');
    expect(jsonText(args)).toBe(
      '[["x-max-length","byte",10],["x-dead-letter-exchange","longstr","dlx"],["x-flag","bool",true],' +
        '["x-nested","table",[["a","longstr","b"],["n","byte",1]]],["x-arr","array",{"longstr":"a","byte":1}]]',
    );
    expect(prettyCell(termOf('table', [['x-priority', 'byte', 5]]))).toBe('{<<"x-priority">>,byte,5}');
  });

  it('prints tuples, protocol versions and node states as the table formatter does', () => {
    expect(tableCell(termOf('tuple', [0, 9, 1]))).toBe('{0,9,1}');
    expect(tableCell(termOf('states', { 'rabbit@vm': 'running' }))).toBe('[{rabbit@vm, running}]');
    expect(jsonText(termOf('states', { 'rabbit@vm': 'running' }))).toBe('{"rabbit@vm":"running"}');
    expect(tableCell(termOf('binary_or_undefined', null))).toBe('undefined');
  });

  it('prints pretty_table cells by stdout_formatter\'s rules', () => {
    expect(prettyCell([new Atom('monitoring'), new Atom('management')])).toBe('monitoringmanagement');
    expect(prettyCell([])).toBe('');
    expect(prettyCell(ABSENT)).toBe('');
    expect(prettyCell(new Float(1))).toBe('1.000000');
    expect(prettyCell(new Pid('rabbit@vm', 1, 1054, 0))).toMatch(/^<\d+\.1054\.0>$/);
  });

  it('writes consumer utilisation as a float, and 0 when there are no consumers', () => {
    expect(jsonText(termOf('ratio', 1))).toBe('1.0');
    expect(jsonText(termOf('ratio', 0.9999999895454738))).toBe('0.9999999895454738');
    expect(jsonText(termOf('ratio', null))).toBe('0');
  });
});

describe('lists printed as one value', () => {
  it('print an empty list as rabbitmqctl\'s list_permissions does', async () => {
    const whole = { whole: true };
    expect(await render('table', ['user'], [], whole)).toBe('\n');
    expect(await render('json', ['user'], [], whole)).toBe('[]\n');
    expect(await render('csv', ['user'], [], whole)).toBe('\r\n\r\n\n');
    expect(await render('erlang', ['user'], [], whole)).toBe('[]\n');
    expect(await render('pretty_table', ['user'], [], whole)).toBe('┌────────┐\n│ Output │\n├────────┤\n│ []     │\n└────────┘\n');
  });

  it('keep the CSV header even when table headers are off', async () => {
    let out = '';
    async function* rows() {
      yield [[['user', 'guest']]] as Row[];
    }
    await renderRows('csv', ['user'], rows(), { write: (t) => void (out += t), headers: false, styled: false });
    expect(out).toBe('"user"\n"guest"\n');
  });

  it('nest grouped batches in Erlang output, as list_consumers groups by queue', async () => {
    const row = (q: string, tag: string): Row => [['queue_name', q], ['consumer_tag', tag]];
    const out = await render('erlang', ['queue_name', 'consumer_tag'], [[row('a', 'x'), row('a', 'y')], [row('b', 'z')]], { grouped: true });
    expect(out).toBe(
      '[[[{queue_name,<<"a">>},{consumer_tag,<<"x">>}],\n' +
        '  [{queue_name,<<"a">>},{consumer_tag,<<"y">>}]],\n' +
        ' [[{queue_name,<<"b">>},{consumer_tag,<<"z">>}]]]\n',
    );
  });
});

describe('column arguments', () => {
  it('take columns space- or comma-separated, and default when none are given', () => {
    expect(parseColumns([], QUEUE_ITEMS)).toEqual(['name', 'messages']);
    expect(parseColumns(['name,messages', 'durable'], QUEUE_ITEMS)).toEqual(['name', 'messages', 'durable']);
    expect(parseColumns(['name', 'tracing'], VHOST_ITEMS)).toEqual(['name', 'tracing']);
  });

  it('refuse unknown columns with rabbitmqctl\'s message', () => {
    expect(() => parseColumns(['name', 'nosuchcolumn', 'other'], QUEUE_ITEMS)).toThrow(
      new ValidationError('Info key(s) nosuchcolumn,other are not supported'),
    );
  });

  it('know every info item of 3.10\'s list_queues, plus the newer mirror_pids names and effective_policy_definition (not in the help)', () => {
    expect(QUEUE_ITEMS.hidden).toEqual(['mirror_pids', 'synchronised_mirror_pids', 'effective_policy_definition']);
    expect(Object.keys(QUEUE_ITEMS.kinds).filter((k) => !QUEUE_ITEMS.hidden!.includes(k)).sort()).toEqual(
      ('arguments auto_delete consumer_capacity consumer_utilisation consumers disk_reads disk_writes durable exclusive ' +
        'exclusive_consumer_pid exclusive_consumer_tag head_message_timestamp leader members memory message_bytes ' +
        'message_bytes_persistent message_bytes_ram message_bytes_ready message_bytes_unacknowledged messages ' +
        'messages_persistent messages_ram messages_ready messages_ready_ram messages_unacknowledged ' +
        'messages_unacknowledged_ram name online owner_pid pid policy slave_pids state synchronised_slave_pids type').split(' '),
    );
  });
});
