// Real network partitions between processes on this one host, for tests: the kernel drops the
// packets; the processes are told nothing and must notice by their own heartbeats.
//
// How it works
// - Each process to be partitioned runs in a cgroup of its own (cgroup v2), created by
//   `createCgroup` under `warren-test/`. It must be in it from its first instruction: a socket
//   belongs to the cgroup of the process that created it, at creation, and keeps it when the
//   process moves later; accepted sockets take their listener's. So a process moved after it
//   has opened its listener or its connections cannot be partitioned. `inCgroup` wraps a
//   command in a shell that moves itself into the cgroup, then execs the command (same pid).
// - `cut(a, b)` loads, in an nftables table of this test process, for each side X (other Y):
//     output: mark packets from a socket in X's cgroup to Y's distribution port, on loopback
//             (X's connection to Y, and its new attempts: SYNs)
//     input:  drop packets from Y's distribution port to a socket in X's cgroup (what Y sends
//             back on the connection X opened: replies, heartbeats, ACKs)
//   and one input rule that drops the marked packets. So both connections go silent both ways,
//   and every packet is dropped on arrival, as a real network loses it: the sender's send
//   succeeds and its TCP retransmits, rather than getting a local error at once (what a drop
//   in the output hook gives it, and which makes that direction resume at its next write
//   instead of its next retransmission). A process outside both cgroups (warrenctl, a test
//   client, a third node) still reaches either port, and both still reach every other port
//   (AMQP, the port mapper).
// - Established connections are not reset or closed. Each sender retransmits with exponential
//   backoff (from 200 ms, doubling, up to 2 minutes between tries), so after `heal(a, b)` a
//   connection resumes at its next retransmission: up to as long after the heal as the cut had
//   lasted, and at most 2 minutes. What was queued arrives first, nothing lost. A cut longer
//   than net.ipv4.tcp_retries2 allows (15: about 15 minutes) ends the connection with
//   ETIMEDOUT. New connections between the two hang (no RST comes back) until their timeout.
// - `healAll` removes every cut; `removeCgroup` kills what still runs in a cgroup and removes
//   it; `cleanupPartitions` does both for everything this process made (Host.cleanup does it
//   for its nodes; call it in afterAll otherwise). Vitest ends its workers without running
//   their exit handlers, so a worker that dies before afterAll leaves its table and cgroups:
//   their names carry its pid, and the next `partitionSupport` probe removes them.
//
// Why nftables and not iptables' cgroup match: iptables' `-m cgroup` only sees the socket that
// a packet already carries. That is so on output, but a packet that comes in over loopback has
// no socket yet in the input hook (early demux is skipped there, because loopback keeps the
// route), so the reply direction cannot be matched with it. nftables' `socket cgroupv2` looks
// the socket up. nft resolves cgroup paths under /sys/fs/cgroup; where the v2 hierarchy is
// mounted elsewhere (hybrid hosts: /sys/fs/cgroup/unified), nft runs in a private mount
// namespace with that hierarchy bound over /sys/fs/cgroup.
//
// Limits: Linux, root, cgroup v2 mounted, nft and unshare (util-linux) where that hierarchy is
// not at /sys/fs/cgroup. Only TCP between the two processes' sockets and the other's given
// port is cut; any local address works (local traffic all goes over loopback), IPv4 or IPv6.
// Bit 0x00800000 of the packet mark is taken while a cut is in place.
// The port mapper stays reachable for both, so a node still learns the other's port, then
// fails to connect. Children a node forks stay in its cgroup, and so are cut with it.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { execa } from 'execa';

/** One end of a partition: the process's cgroup and the port it accepts its peers on. */
export interface PartitionEnd {
  cgroup?: string;
  distPort: number;
}

export type PartitionSupport = { ok: true } | { ok: false; reason: string };

const PARENT = 'warren-test';
const OWNER = `${process.pid}-${threadId}`;
const TABLE = `warren_test_${process.pid}_${threadId}`;
/** The packet mark bit that carries "drop me" from output to input; one no routing rule uses. */
const CUT_MARK = '0x00800000';

const cuts = new Map<string, [Required<PartitionEnd>, Required<PartitionEnd>]>();
const cgroups = new Set<string>();
let tableLoaded = false;
let cgroupCounter = 0;
let support: Promise<PartitionSupport> | undefined;

/** Whether this machine can cut connections; probed once. */
export function partitionSupport(): Promise<PartitionSupport> {
  support ??= probe();
  return support;
}

async function probe(): Promise<PartitionSupport> {
  if (process.platform !== 'linux') return { ok: false, reason: 'partitions need Linux (cgroup v2 and nftables)' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'partitions need root (cgroups and nftables)' };
  if (!cgroupRoot()) return { ok: false, reason: 'no cgroup v2 hierarchy is mounted' };
  try {
    await sweepStale();
    const cgroup = createCgroup('probe');
    try {
      const moved = spawnSync('sh', ['-c', 'echo $$ > "$0"', procsFile(cgroup)], { encoding: 'utf8' });
      if (moved.status !== 0) return { ok: false, reason: `cannot move a process into a cgroup: ${moved.stderr.trim()}` };
      const rule = `socket cgroupv2 level ${level(cgroup)} "${cgroup}" tcp dport 9 drop`;
      await nft(`table inet ${TABLE}_probe {\n chain probe { type filter hook output priority filter; ${rule}; }\n}\ndelete table inet ${TABLE}_probe\n`);
    } finally {
      await removeCgroup(cgroup);
    }
  } catch (err) {
    return { ok: false, reason: `nftables cannot match sockets by cgroup: ${(err as Error).message}` };
  }
  return { ok: true };
}

/** Makes an empty cgroup for one process; returns its path below the cgroup v2 root. */
export function createCgroup(label: string): string {
  const cgroup = `${PARENT}/${OWNER}-${++cgroupCounter}-${label.replace(/[^\w.-]/g, '_')}`;
  // Another test process may remove the shared parent between our two mkdirs: try again.
  for (let attempt = 0; ; attempt++) {
    try {
      fs.mkdirSync(cgroupDir(cgroup), { recursive: true });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw err;
    }
  }
  cgroups.add(cgroup);
  return cgroup;
}

/**
 * The command that runs `file args` inside `cgroup`, from its first instruction: a shell moves
 * itself in, then execs `file` (which keeps the pid). Give the result to execa or spawn.
 */
export function inCgroup(cgroup: string, file: string, args: readonly string[]): { file: string; args: string[] } {
  return { file: 'sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procsFile(cgroup), file, ...args] };
}

/** Drops everything between `a` and `b`'s distribution links, both connections, both ways. */
export async function cut(a: PartitionEnd, b: PartitionEnd): Promise<void> {
  cuts.set(pairKey(a, b), [withCgroup(a), withCgroup(b)]);
  await loadRules();
}

/** Lets `a` and `b` talk again; their established connections resume on their own. */
export async function heal(a: PartitionEnd, b: PartitionEnd): Promise<void> {
  if (cuts.delete(pairKey(a, b))) await loadRules();
}

export async function healAll(): Promise<void> {
  cuts.clear();
  await loadRules();
}

/** Kills whatever still runs in `cgroup`, heals its cuts and removes it. */
export async function removeCgroup(cgroup: string): Promise<void> {
  let healed = false;
  for (const [key, [a, b]] of cuts) {
    if (a.cgroup === cgroup || b.cgroup === cgroup) healed = cuts.delete(key);
  }
  if (healed) await loadRules();
  const dir = cgroupDir(cgroup);
  if (fs.existsSync(dir)) {
    killAll(dir);
    // A killed process leaves the cgroup a moment later; until then rmdir says EBUSY.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        fs.rmdirSync(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  cgroups.delete(cgroup);
  removeParentIfEmpty();
}

/** Removes every rule and cgroup this process made, killing what still runs in them. */
export async function cleanupPartitions(): Promise<void> {
  await healAll();
  for (const cgroup of [...cgroups]) await removeCgroup(cgroup);
}

function withCgroup(end: PartitionEnd): Required<PartitionEnd> {
  if (!end.cgroup) throw new Error(`the process on port ${end.distPort} was not started in a cgroup of its own (see inCgroup)`);
  return { cgroup: end.cgroup, distPort: end.distPort };
}

function pairKey(a: PartitionEnd, b: PartitionEnd): string {
  return [`${a.cgroup}:${a.distPort}`, `${b.cgroup}:${b.distPort}`].sort().join(' ');
}

/** Replaces the table with one holding the current cuts, in one transaction. */
async function loadRules(): Promise<void> {
  if (cuts.size === 0 && !tableLoaded) return;
  const output: string[] = [];
  const input: string[] = [];
  for (const [a, b] of cuts.values()) {
    for (const [self, other] of [[a, b], [b, a]]) {
      const socket = `socket cgroupv2 level ${level(self.cgroup)} "${self.cgroup}"`;
      output.push(`oif lo ${socket} tcp dport ${other.distPort} meta mark set meta mark or ${CUT_MARK}`);
      input.push(`${socket} tcp sport ${other.distPort} drop`);
    }
  }
  input.push(`meta mark and ${CUT_MARK} == ${CUT_MARK} drop`);
  const chain = (hook: string, rules: string[]) =>
    ` chain ${hook} {\n  type filter hook ${hook} priority filter; policy accept;\n${rules.map((r) => `  ${r}\n`).join('')} }\n`;
  const table = cuts.size === 0 ? '' : `table inet ${TABLE} {\n${chain('output', output)}${chain('input', input)}}\n`;
  await nft(`add table inet ${TABLE}\ndelete table inet ${TABLE}\n${table}`);
  tableLoaded = cuts.size > 0;
}

/** Runs an nft script, with the cgroup v2 hierarchy where nft looks for cgroup paths. */
async function nft(script: string): Promise<void> {
  const root = requireCgroupRoot();
  const command =
    root === '/sys/fs/cgroup'
      ? { file: 'nft', args: ['-f', '-'] }
      : { file: 'unshare', args: ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /sys/fs/cgroup && exec nft -f -', root] };
  const result = await execa(command.file, command.args, { input: script, reject: false });
  if (result.exitCode !== 0) throw new Error(`nft failed: ${String(result.stderr).trim() || result.message}`);
}

function killAll(dir: string): void {
  const killFile = path.join(dir, 'cgroup.kill');
  if (fs.existsSync(killFile)) {
    fs.writeFileSync(killFile, '1');
    return;
  }
  for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function removeParentIfEmpty(): void {
  try {
    fs.rmdirSync(path.join(requireCgroupRoot(), PARENT));
  } catch {
    // Other test processes still have cgroups there; the last one out removes it.
  }
}

/** Leftovers of test processes that died without cleaning up: their pid is in the name. */
async function sweepStale(): Promise<void> {
  const tables = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  if (tables.status !== 0) throw new Error(`nft list tables: ${tables.stderr.trim() || tables.error?.message}`);
  for (const match of tables.stdout.matchAll(/^table inet (warren_test_(\d+)_\d+(?:_probe)?)$/gm)) {
    if (!processAlive(Number(match[2]))) spawnSync('nft', ['delete', 'table', 'inet', match[1]]);
  }
  const parent = path.join(requireCgroupRoot(), PARENT);
  if (!fs.existsSync(parent)) return;
  for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
    if (!entry.isDirectory() || processAlive(Number(entry.name.split('-')[0]))) continue;
    cgroups.add(`${PARENT}/${entry.name}`);
    await removeCgroup(`${PARENT}/${entry.name}`);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function level(cgroup: string): number {
  return cgroup.split('/').length;
}

/** The directory of `cgroup` in the mounted hierarchy. */
export function cgroupDir(cgroup: string): string {
  return path.join(requireCgroupRoot(), cgroup);
}

function procsFile(cgroup: string): string {
  return path.join(cgroupDir(cgroup), 'cgroup.procs');
}

let mountPoint: string | null | undefined;

/** Where the cgroup v2 hierarchy is mounted, from /proc/self/mountinfo; null if nowhere. */
function cgroupRoot(): string | null {
  if (mountPoint !== undefined) return mountPoint;
  mountPoint = null;
  try {
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [mount, fsType] = line.split(' - ');
      if (fsType?.split(' ')[0] === 'cgroup2') {
        mountPoint = mount.split(' ')[4];
        break;
      }
    }
  } catch {
    // No /proc: not Linux.
  }
  return mountPoint;
}

function requireCgroupRoot(): string {
  const found = cgroupRoot();
  if (!found) throw new Error('no cgroup v2 hierarchy is mounted');
  return found;
}
