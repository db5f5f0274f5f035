// cluster_status: members by type, running members, name, versions, maintenance, alarms,
// partitions, listeners and feature flags, as text, an Erlang term or JSON.

import type { Command } from '../command.js';
import { alarmText } from './status.js';
import { Atom, Charlist, ErlMap, Tuple, type Term } from '../term.js';

interface Listener {
  protocol: string;
  port: number;
  interface: string;
  purpose: string;
  node: string;
}

interface ClusterData {
  nodes: { disc: string[]; ram: string[] };
  runningNodes: string[];
  clusterName: string;
  partitions: Record<string, string[]>;
  alarms: Record<string, string[]>;
  listeners: Record<string, Listener[]>;
  versions: Record<string, { productName: string; productVersion: string; nodejsVersion: string }>;
  maintenance: Record<string, string>;
  featureFlags: Array<{ name: string; desc: string; docUrl: string; state: string; stability: string; providedBy: string }>;
}

const sorted = (xs: string[]) => [...xs].sort();

function text(d: ClusterData, b: (s: string) => string): string {
  const running = sorted(d.runningNodes);
  const sections: Array<[string, string[]]> = [
    ['Basics', [`Cluster name: ${d.clusterName}`]],
    ['Disk Nodes', sorted(d.nodes.disc)],
  ];
  if (d.nodes.ram.length > 0) sections.push(['RAM Nodes', sorted(d.nodes.ram)]);
  const alarms = running.flatMap((n) => (d.alarms[n] ?? []).map((a) => alarmText(a, n)));
  const partitions = sorted(Object.keys(d.partitions)).flatMap((n) =>
    d.partitions[n].length > 0 ? [`Node ${n} cannot communicate with ${d.partitions[n].join(', ')}`] : [],
  );
  sections.push(
    ['Running Nodes', running],
    ['Versions', running.map((n) => `${n}: ${d.versions[n].productName} ${d.versions[n].productVersion} on Node.js ${d.versions[n].nodejsVersion}`)],
    ['Maintenance status', running.map((n) => `Node: ${n}, status: ${d.maintenance[n]}`)],
    ['Alarms', alarms.length > 0 ? alarms : ['(none)']],
    ['Network Partitions', partitions.length > 0 ? partitions : ['(none)']],
    [
      'Listeners',
      running.flatMap((n) =>
        (d.listeners[n] ?? []).map(
          (l) => `Node: ${n}, interface: ${l.interface}, port: ${l.port}, protocol: ${l.protocol}, purpose: ${l.purpose}`,
        ),
      ),
    ],
    ['Feature flags', d.featureFlags.map((f) => `Flag: ${f.name}, state: ${f.state}`)],
  );
  return sections.map(([title, lines]) => [b(title), '', ...lines].join('\n')).join('\n\n');
}

function json(d: ClusterData): unknown {
  const byNode = <T, R>(m: Record<string, T>, f: (v: T) => R) =>
    Object.fromEntries(sorted(Object.keys(m)).map((k) => [k, f(m[k])]));
  return {
    alarms: Object.entries(d.alarms).flatMap(([node, as]) => as.map((resource) => ({ node, resource, type: 'resource_limit' }))),
    cluster_name: d.clusterName,
    disk_nodes: d.nodes.disc,
    feature_flags: d.featureFlags.map((f) => ({
      desc: f.desc,
      doc_url: f.docUrl,
      name: f.name,
      provided_by: f.providedBy,
      stability: f.stability,
      state: f.state,
    })),
    listeners: byNode(d.listeners, (ls) =>
      ls.map((l) => ({ interface: l.interface, node: l.node, port: l.port, protocol: l.protocol, purpose: l.purpose })),
    ),
    maintenance_status: byNode(d.maintenance, (s) => s),
    partitions: byNode(d.partitions, (p) => p),
    ram_nodes: d.nodes.ram,
    running_nodes: d.runningNodes,
    versions: byNode(d.versions, (v) => ({
      nodejs_version: v.nodejsVersion,
      rabbitmq_name: v.productName,
      rabbitmq_version: v.productVersion,
    })),
  };
}

const kv = (key: string, value: Term): Tuple => new Tuple([new Atom(key), value]);
const atoms = (xs: string[]): Term[] => xs.map((x) => new Atom(x));

/** `[::]` as Erlang's all-zero IPv6 address tuple; dotted IPv4 as a 4-tuple. */
function ipTuple(iface: string): Term {
  if (iface === '[::]' || iface === '::') return new Tuple([0, 0, 0, 0, 0, 0, 0, 0]);
  const v4 = iface.split('.').map(Number);
  return v4.length === 4 && v4.every((n) => Number.isInteger(n)) ? new Tuple(v4) : new Charlist(iface);
}

function listenerTerm(l: Listener): Term {
  const host = l.node.split('@')[1] ?? '';
  const options =
    l.protocol === 'amqp'
      ? [kv('backlog', 128), kv('nodelay', true), kv('linger', new Tuple([true, 0])), kv('exit_on_close', false)]
      : [];
  return new Tuple([new Atom('listener'), new Atom(l.node), new Atom(l.protocol), new Charlist(host), ipTuple(l.interface), l.port, options]);
}

function erlang(d: ClusterData): Term {
  const nodes: Term[] = [kv('disc', atoms(d.nodes.disc))];
  if (d.nodes.ram.length > 0) nodes.push(kv('ram', atoms(d.nodes.ram)));
  const perNode = <T>(m: Record<string, T>, f: (v: T) => Term): Term[] =>
    d.runningNodes.filter((n) => n in m).map((n) => new Tuple([new Atom(n), f(m[n])]));
  return [
    kv('nodes', nodes),
    kv('running_nodes', atoms(d.runningNodes)),
    kv('cluster_name', d.clusterName),
    kv('partitions', Object.entries(d.partitions).map(([n, ps]) => new Tuple([new Atom(n), atoms(ps)]))),
    kv(
      'alarms',
      d.runningNodes
        .filter((n) => n in d.alarms)
        .map((n) => new Tuple([new Atom(n), d.alarms[n].map((a) => new Tuple([new Atom('resource_limit'), new Atom(a), new Atom(n)]))])),
    ),
    kv('listeners', perNode(d.listeners, (ls) => ls.map(listenerTerm))),
    kv(
      'versions',
      perNode(
        d.versions,
        (v) =>
          new ErlMap([
            [new Atom('nodejs_version'), v.nodejsVersion],
            [new Atom('rabbitmq_name'), v.productName],
            [new Atom('rabbitmq_version'), v.productVersion],
          ]),
      ),
    ),
    kv('maintenance_status', perNode(d.maintenance, (s) => s)),
    kv(
      'feature_flags',
      d.featureFlags.map((f) => [
        kv('name', new Atom(f.name)),
        kv('desc', f.desc),
        kv('doc_url', f.docUrl),
        kv('state', new Atom(f.state)),
        kv('stability', new Atom(f.stability)),
        kv('provided_by', new Atom(f.providedBy)),
      ]),
    ),
  ];
}

const clusterStatus: Command = {
  name: 'cluster_status',
  section: 'Cluster',
  description: 'Displays all the nodes in the cluster grouped by node type, together with the currently running nodes',
  usage: 'cluster_status [--timeout <timeout>]',
  docGuides: ['https://rabbitmq.com/clustering.html', 'https://rabbitmq.com/cluster-formation.html', 'https://rabbitmq.com/monitoring.html'],
  arity: { min: 0, max: 0 },
  requiresApp: 'running',
  banner: ({ opts }) => [`Cluster status of node ${opts.node} ...`],
  async run({ client }) {
    const d = (await client.call('cluster_status')) as ClusterData;
    return { kind: 'document', text: (b) => text(d, b), json: json(d), erlang: erlang(d) };
  },
};

export default clusterStatus;
