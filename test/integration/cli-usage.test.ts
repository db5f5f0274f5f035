// warrenctl's usage texts and argument errors, compared with rabbitmqctl 3.10's captured output
// (../shared/reference/rabbitmq-3.10/raw). Only the program name and ANSI bold differ: warrenctl
// prints bold only on a terminal.

import { afterAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { Host, reference, stripAnsi } from '../harness.js';

const host = new Host();
const asWarren = (text: string) => stripAnsi(text).replaceAll('rabbitmqctl', 'warrenctl');
const ctl = (args: string[]) => host.ctlRaw(args);
afterAll(() => host.cleanup());

describe('usage and help', () => {
  it('prints one command\'s help exactly as rabbitmqctl does', async () => {
    for (const [file, args] of [
      ['01-single-node/033', ['help', 'cluster_status']],
      ['01-single-node/034', ['help', 'stop_app']],
      ['01-single-node/035', ['help', 'reset']],
    ] as const) {
      const ref = reference(file);
      const r = await ctl([...args]);
      expect(r.exitCode).toBe(ref.exit);
      expect(r.stdout).toBe(asWarren(ref.stdout));
      expect(r.stderr).toBe('');
    }
  });

  it('prints the same help for `<command> --help`', async () => {
    const viaHelp = await ctl(['help', 'status']);
    const viaFlag = await ctl(['status', '--help']);
    expect(viaFlag.stdout).toBe(viaHelp.stdout);
    expect(viaHelp.stdout).toContain('\nUsage\n\nwarrenctl [--node <node>] [--longnames] [--quiet] status [--unit <unit>] [--timeout <timeout>]\n\nDisplays status of a node.\n');
  });

  it('prints the full usage on stdout for help, and on stderr with exit 64 for no command', async () => {
    const help = await ctl(['help']);
    expect(help.exitCode).toBe(0);
    const none = await ctl([]);
    expect(none.exitCode).toBe(64);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(help.stdout);
    const ref = asWarren(reference('02-errors/001').stderr);
    // Same frame and the same lines, for the commands Warren has.
    expect(help.stdout.startsWith(ref.slice(0, ref.indexOf('Available commands:\n\n') + 'Available commands:\n\n'.length))).toBe(true);
    expect(help.stdout.endsWith("\nUse 'warrenctl help <command>' to learn more about a specific command\n")).toBe(true);
    const refLines = new Set(ref.split('\n'));
    for (const line of help.stdout.split('\n').filter((l) => l.startsWith('   '))) expect(refLines).toContain(line);
  });

  it('suggests a close command, or prints the usage for an unknown one', async () => {
    const typo = await ctl(['stop_ap']);
    expect(typo).toMatchObject({ exitCode: 64, stdout: '', stderr: "\nCommand 'stop_ap' not found. \nDid you mean 'stop_app'? \n\n" });
    const unknown = await ctl(['frobnicate']);
    expect(unknown.exitCode).toBe(64);
    expect(unknown.stderr.startsWith("\nCommand 'frobnicate' not found. \n\nUsage\n\n")).toBe(true);
    const helpUnknown = await ctl(['help', 'frobnicate']);
    const ref = reference('02-errors/004');
    expect(helpUnknown).toMatchObject({ exitCode: ref.exit, stdout: '', stderr: asWarren(ref.stderr) });
  });

  it('rejects too many arguments and unknown options like rabbitmqctl', async () => {
    const extra = await ctl(['status', 'extra_arg']);
    const ref = reference('02-errors/008');
    expect(extra).toMatchObject({ exitCode: ref.exit, stdout: '', stderr: asWarren(ref.stderr) });

    const frob = await ctl(['status', '--frob']);
    expect(frob.exitCode).toBe(64);
    expect(frob.stderr.startsWith('Error (argument validation): Invalid options for this command:\n--frob : \nArguments given:\n\tstatus --frob\n')).toBe(true);

    const badTimeout = await ctl(['status', '--timeout', 'abc']);
    expect(badTimeout.exitCode).toBe(64);
    expect(badTimeout.stderr.startsWith('Error (argument validation): Invalid options for this command:\n--timeout : abc\nArguments given:\n\tstatus --timeout abc\n')).toBe(true);

    const few = await ctl(['await_online_nodes']);
    expect(few.exitCode).toBe(64);
    expect(few.stderr.startsWith('Error (argument validation): not enough arguments.\n')).toBe(true);
  });

  it('prints its version', async () => {
    const pkg = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')));
    for (const args of [['version'], ['--version']]) {
      expect(await ctl(args)).toMatchObject({ exitCode: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });

  it('writes bold headings on a terminal, and none under NO_COLOR', async () => {
    // A clean environment: chalk, like most tools, turns colour off under CI=... too.
    const env = { PATH: process.env.PATH, TERM: 'xterm' };
    const tty = await execa('script', ['-qec', 'node bin/warrenctl help stop_app', '/dev/null'], { reject: false, env, extendEnv: false });
    expect(String(tty.stdout)).toContain('\x1b[1mUsage\x1b[0m');
    const noColor = await execa('script', ['-qec', 'node bin/warrenctl help stop_app', '/dev/null'], {
      reject: false,
      env: { ...env, NO_COLOR: '1' },
      extendEnv: false,
    });
    expect(String(noColor.stdout)).not.toContain('\x1b[');
  });
});
