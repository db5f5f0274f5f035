// Real network partitions for the benchmarks: the part of test/partition.ts that
// bench:mirrored needs, in plain JavaScript so that the benchmarks run on Node alone. Read
// that file's header for how and why it works; in short:
// - each node runs in a cgroup (v2) of its own from its first instruction (`inCgroup`), since a
//   socket keeps the cgroup of the process that created it;
// - `cut(a, b)` loads an nftables table that marks, on output, what a socket in either
//   cgroup sends to the other's distribution port, and drops on input the marked packets and
//   what comes back from that port: both connections go silent both ways, nothing is reset,
//   and the nodes must notice by their own ticks (net_ticktime);
// - AMQP ports, the port mapper and processes outside both cgroups (the CLIs, the bench's
//   clients) are not touched.
// Names differ from the tests' (cgroups under warren-bench/, table warren_bench_<pid>) so
// that a test run's sweep of its own leftovers never takes a running benchmark's.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const PARENT = 'warren-bench';
const TABLE = `warren_bench_${process.pid}`;
/** Carries "drop me" from the output hook to the input hook; the bit test/partition.ts uses. */
const CUT_MARK = '0x00800000';

const cuts = [];
const cgroups = new Set();
let counter = 0;

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or .../unified on hybrid hosts). */
function cgroupRoot() {
  const mounts = fs.existsSync('/proc/self/mountinfo') ? fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n') : [];
  for (const line of mounts) {
    const [mount, fsType] = line.split(' - ');
    if (fsType?.split(' ')[0] === 'cgroup2') return mount.split(' ')[4];
  }
  return undefined;
}

const procsFile = (cgroup) => path.join(cgroupRoot(), cgroup, 'cgroup.procs');
const level = (cgroup) => cgroup.split('/').length;

/** Runs an nft script; nft resolves cgroup paths under /sys/fs/cgroup, so bind the v2 root there. */
function nft(script) {
  const root = cgroupRoot();
  const [file, args] =
    root === '/sys/fs/cgroup'
      ? ['nft', ['-f', '-']]
      : ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /sys/fs/cgroup && exec nft -f -', root]];
  const r = spawnSync(file, args, { input: script, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nft failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/** Why partitions cannot be made here, or undefined when they can (probed with a real rule). */
export function partitionUnsupported() {
  if (process.platform !== 'linux') return 'partitions need Linux (cgroup v2 and nftables)';
  if (process.getuid?.() !== 0) return 'partitions need root (cgroups and nftables)';
  if (cgroupRoot() === undefined) return 'no cgroup v2 hierarchy is mounted';
  let cgroup;
  try {
    cgroup = createCgroup('probe');
    const rule = `socket cgroupv2 level ${level(cgroup)} "${cgroup}" tcp dport 9 drop`;
    nft(`table inet ${TABLE}_probe {\n chain probe { type filter hook output priority filter; ${rule}; }\n}\ndelete table inet ${TABLE}_probe\n`);
  } catch (err) {
    return `nftables cannot match sockets by cgroup here: ${err.message}`;
  } finally {
    if (cgroup !== undefined) removeCgroup(cgroup);
  }
  return undefined;
}

/** An empty cgroup for one process; its path below the cgroup v2 root. */
export function createCgroup(label) {
  const cgroup = `${PARENT}/${process.pid}-${++counter}-${label.replace(/[^\w.-]/g, '_')}`;
  fs.mkdirSync(path.join(cgroupRoot(), cgroup), { recursive: true });
  cgroups.add(cgroup);
  return cgroup;
}

/** `file args` in a shell that moves itself into `cgroup`, then execs `file` (same pid). */
export function inCgroup(cgroup, file, args) {
  return { file: 'sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', procsFile(cgroup), file, ...args] };
}

/**
 * Silences both distribution connections between `a` and each of `others`, all in one nft
 * transaction; each end is { cgroup, distPort }.
 */
export function cut(a, ...others) {
  for (const b of others) cuts.push([a, b]);
  loadRules();
}

/** Removes every cut; the nodes reconnect on their own. */
export function healAll() {
  cuts.length = 0;
  loadRules();
}

/** Replaces this process's table with one that holds the current cuts, in one transaction. */
function loadRules() {
  const output = [];
  const input = [];
  for (const [a, b] of cuts) {
    for (const [self, other] of [[a, b], [b, a]]) {
      const socket = `socket cgroupv2 level ${level(self.cgroup)} "${self.cgroup}"`;
      output.push(`oif lo ${socket} tcp dport ${other.distPort} meta mark set meta mark or ${CUT_MARK}`);
      input.push(`${socket} tcp sport ${other.distPort} drop`);
    }
  }
  input.push(`meta mark and ${CUT_MARK} == ${CUT_MARK} drop`);
  const chain = (hook, rules) => ` chain ${hook} {\n  type filter hook ${hook} priority filter; policy accept;\n${rules.map((r) => `  ${r}\n`).join('')} }\n`;
  const table = cuts.length === 0 ? '' : `table inet ${TABLE} {\n${chain('output', output)}${chain('input', input)}}\n`;
  // "add" first, so that "delete" succeeds whether or not the table is there yet.
  nft(`add table inet ${TABLE}\ndelete table inet ${TABLE}\n${table}`);
}

/** Kills whatever still runs in `cgroup` and removes it. */
function removeCgroup(cgroup) {
  const dir = path.join(cgroupRoot(), cgroup);
  if (fs.existsSync(dir)) {
    if (fs.existsSync(path.join(dir, 'cgroup.kill'))) fs.writeFileSync(path.join(dir, 'cgroup.kill'), '1');
    else for (const pid of fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) killQuietly(Number(pid));
    // A killed process leaves its cgroup a moment later; until then rmdir says EBUSY.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        fs.rmdirSync(dir);
        break;
      } catch (err) {
        if (err.code !== 'EBUSY' || Date.now() > deadline) throw err;
        spawnSync('sleep', ['0.02']);
      }
    }
  }
  cgroups.delete(cgroup);
  try {
    fs.rmdirSync(path.join(cgroupRoot(), PARENT));
  } catch {
    // Another benchmark still has cgroups there; the last one out removes it.
  }
}

function killQuietly(pid) {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** Removes the table and every cgroup made here (killing what still runs in them); synchronous. */
export function cleanUpPartitions() {
  if (cuts.length > 0) healAll();
  for (const cgroup of [...cgroups]) removeCgroup(cgroup);
}
