// warrenctl's driver: find the command, parse and validate its arguments (commander), reach the
// node, check the app state, print the banner, run, render the result with the chosen
// formatter, and turn every failure into rabbitmqctl's message and exit code.

import path from 'node:path';
import { Command as Commander, CommanderError } from 'commander';
import { connect as connectNode, ControlClient, NodeUnreachable } from '../control/client.js';
import { ControlError } from '../control/errors.js';
import { CookieError, cookieHash, homeDir, resolveCookie } from '../control/cookie.js';
import { qualifyNodeName, shortHostname } from '../node/env.js';
import { epmdPortFromEnv } from '../node/portmapper-client.js';
import type { Command, FormatterName, GlobalOptions, Result, RunContext } from './command.js';
import { unreachableText } from './diagnostics.js';
import {
  AppStateError,
  CommandError,
  EX_CONFIG,
  EX_OK,
  EX_SOFTWARE,
  EX_USAGE,
  TimeoutError,
  ValidationError,
  exitCodeOf,
} from './errors.js';
import { commandHelp, errorUsage, fullUsage } from './help.js';
import { loadAllCommands, loadCommand, suggestCommand } from './registry.js';
import { boldFor, stdoutIsStyled } from './style.js';

const VALUE_OPTIONS = new Set(['-n', '--node', '-t', '--timeout', '-p', '--vhost', '--formatter', '--erlang-cookie']);
const FORMATTERS: FormatterName[] = ['table', 'json', 'erlang', 'pretty_table', 'csv', 'string'];
/** How long reaching a node may take when no --timeout says otherwise (Erlang's net_setuptime). */
const CONNECT_TIMEOUT_MS = 7000;
/** A short --timeout still leaves a local connection time to finish, so that a fast node
 * with --timeout 0 is reported as timed out, and a down one as down, as rabbitmqctl does. */
const MIN_CONNECT_MS = 1000;

export async function main(argv: string[]): Promise<number> {
  const prog = path.basename(process.argv[1] ?? 'warrenctl');
  // A reader that has seen enough (`list_queues | head`) ends the listing, quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(EX_OK);
  });
  try {
    return await dispatch(prog, argv);
  } catch (err) {
    process.stderr.write(`Error:\n${(err as Error).stack ?? String(err)}\n`);
    return EX_SOFTWARE;
  }
}

async function dispatch(prog: string, argv: string[]): Promise<number> {
  const at = commandIndex(argv);
  if (at < 0) {
    if (argv.includes('--version')) return dispatch(prog, [...argv.filter((a) => a !== '--version'), 'version']);
    process.stderr.write(fullUsage(prog, await loadAllCommands(), boldFor('stderr')));
    return EX_USAGE;
  }
  const name = argv[at];
  const cmd = await loadCommand(name);
  if (!cmd) {
    const suggestion = suggestCommand(name);
    process.stderr.write(
      suggestion
        ? `\nCommand '${name}' not found. \nDid you mean '${suggestion}'? \n\n`
        : `\nCommand '${name}' not found. \n${fullUsage(prog, await loadAllCommands(), boldFor('stderr'))}`,
    );
    return EX_USAGE;
  }
  const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (rest.includes('-?') || rest.includes('--help')) {
    process.stdout.write(commandHelp(prog, cmd, boldFor('stdout')));
    return EX_OK;
  }

  let parsed: { args: string[]; opts: GlobalOptions; switches: RunContext['switches'] };
  try {
    parsed = parseArguments(cmd, rest);
  } catch (err) {
    if (err instanceof ValidationError) return usageFailure(prog, cmd, argv, `Error (argument validation): ${err.message}`, err.code);
    throw err;
  }
  return execute(prog, cmd, argv, parsed);
}

/** Index of the command name: the first word that is neither an option nor an option's value. */
function commandIndex(argv: string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

function parseArguments(cmd: Command, rest: string[]): { args: string[]; opts: GlobalOptions; switches: RunContext['switches'] } {
  const p = new Commander()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .helpOption(false)
    .allowExcessArguments(true)
    .argument('[args...]')
    .option('-n, --node <node>')
    .option('-q, --quiet')
    .option('-s, --silent')
    .option('-t, --timeout <timeout>')
    .option('-l, --longnames')
    .option('-p, --vhost <vhost>')
    .option('--formatter <formatter>')
    .option('--no-table-headers')
    .option('--erlang-cookie <cookie>');
  for (const [name, sw] of Object.entries(cmd.switches ?? {})) {
    const flags = `${sw.short ? `-${sw.short}, ` : ''}--${name}${sw.type === 'boolean' ? '' : ` <${name}>`}`;
    p.option(flags);
  }
  try {
    p.parse(rest, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      const m = /'(-[^']+)'/.exec(err.message);
      throw new ValidationError(`Invalid options for this command:\n${m ? m[1] : err.message} : `);
    }
    throw err;
  }
  const o = p.opts();
  const timeout = o.timeout === undefined ? undefined : parseTimeout(String(o.timeout));
  const formatter = o.formatter as string | undefined;
  if (formatter !== undefined && !FORMATTERS.includes(formatter as FormatterName)) {
    throw new ValidationError(`Formatter ${formatter} is not supported`);
  }
  const longnames = o.longnames === true;
  const switches: RunContext['switches'] = {};
  for (const [name, sw] of Object.entries(cmd.switches ?? {})) {
    const value = o[camel(name)] as string | boolean | undefined;
    if (sw.type === 'integer' && value !== undefined) {
      if (!/^-?\d+$/.test(String(value))) throw new ValidationError(`Invalid options for this command:\n--${name} : ${String(value)}`);
      switches[name] = Number(value);
    } else switches[name] = value;
  }
  const args = p.args.flatMap((a) => a);
  if (args.length < cmd.arity.min) throw new ValidationError('not enough arguments.');
  if (args.length > cmd.arity.max) throw new ValidationError('too many arguments.');
  cmd.validate?.(args, switches);
  return {
    args,
    switches,
    opts: {
      node: qualifyNodeName((o.node as string | undefined) ?? (process.env.RABBITMQ_NODENAME || 'rabbit'), longnames),
      quiet: o.quiet === true || o.silent === true,
      silent: o.silent === true,
      timeout,
      longnames,
      vhost: (o.vhost as string | undefined) ?? '/',
      formatter: formatter as FormatterName | undefined,
      tableHeaders: o.tableHeaders !== false && o.silent !== true,
      erlangCookie: o.erlangCookie as string | undefined,
    },
  };
}

function parseTimeout(raw: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ValidationError(`Invalid options for this command:\n--timeout : ${raw}`);
  return Number(raw);
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function usageFailure(prog: string, cmd: Command, argv: string[], first: string, code: number): number {
  process.stderr.write(`${first}\n${errorUsage(prog, cmd, argv, boldFor('stderr'))}`);
  return code;
}

async function execute(
  prog: string,
  cmd: Command,
  argv: string[],
  parsed: { args: string[]; opts: GlobalOptions; switches: RunContext['switches'] },
): Promise<number> {
  const { opts } = parsed;
  const timeoutSeconds = opts.timeout ?? cmd.defaultTimeout;
  const timeoutMs = timeoutSeconds === undefined ? Infinity : Math.round(timeoutSeconds * 1000);
  const deadline = Date.now() + timeoutMs;
  const remainingMs = () => Math.max(0, deadline - Date.now());
  const nodeShort = opts.node.split('@')[0];
  const self = { name: `warrenctl-${process.pid % 1000}-${nodeShort}@${shortHostname()}`, home: homeDir(), cookieHash: '' };

  let cookie: string | undefined;
  const getCookie = (): string => {
    if (cookie === undefined) {
      cookie = resolveCookie(opts.erlangCookie);
      self.cookieHash = cookieHash(cookie);
    }
    return cookie;
  };
  const connect = async (node: string, limitMs: number): Promise<ControlClient> =>
    connectNode({
      node,
      epmdPort: epmdPortFromEnv(),
      cookie: getCookie(),
      selfName: self.name,
      kind: 'cli',
      timeoutMs: Math.min(CONNECT_TIMEOUT_MS, Math.max(limitMs, MIN_CONNECT_MS)),
    });

  const formatter = opts.formatter ?? cmd.defaultFormatter ?? 'string';
  const showBanner = !opts.quiet && formatter !== 'json' && formatter !== 'csv';
  let client: ControlClient | undefined;
  try {
    const mode = cmd.node ?? 'connect';
    await cmd.validateEnvironment?.({ ...parsed, connect, remainingMs });
    if (mode === 'self' && showBanner) writeLines(cmd.banner?.(bannerContext()) ?? []);
    if (mode === 'connect') {
      try {
        client = await connect(opts.node, remainingMs());
      } catch (err) {
        // A node that accepts the connection but never answers is slow, not down.
        if (err instanceof NodeUnreachable && err.why.kind === 'handshake_timeout' && remainingMs() <= 0) {
          throw new TimeoutError(cmd.name, opts.node, timeoutMs);
        }
        throw err;
      }
      const app = client.info.app;
      if (cmd.requiresApp === 'running' && app !== 'running') throw new AppStateError('running');
      if (cmd.requiresApp === 'stopped' && app !== 'stopped') throw new AppStateError('stopped');
    }
    if (remainingMs() <= 0) throw new TimeoutError(cmd.name, opts.node, timeoutMs);
    if (mode !== 'self' && showBanner) writeLines(cmd.banner?.(bannerContext()) ?? []);
    const ctx: RunContext = {
      ...parsed,
      client: client as ControlClient,
      remainingMs,
      connect,
      progress: (line) => process.stdout.write(`${line}\n`),
      programName: prog,
    };
    const running = cmd.run(ctx);
    const result = cmd.handlesTimeout
      ? await running
      : await withDeadline(running, remainingMs(), () => new TimeoutError(cmd.name, opts.node, timeoutMs));
    await render(result, formatter, opts);
    return EX_OK;
  } catch (err) {
    return report(prog, cmd, argv, err, self);
  } finally {
    client?.close();
  }

  function bannerContext() {
    return { ...parsed, programName: prog };
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  if (!Number.isFinite(ms)) return work;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function writeLines(lines: string[]): void {
  if (lines.length > 0) process.stdout.write(lines.join('\n') + '\n');
}

function write(text: string): Promise<void> | void {
  if (!process.stdout.write(text)) return new Promise((r) => process.stdout.once('drain', () => r()));
}

async function render(result: Result, formatter: FormatterName, opts: GlobalOptions): Promise<void> {
  switch (result.kind) {
    case 'none':
      return;
    case 'ok':
      if (formatter === 'json') await write(`${JSON.stringify({ node: opts.node, result: 'ok' })}\n`);
      return;
    case 'text':
      await write(result.text(boldFor('stdout')));
      return;
    case 'lines': {
      const text = result.lines.map((l) => `${l}\n`).join('');
      if (result.stream === 'stderr') process.stderr.write(text);
      else await write(text);
      return;
    }
    case 'rows': {
      const { renderRows } = await import('./formatters/rows.js');
      await renderRows(
        formatter === 'string' ? 'table' : formatter,
        result.columns,
        result.rows,
        { write, headers: opts.tableHeaders, styled: stdoutIsStyled() },
        { whole: result.whole, grouped: result.grouped },
      );
      return;
    }
    case 'document': {
      if (formatter === 'json') {
        await write(`${JSON.stringify(result.json)}\n`);
      } else if (formatter === 'erlang') {
        const { formatErlangTerm } = await import('./formatters/erlang.js');
        await write(`${formatErlangTerm(result.erlang)}\n`);
      } else if (formatter === 'csv') {
        throw new CommandError('The csv formatter cannot show this command\'s output; use table, json or erlang', EX_USAGE);
      } else if (formatter === 'pretty_table') {
        const { prettyTable } = await import('./formatters/pretty-table.js');
        const styled = stdoutIsStyled();
        const body = result.text(boldFor('stdout')).split('\n').map((line) => [line]);
        await write(prettyTable(['Output'], body, styled));
      } else {
        await write(`${result.text(boldFor('stdout'))}\n`);
      }
      return;
    }
  }
}

function report(prog: string, cmd: Command, argv: string[], err: unknown, self: { name: string; home: string; cookieHash: string }): number {
  const code = exitCodeOf(err);
  if (err instanceof NodeUnreachable) {
    process.stderr.write(unreachableText(err, self));
    return 69;
  }
  if (err instanceof AppStateError) {
    const text = err.message.replaceAll("'rabbitmqctl ", `'${prog} `);
    return usageFailure(prog, cmd, argv, text, code);
  }
  if (err instanceof ValidationError) return usageFailure(prog, cmd, argv, `Error (argument validation): ${err.message}`, code);
  if (err instanceof TimeoutError) {
    process.stderr.write(`${err.message}\n`);
    return code;
  }
  if (err instanceof CookieError) {
    process.stderr.write(`Error:\n${err.message}\n`);
    return EX_CONFIG;
  }
  if (err instanceof CommandError) {
    process.stderr.write(err.bare ? `${err.message}\n` : `Error:\n${err.message}\n`);
    return code;
  }
  if (err instanceof ControlError) {
    process.stderr.write(`Error:\n${err.message}\n`);
    return EX_SOFTWARE;
  }
  process.stderr.write(`Error:\n${(err as Error).stack ?? String(err)}\n`);
  return code;
}

