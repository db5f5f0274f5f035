// What goes wrong and how warrenctl says so: a wrong cookie, a node that is down or was killed
// with -9, a node that does not answer in time, a bad config file, a cookie file others can read;
// and -detached, and a node that starts its own port mapper.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { execa } from 'execa';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, Host, HOSTNAME, freePort, processAlive, waitFor, type NodeHandle } from '../harness.js';

const cookieHash = (c: string) => createHash('md5').update(c).digest('base64');

describe('reaching a node that cannot be reached', () => {
  const host = new Host();
  let node: NodeHandle;

  beforeAll(async () => {
    await host.startMapper();
    node = await host.startNode('rabbit');
  });
  afterAll(() => host.cleanup());

  it('refuses a wrong cookie with diagnostics and exit 69, and the node logs it', async () => {
    const r = await host.ctl(node, ['status', '--erlang-cookie', 'WRONG']);
    expect(r.exitCode).toBe(69);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Error: unable to perform an operation on node '${node.name}'. Please see diagnostics information and suggestions below.`);
    expect(r.stderr).toContain(
      `${node.name}:\n  * connected to epmd (port ${host.epmdPort}) on ${HOSTNAME}\n` +
        `  * epmd reports node 'rabbit' uses port ${node.distPort} for inter-node and CLI tool traffic \n` +
        '  * TCP connection succeeded but Erlang distribution failed \n' +
        '  * suggestion: check if the Erlang cookie is identical for all server nodes and CLI tools\n',
    );
    expect(r.stderr).toContain(` * Erlang cookie hash: ${cookieHash('WRONG')}\n`);
    expect(r.stderr).toContain(` * effective user's home directory: ${host.home}\n`);
    await waitFor('the refusal in the log', () => fs.readFileSync(node.logFile, 'utf8').includes('rejected: invalid challenge reply') || undefined);
  });

  it('refuses a wrong cookie given by the environment too', async () => {
    const r = await host.ctl(node, ['ping'], { RABBITMQ_ERLANG_COOKIE: 'ALSOWRONG' });
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toBe(`Error:\nFailed to connect and authenticate to ${node.name} in 60000 ms\n`);
  });

  it('reports a node that is not running, listing the ones that are', async () => {
    const r = await host.ctlRaw(['-n', 'nosuchnode', 'status']);
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toContain(
      `nosuchnode@${HOSTNAME}:\n  * connected to epmd (port ${host.epmdPort}) on ${HOSTNAME}\n` +
        "  * epmd reports: node 'nosuchnode' not running at all\n" +
        `                  other nodes on ${HOSTNAME}: [rabbit]\n  * suggestion: start the node\n\nCurrent node details:\n`,
    );
  });

  it('reports an unknown host', async () => {
    const r = await host.ctlRaw(['-n', 'rabbit@no-such-host.invalid', 'status']);
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toContain(
      `  * unable to connect to epmd (port ${host.epmdPort}) on no-such-host.invalid: nxdomain (non-existing domain)\n\n\nCurrent node details:`,
    );
  });

  it('reports a timeout with exit 75 and no banner', async () => {
    for (const cmd of ['status', 'cluster_status']) {
      const r = await host.ctl(node, [cmd, '-t', '0']);
      expect(r).toMatchObject({
        exitCode: 75,
        stdout: '',
        stderr: `Error: operation ${cmd} on node ${node.name} timed out. Timeout value used: 0\n`,
      });
    }
  });

  it('times out against a node that stopped answering (SIGSTOP)', async () => {
    const pid = node.pid();
    process.kill(pid, 'SIGSTOP');
    try {
      const r = await host.ctl(node, ['status', '--timeout', '2']);
      expect(r.exitCode).toBe(75);
      expect(r.stderr).toBe(`Error: operation status on node ${node.name} timed out. Timeout value used: 2000\n`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await host.ctl(node, ['ping', '-q'])).exitCode).toBe(0);
  });

  it('reports a node killed with -9 as down, promptly', async () => {
    const victim = await host.startNode('victim');
    const pid = victim.pid();
    process.kill(pid, 'SIGKILL');
    await waitFor('the process to die', () => !processAlive(pid) || undefined);
    const started = Date.now();
    const r = await host.ctl(victim, ['status']);
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toContain("  * epmd reports: node 'victim' not running at all\n");
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('starting nodes', () => {
  const host = new Host();
  beforeAll(() => host.startMapper());
  afterAll(() => host.cleanup());

  it('-detached returns once the node answers, with its pid file written', async () => {
    const node = await host.prepareNode('bg');
    const r = await execa('node', [BIN.server, '-detached'], { env: node.env, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(0);
    host.track(node.pid());
    expect(processAlive(node.pid())).toBe(true);
    const ping = await host.ctl(node, ['ping', '-q']);
    expect(ping).toMatchObject({ exitCode: 0, stdout: 'Ping succeeded\n' });
    expect((await host.ctl(node, ['await_startup'])).exitCode).toBe(0);
  });

  it('stops at a config file with an unknown key, naming the line, exit 78', async () => {
    const conf = path.join(host.dir, 'bad.conf');
    fs.writeFileSync(conf, 'listeners.tcp.default = 5672\nno_such.setting = 1\n');
    const node = await host.prepareNode('badconf', { RABBITMQ_CONFIG_FILE: conf });
    const r = await execa('node', [BIN.server], { env: node.env, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toContain(`${conf}:2`);
    expect(String(r.stderr)).toContain('no_such.setting');
  });

  it('stops at a config file with a bad value, naming the line, exit 78', async () => {
    const conf = path.join(host.dir, 'badvalue.conf');
    fs.writeFileSync(conf, '# comment\n\ncluster_partition_handling = sometimes\n');
    const node = await host.prepareNode('badvalue', { RABBITMQ_CONFIG_FILE: conf });
    const r = await execa('node', [BIN.server, '-detached'], { env: node.env, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toContain(`${conf}:3`);
  });

  it('refuses a cookie file that others can read', async () => {
    const node = await host.prepareNode('opencookie');
    const home = path.join(host.dir, 'open-home');
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, '.erlang.cookie'), 'SOMECOOKIE', { mode: 0o644 });
    const r = await execa('node', [BIN.server], { env: { ...node.env, HOME: home }, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(78);
    expect(String(r.stderr)).toContain(`Cookie file ${home}/.erlang.cookie must be accessible by owner only`);
    const ctl = await host.ctl(node, ['status'], { HOME: home });
    expect(ctl.exitCode).toBe(78);
    expect(ctl.stderr).toContain('must be accessible by owner only');
  });

  it('creates a missing cookie file with 20 capitals, owner-read-only', async () => {
    const cookieFile = path.join(host.home, '.erlang.cookie');
    const stat = fs.statSync(cookieFile);
    expect(stat.mode & 0o777).toBe(0o400);
    expect(fs.readFileSync(cookieFile, 'utf8')).toMatch(/^[A-Z]{20}$/);
  });

  it('refuses a second node with a name already in use', async () => {
    const first = await host.startNode('twin');
    const second = await host.prepareNode('twin-2', { RABBITMQ_NODENAME: first.name });
    const r = await execa('node', [BIN.server], { env: second.env, extendEnv: false, reject: false });
    expect(r.exitCode).toBe(69);
    expect(String(r.stderr)).toContain('already in use');
  });
});

describe('a node with no port mapper running', () => {
  const host = new Host();
  afterAll(async () => {
    await execa('node', [BIN.epmd, '-kill', '-port', String(host.epmdPort)], { reject: false });
    await host.cleanup();
  });

  it('starts one, which survives the node and is found by the CLI', async () => {
    host.epmdPort = await freePort();
    const node = await host.startNode('rabbit');
    const names = await host.ctlRaw(['-names'], BIN.epmd);
    expect(names.stdout).toContain(`name rabbit at port ${node.distPort}`);
    expect((await host.ctl(node, ['stop'])).exitCode).toBe(0);
    const after = await host.ctlRaw(['-names'], BIN.epmd);
    expect(after.exitCode).toBe(0);
    expect(after.stdout).not.toContain('name rabbit ');
  });
});
