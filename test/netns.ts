// Several "hosts" on this one machine, for tests: each a Linux network namespace with its own
// loopback, address, ports and /etc/hosts, all cabled to one switch. What runs in a host sees
// only its own interfaces, so two hosts can both listen on 4369 and 5672, and names resolve
// and connections travel as between machines; a cable can be pulled and plugged back in.
//
// How it works
// - The switch is a Linux bridge in the root namespace. Each host is a namespace (`ip netns
//   add`) holding one end of a veth pair, renamed eth0, with the address 10.231.<net>.<i>/24;
//   the other end is a port of the bridge. The bridge itself has .254, so the test process
//   (in the root namespace) reaches every host by its address, e.g. an AMQP client.
// - Names: `ip netns exec <ns>` bind-mounts every file of /etc/netns/<ns>/ over the one of
//   the same name in /etc for the program it runs, so /etc/netns/<ns>/hosts is that host's
//   /etc/hosts: it lists every host's name and address (getaddrinfo, and so Node's
//   dns.lookup, reads it). Programs must be started through `inHost` to get it.
// - Each program `inHost` starts also gets a UTS namespace of its own (`unshare --uts`) in
//   which the kernel's host name (os.hostname()) is its host's name, so that defaults built
//   from it (a node named rabbit@<host>, warrenctl's default -n) are what they would be on
//   that machine. It is set per program: nothing is left to clean up.
// - `ip netns exec`, `unshare` and the shell that sets the name each exec the next program
//   in place (none forks), so the pid of what `inHost` starts is the program's own, and can be
//   killed directly.
// - `setLink(host, false)` takes the bridge's end of the host's veth down: the cable is
//   pulled at the switch. Established connections get no error and no reset: what is sent is
//   lost and TCP retransmits until the link is back (or gives up). As on a real LAN, new
//   connections fail with "host unreachable" once ARP has given up on the far side.
// - `destroyNetwork` SIGKILLs every process still in each namespace (`ip netns pids`), then
//   deletes the veths, the namespaces, /etc/netns/<ns> (and /etc/netns itself once empty: it
//   exists only for `ip netns exec`) and the bridge. Every name carries this process's pid
//   and thread, so parallel test files never collide; and since vitest may end a worker
//   without running its afterAll, `createNetwork` first removes what dead test processes left.
//
// Limits: Linux, root, iproute2, unshare (util-linux). The /24 is the first of 10.231.0.0/16,
// counting on from one picked by pid, that no route in the root namespace uses yet: two test
// processes picking at the same instant could still choose the same one. IPv4 only. At most
// 36 hosts a network.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { execa } from 'execa';
import { processAlive } from './partition.js';

export interface NetnsHost {
  /** What every host's /etc/hosts calls it (unique to this test process). */
  hostname: string;
  /** The network namespace it is. */
  ns: string;
  address: string;
  /** The bridge's end of its veth pair: its cable, at the switch. */
  link: string;
}

export interface HostNetwork {
  hosts: NetnsHost[];
  bridge: string;
  /** The root namespace's address on the network: where the test process talks from. */
  rootAddress: string;
}

export type NetnsSupport = { ok: true } | { ok: false; reason: string };

const PREFIX = 'warren-';
const OWNER = `${process.pid.toString(36)}-${threadId.toString(36)}`;
let networkCounter = 0;
let support: NetnsSupport | undefined;

/** Whether this machine lets us make namespaces; probed once, by making one. */
export function netnsSupport(): NetnsSupport {
  support ??= probe();
  return support;
}

function probe(): NetnsSupport {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' };
  const ns = `${PREFIX}${OWNER}-probe`;
  const added = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (added.error) return { ok: false, reason: `no ip command (iproute2): ${added.error.message}` };
  if (added.status !== 0) return { ok: false, reason: `ip netns add failed: ${added.stderr.trim()}` };
  const ran = spawnSync('ip', ['netns', 'exec', ns, 'unshare', '--uts', 'true'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'delete', ns]);
  if (ran.status !== 0) return { ok: false, reason: `ip netns exec ... unshare --uts failed: ${ran.stderr.trim()}` };
  return { ok: true };
}

/** The command that runs `file args` inside `host`, with its /etc/hosts and host name. */
export function inHost(host: NetnsHost, file: string, args: readonly string[]): { file: string; args: string[] } {
  const setName = 'echo "$0" > /proc/sys/kernel/hostname && exec "$@"';
  return { file: 'ip', args: ['netns', 'exec', host.ns, 'unshare', '--uts', 'sh', '-c', setName, host.hostname, file, ...args] };
}

/** Makes `count` hosts on one switch, named wh<tag>-a, wh<tag>-b, ... (tag: pid, thread, counter). */
export async function createNetwork(count: number): Promise<HostNetwork> {
  if (count < 1 || count > 36) throw new Error(`a network has 1 to 36 hosts, not ${count}`);
  await sweepStale();
  // Interface names have at most 15 characters: w, b or v, the tag (at most 10) and a digit.
  const tag = `${OWNER}-${(++networkCounter).toString(36)}`;
  const subnet = freeSubnet();
  const network: HostNetwork = { hosts: [], bridge: `wb${tag}`, rootAddress: `${subnet}.254` };
  try {
    await ip('link', 'add', network.bridge, 'type', 'bridge');
    await ip('addr', 'add', `${network.rootAddress}/24`, 'dev', network.bridge);
    await ip('link', 'set', network.bridge, 'up');
    for (let i = 0; i < count; i++) {
      const host: NetnsHost = {
        hostname: `wh${tag}-${String.fromCharCode(97 + i)}`,
        ns: `${PREFIX}${tag}-h${i.toString(36)}`,
        address: `${subnet}.${i + 1}`,
        link: `wv${tag}${i.toString(36)}`,
      };
      network.hosts.push(host);
      await ip('netns', 'add', host.ns);
      await ip('link', 'add', host.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns);
      await ip('link', 'set', host.link, 'master', network.bridge, 'up');
      await ip('-n', host.ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
      await ip('-n', host.ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', host.ns, 'link', 'set', 'lo', 'up');
    }
    const hostsFile = ['127.0.0.1\tlocalhost', '::1\tlocalhost', ...network.hosts.map((h) => `${h.address}\t${h.hostname}`)];
    for (const host of network.hosts) writeEtcFile(host.ns, 'hosts', hostsFile.join('\n') + '\n');
  } catch (err) {
    await destroyNetwork(network).catch(() => {});
    throw err;
  }
  return network;
}

/** Plugs `host`'s cable in (`up`) or pulls it out at the switch. */
export async function setLink(host: NetnsHost, up: boolean): Promise<void> {
  await ip('link', 'set', host.link, up ? 'up' : 'down');
}

/**
 * Kills every process left in the network's hosts and removes the hosts, their /etc/netns
 * files and the bridge. Goes through every step even when one fails, then reports them all.
 */
export async function destroyNetwork(network: HostNetwork): Promise<void> {
  const failures: string[] = [];
  for (const host of network.hosts) failures.push(...(await removeNamespace(host.ns, host.link)));
  if (linkExists(network.bridge)) await ip('link', 'delete', network.bridge).catch((e: Error) => failures.push(e.message));
  removeEtcNetnsIfEmpty();
  if (failures.length > 0) throw new Error(`cleaning up the test network:\n${failures.join('\n')}`);
}

/** The pids of every process in namespace `ns`. */
function pidsIn(ns: string): number[] {
  const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/**
 * Kills what runs in `ns`, then deletes its veth (`link`, the root side: both ends go at once)
 * and the namespace. The veth would go with the namespace too, but only once the kernel has
 * freed it, some time after `ip netns delete` returns.
 */
async function removeNamespace(ns: string, link?: string): Promise<string[]> {
  const failures: string[] = [];
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = pidsIn(ns);
    if (pids.length === 0) break;
    if (Date.now() > deadline) {
      failures.push(`processes ${pids.join(', ')} in ${ns} did not die`);
      break;
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    // SIGKILL is delivered, and the process leaves, a moment after kill() returns.
    await new Promise((r) => setTimeout(r, 20));
  }
  if (link !== undefined && linkExists(link)) await ip('link', 'delete', link).catch((e: Error) => failures.push(e.message));
  if (namespaces().includes(ns)) await ip('netns', 'delete', ns).catch((e: Error) => failures.push(e.message));
  fs.rmSync(etcDir(ns), { recursive: true, force: true });
  return failures;
}

const ETC_NETNS = '/etc/netns';

function etcDir(ns: string): string {
  return path.join(ETC_NETNS, ns);
}

function writeEtcFile(ns: string, file: string, text: string): void {
  // Another test process may remove /etc/netns, found empty, between our mkdir and write.
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(etcDir(ns), { recursive: true });
      fs.writeFileSync(path.join(etcDir(ns), file), text);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw err;
    }
  }
}

/** /etc/netns exists only for `ip netns exec`'s sake: the last one out removes it. */
function removeEtcNetnsIfEmpty(): void {
  try {
    fs.rmdirSync(ETC_NETNS);
  } catch {
    // Other namespaces still have files there, or it is gone already.
  }
}

function namespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((line) => line.split(' ')[0]).filter(Boolean);
}

function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
}

/** The first 10.231.N.0/24, counting on from one picked by pid, that no route uses. */
function freeSubnet(): string {
  const routes = spawnSync('ip', ['-4', 'route', 'show'], { encoding: 'utf8' }).stdout;
  const used = new Set([...routes.matchAll(/^10\.231\.(\d+)\./gm)].map((m) => Number(m[1])));
  for (let k = 0; k < 256; k++) {
    const octet = (process.pid + threadId + k) % 256;
    if (!used.has(octet)) return `10.231.${octet}`;
  }
  throw new Error('every /24 of 10.231.0.0/16 is in use');
}

/** Removes the namespaces, /etc/netns dirs and links of test processes that no longer run. */
async function sweepStale(): Promise<void> {
  const owner = (name: string, re: RegExp) => {
    const m = re.exec(name);
    return m ? parseInt(m[1], 36) : undefined;
  };
  const dead = (pid: number | undefined) => pid !== undefined && pid !== process.pid && !processAlive(pid);
  const nsName = /^warren-([0-9a-z]+)-[0-9a-z]+-(?:[0-9a-z]+-h[0-9a-z]|probe)$/;
  const names = new Set([...namespaces(), ...(fs.existsSync(ETC_NETNS) ? fs.readdirSync(ETC_NETNS) : [])]);
  for (const ns of names) if (dead(owner(ns, nsName))) await removeNamespace(ns);
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  for (const m of links.matchAll(/^\d+: (w[bv][0-9a-z]+-[0-9a-z]+-[0-9a-z]+)[@:]/gm)) {
    if (dead(owner(m[1], /^w[bv]([0-9a-z]+)-/))) await ip('link', 'delete', m[1]).catch(() => {});
  }
}

async function ip(...args: string[]): Promise<void> {
  const r = await execa('ip', args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${String(r.stderr).trim() || r.message}`);
}
