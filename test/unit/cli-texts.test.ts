// Texts warrenctl composes without a node: command suggestions, diagnostics for an unreachable
// node (compared with rabbitmqctl's), the registry against the man page, and the version.

import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NodeUnreachable } from '../../src/control/client.js';
import { unreachableText } from '../../src/cli/diagnostics.js';
import { commandNames, jaro, suggestCommand } from '../../src/cli/registry.js';
import { WARREN_VERSION } from '../../src/node/version.js';
import { reference } from '../harness.js';

describe('command suggestions', () => {
  it('suggests what rabbitmqctl suggests for typos, and nothing for noise', () => {
    expect(suggestCommand('statu')).toBe('status');
    expect(suggestCommand('stat')).toBe('status');
    expect(suggestCommand('clusterstatus')).toBe('cluster_status');
    expect(suggestCommand('ping2')).toBe('ping');
    expect(suggestCommand('pin')).toBe('ping');
    expect(suggestCommand('reste')).toBe('reset');
    expect(suggestCommand('stop_ap')).toBe('stop_app');
    expect(suggestCommand('start')).toBe('start_app');
    expect(suggestCommand('frobnicate')).toBeUndefined();
    expect(suggestCommand('xyzzy')).toBeUndefined();
  });

  it('computes Jaro similarity', () => {
    expect(jaro('MARTHA', 'MARHTA')).toBeCloseTo(0.944, 3);
    expect(jaro('abc', 'abc')).toBe(1);
    expect(jaro('abc', 'xyz')).toBe(0);
  });
});

describe('diagnostics for an unreachable node', () => {
  const self = (ref: string) => {
    const name = /node name: '([^']+)'/.exec(ref)![1];
    const home = /home directory: (.+)/.exec(ref)![1];
    const cookieHash = /cookie hash: (.+)/.exec(ref)![1];
    return { name, home, cookieHash };
  };

  it('matches rabbitmqctl for a node that is not running', () => {
    const ref = reference('02-errors/014').stderr;
    const err = new NodeUnreachable('nosuchnode@vm', {
      kind: 'not_registered',
      host: 'vm',
      epmdPort: 4369,
      others: ['acc0', 'rabbit', 'rabbit_1', 'rabbit_2'],
    });
    expect(unreachableText(err, self(ref))).toBe(ref);
  });

  it('wraps a long list of other nodes as rabbitmqctl does', () => {
    const ref = reference('02-errors/010').stderr;
    const err = new NodeUnreachable('nosuchnode@localhost', {
      kind: 'not_registered',
      host: 'localhost',
      epmdPort: 4369,
      others: ['acc0', 'rabbit', 'rabbit_1', 'rabbit_2', 'rabbitmqcli-77-rabbit'],
    });
    expect(unreachableText(err, self(ref))).toBe(ref);
  });

  it('matches rabbitmqctl for an unknown host and for a refused cookie', () => {
    const host = reference('02-errors/015').stderr;
    expect(
      unreachableText(
        new NodeUnreachable('rabbit@nosuchhost', { kind: 'mapper_unreachable', host: 'nosuchhost', epmdPort: 4369, reason: 'nxdomain' }),
        self(host),
      ),
    ).toBe(host);
    const cookie = reference('02-errors/017').stderr;
    expect(
      unreachableText(
        new NodeUnreachable('rabbit@vm', { kind: 'refused', host: 'vm', epmdPort: 4369, port: 25672, reason: 'bad_cookie' }),
        self(cookie),
      ),
    ).toBe(cookie);
  });
});

describe('the registry', () => {
  it('is documented command by command in the man page', () => {
    const man = fs.readFileSync(new URL('../../man/warrenctl.8', import.meta.url), 'utf8');
    for (const name of commandNames) expect(man).toMatch(new RegExp(`^\\.B ${name}\\b`, 'm'));
  });

  it('carries the package version', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(WARREN_VERSION).toBe(pkg.version);
  });
});
