// Partitions for real, without Warren: two small peers (fixtures/partition-peer.mjs), each in
// a cgroup of its own, keep a connection to each other and ping over both, both ways. Cut
// them: every direction goes quiet with no error, new connections hang, and a process outside
// both cgroups still reaches both. Heal them: the same connections carry on where they stopped.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './harness.js';
import { cgroupDir, cleanupPartitions, createCgroup, cut, heal, inCgroup, partitionSupport } from './partition.js';

const PEER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/partition-peer.mjs');
const support = await partitionSupport();
if (!support.ok) console.warn(`partition tests skipped: ${support.reason}`);

/** One line a peer reported (see fixtures/partition-peer.mjs), split into words. */
interface Report {
  at: number;
  kind: string;
  /** `in <remote port>` or `out <remote port>`: which connection, as the peer sees it. */
  link: string;
  rest: string[];
}

/** A peer process in its own cgroup, and what it has reported so far. */
class Peer {
  readonly cgroup: string;
  readonly reports: Report[] = [];
  distPort = 0;
  private readonly child: ChildProcess;

  constructor(label: string) {
    this.cgroup = createCgroup(label);
    const command = inCgroup(this.cgroup, process.execPath, [PEER]);
    this.child = spawn(command.file, command.args, { stdio: ['pipe', 'pipe', 'inherit'] });
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const [kind, ...words] = line.split(' ');
      const linked = ['ping', 'error', 'close'].includes(kind);
      this.reports.push({ at: Date.now(), kind, link: linked ? words.slice(0, 2).join(' ') : '', rest: linked ? words.slice(2) : words });
    });
  }

  async started(): Promise<void> {
    this.distPort = Number((await waitFor('the peer to listen', () => this.find('listening')[0])).rest[0]);
  }

  send(command: string): void {
    this.child.stdin!.write(`${command}\n`);
  }

  find(kind: string, since = 0): Report[] {
    return this.reports.filter((r) => r.kind === kind && r.at >= since);
  }

  /** Each connection's last ping number, by link. */
  lastPings(): Map<string, number> {
    return new Map(this.find('ping').map((r) => [r.link, Number(r.rest[0])]));
  }

  /** Errors and closes on the given links. */
  troubles(links: Iterable<string>): Report[] {
    const watched = new Set(links);
    return this.reports.filter((r) => (r.kind === 'error' || r.kind === 'close') && watched.has(r.link));
  }

  /** Connects to `port` and waits for the answer: `ok` or an error code. */
  async probe(port: number, timeoutMs: number): Promise<string> {
    const since = Date.now();
    this.send(`probe ${port} ${timeoutMs}`);
    const answer = await waitFor(`a probe of port ${port}`, () => this.find('probe', since).find((r) => r.rest[0] === String(port)));
    return answer.rest[1];
  }
}

/** Connects from this test process (in no cgroup, like warrenctl) and waits for a ping back. */
async function reachFromOutside(peer: Peer): Promise<void> {
  const socket = net.connect(peer.distPort, '127.0.0.1');
  try {
    const answered = new Promise<string>((resolve, reject) => {
      socket.once('data', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('ping 0\n');
    expect(await answered).toMatch(/^ping \d+/);
    await waitFor('the peer to hear this process', () => peer.find('ping').find((r) => r.link === `in ${socket.localPort}`));
  } finally {
    socket.destroy();
  }
}

describe.skipIf(!support.ok)('a partition between two processes', () => {
  let a: Peer;
  let b: Peer;
  /** Each peer's two partitioned connections, with the last ping heard on each before the cut. */
  let beforeCut: Map<Peer, Map<string, number>>;

  beforeAll(async () => {
    a = new Peer('a');
    b = new Peer('b');
    await Promise.all([a.started(), b.started()]);
    a.send(`connect ${b.distPort}`);
    b.send(`connect ${a.distPort}`);
  });

  afterAll(() => cleanupPartitions());

  it('carries pings both ways on both connections before the cut', async () => {
    for (const peer of [a, b]) {
      await waitFor('pings on both connections', () => {
        const pings = peer.lastPings();
        return (pings.size === 2 && [...pings.values()].every((n) => n >= 3)) || undefined;
      });
    }
  });

  it('silences both connections both ways on cut, with no error and no close', async () => {
    await cut(a, b);
    const cutAt = Date.now();
    // A ping handed to the kernel before the rules went in may still arrive, then nothing.
    const quiet = (peer: Peer) => Date.now() - Math.max(cutAt, ...peer.find('ping').map((r) => r.at)) >= 1500;
    await waitFor('1.5 s without a ping', () => [a, b].every(quiet) || undefined);
    beforeCut = new Map([a, b].map((peer) => [peer, peer.lastPings()]));
    for (const peer of [a, b]) expect(peer.troubles(beforeCut.get(peer)!.keys())).toEqual([]);
  });

  it('makes new connections between them hang until they time out', async () => {
    expect(await a.probe(b.distPort, 1500)).toBe('ETIMEDOUT');
    expect(await b.probe(a.distPort, 1500)).toBe('ETIMEDOUT');
    for (const peer of [a, b]) expect(peer.lastPings()).toEqual(beforeCut.get(peer));
  });

  it('leaves both ports open to a process outside both cgroups, and every other port open to both', async () => {
    await reachFromOutside(a);
    await reachFromOutside(b);
    const other = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const port = (other.address() as net.AddressInfo).port;
      expect(await a.probe(port, 1500)).toBe('ok');
      expect(await b.probe(port, 1500)).toBe('ok');
    } finally {
      other.close();
    }
  });

  it('resumes the same connections on heal, from where they stopped', async () => {
    const healedAt = Date.now();
    await heal(a, b);
    for (const peer of [a, b]) {
      for (const [link, last] of beforeCut.get(peer)!) {
        const next = await waitFor(`pings again on ${link}`, () => peer.find('ping', healedAt).find((r) => r.link === link), 30_000);
        // TCP delivers what was queued during the cut first: nothing lost, nothing skipped.
        expect(Number(next.rest[0])).toBe(last + 1);
        console.log(`partition self-test: ${link} resumed ${next.at - healedAt} ms after heal`);
      }
      expect(peer.troubles(beforeCut.get(peer)!.keys())).toEqual([]);
    }
    expect(await a.probe(b.distPort, 1500)).toBe('ok');
    expect(await b.probe(a.distPort, 1500)).toBe('ok');
  });

  it('leaves no rule and no cgroup behind', async () => {
    await cleanupPartitions();
    const tables = await execa('nft', ['list', 'tables']);
    expect(tables.stdout).not.toContain(`warren_test_${process.pid}_`);
    for (const peer of [a, b]) expect(fs.existsSync(cgroupDir(peer.cgroup))).toBe(false);
  });
});
