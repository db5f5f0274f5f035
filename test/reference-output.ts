// Helpers for comparing warrenctl with rabbitmqctl's captured output: the captured command line
// as arguments, the capture as warrenctl prints it to a pipe (no ANSI bold, the pretty_table box
// in plain Unicode, the program's own name), and pids reduced to their shape.

import { execa } from 'execa';
import { expect } from 'vitest';
import { BIN, reference, type CtlResult, type Host, type NodeHandle } from './harness.js';

/** The words of a captured command line after `rabbitmqctl` (double and single quotes). */
export function shellWords(cmd: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(cmd); m !== null; m = re.exec(cmd)) words.push(m[1] ?? m[2] ?? m[3]);
  return words[0] === 'rabbitmqctl' ? words.slice(1) : words;
}

const DEC: Record<string, string> = {
  l: '┌', q: '─', w: '┬', k: '┐', x: '│', t: '├', n: '┼', u: '┤', m: '└', v: '┴', j: '┘',
};

/** A capture as warrenctl writes it to a pipe. */
export function asWarren(text: string): string {
  return text
    .replace(/\x1b\(0([a-z]+)\x1b\(B/g, (_, s: string) => [...s].map((c) => DEC[c] ?? c).join(''))
    .replace(/\x1b\[[0-9;]*m/g, '')
    .replaceAll('rabbitmqctl', 'warrenctl');
}

/** Pids reduced to their shape, since their numbers differ between any two runs. */
export function withoutPids(text: string): string {
  return text
    .replace(/<[^<>\s]+@[^<>\s]+\.\d+\.\d+\.\d+>/g, '<PID>')
    .replace(/#PID<\d+\.\d+\.\d+>/g, '#PID<N.N.N>')
    .replace(/<\d+\.\d+\.\d+>/g, '<N.N.N>');
}

/** The capture `file` (e.g. '07-users-vhosts/001'), its command's arguments and its output as warrenctl's. */
export function expected(file: string, rewrite: (s: string) => string = (s) => s) {
  const ref = reference(file);
  return {
    args: shellWords(ref.cmd),
    stdout: rewrite(asWarren(ref.stdout)),
    stderr: rewrite(asWarren(ref.stderr)),
    exitCode: ref.exit,
  };
}

/**
 * warrenctl with `input` on stdin (the harness leaves stdin open), reaching `node` as the
 * default node, so that the arguments (and "Arguments given:") are exactly those captured.
 */
export async function ctlWithInput(host: Host, node: NodeHandle, args: string[], input: string): Promise<CtlResult> {
  const r = await execa('node', [BIN.ctl, ...args], {
    env: host.baseEnv({ RABBITMQ_NODENAME: node.name }),
    extendEnv: false,
    reject: false,
    timeout: 60_000,
    stripFinalNewline: false,
    input,
  });
  return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
}

/**
 * Runs capture `file` on `node`, the capture's node name `captured` standing for it, and
 * expects exactly the captured output and exit code.
 */
export async function replayCapture(host: Host, node: NodeHandle, file: string, captured: string): Promise<void> {
  const want = expected(file, (s) => s.replaceAll(captured, node.name));
  const args = want.args.map((a) => (a === captured ? node.name : a));
  const got = await ctlWithInput(host, node, args, '');
  expect({ file, ...got }).toEqual({ file, stdout: want.stdout, stderr: want.stderr, exitCode: want.exitCode });
}
