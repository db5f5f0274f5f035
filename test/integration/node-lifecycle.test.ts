// A node's life as an operator sees it through warrenctl: start, ping, status, stop_app and
// start_app (twice each), reset refused while running and done after stop_app, two nodes on
// one host by short name, shutdown and stop.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Host, HOSTNAME, processAlive, reference, stripAnsi, waitFor, type NodeHandle } from '../harness.js';
import { WARREN_VERSION } from '../../src/node/version.js';

describe('a single node driven by warrenctl', () => {
  const host = new Host();
  let node: NodeHandle;

  beforeAll(async () => {
    await host.startMapper();
    node = await host.startNode('rabbit');
  });
  afterAll(() => host.cleanup());

  it('answers ping with the banner and success', async () => {
    const r = await host.ctl(node, ['ping']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `Will ping ${node.name}. This only checks if the OS process is running and registered with epmd. Timeout: 60000 ms.\nPing succeeded\n`,
    );
    expect(r.stderr).toBe('');
  });

  it('prints status with the node facts in every section', async () => {
    const r = await host.ctl(node, ['status']);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`Status of node ${node.name} ...`);
    expect(lines[1]).toBe('Runtime');
    expect(r.stdout).toContain(`OS PID: ${node.pid()}\n`);
    expect(r.stdout).toContain(`Node name: ${node.name}\n`);
    expect(r.stdout).toContain(`Node data directory: ${node.dataDir}\n`);
    expect(r.stdout).toContain(` * ${node.logFile}\n`);
    expect(r.stdout).toContain('Virtual host count: 1\n');
    expect(r.stdout).toContain(
      `Interface: [::], port: ${node.distPort}, protocol: clustering, purpose: inter-node and CLI tool communication`,
    );
    for (const title of ['Plugins', 'Data directory', 'Config files', 'Log file(s)', 'Alarms', 'Memory', 'File Descriptors', 'Free Disk Space', 'Totals', 'Listeners']) {
      expect(lines).toContain(title);
    }
    // Piped output carries no escape sequences.
    expect(r.stdout).not.toContain('\x1b');
  });

  it('prints status as JSON with the node facts', async () => {
    const r = await host.ctl(node, ['status', '--formatter', 'json']);
    expect(r.exitCode).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.pid).toBe(node.pid());
    expect(s.data_directory).toBe(node.dataDir);
    expect(s.totals.virtual_host_count).toBe(1);
    expect(s.disk_free_limit).toBe(50_000_000);
    expect(Object.keys(s)).toEqual([...Object.keys(s)].sort());
  });

  it('suppresses the banner with -q', async () => {
    const r = await host.ctl(node, ['status', '-q']);
    expect(r.stdout.split('\n')[0]).toBe('Runtime');
  });

  it('stops and starts the app, twice each, keeping the node reachable', async () => {
    for (let i = 0; i < 2; i++) {
      const stop = await host.ctl(node, ['stop_app']);
      expect(stop).toMatchObject({ exitCode: 0, stdout: `Stopping rabbit application on node ${node.name} ...\n`, stderr: '' });
    }
    const ping = await host.ctl(node, ['ping', '-q']);
    expect(ping).toMatchObject({ exitCode: 0, stdout: 'Ping succeeded\n' });

    const status = await host.ctl(node, ['status']);
    expect(status.exitCode).toBe(64);
    expect(status.stdout).toBe('');
    expect(status.stderr).toBe(
      `Error: this command requires the 'rabbit' app to be running on the target node. Start it with 'warrenctl start_app'.\n` +
        `Arguments given:\n\t-n ${node.name} status\n\nUsage\n\n` +
        'warrenctl [--node <node>] [--longnames] [--quiet] status [--unit <unit>] [--timeout <timeout>]\n',
    );
    const cs = await host.ctl(node, ['cluster_status']);
    expect(cs.exitCode).toBe(64);

    const waited = await host.ctl(node, ['await_startup', '--timeout', '1']);
    expect(waited).toMatchObject({ exitCode: 69, stdout: '', stderr: 'Error:\nrabbit_is_not_running\n' });

    for (let i = 0; i < 2; i++) {
      const start = await host.ctl(node, ['start_app']);
      expect(start).toMatchObject({ exitCode: 0, stdout: `Starting node ${node.name} ...\n`, stderr: '' });
    }
    expect((await host.ctl(node, ['await_startup'])).exitCode).toBe(0);
    expect((await host.ctl(node, ['status'])).exitCode).toBe(0);
  });

  it('refuses reset while the app runs and resets after stop_app', async () => {
    const refused = await host.ctl(node, ['reset']);
    expect(refused.exitCode).toBe(64);
    expect(refused.stderr).toBe(
      "Error: this command requires the 'rabbit' app to be stopped on the target node. Stop it with 'warrenctl stop_app'.\n" +
        `Arguments given:\n\t-n ${node.name} reset\n\nUsage\n\nwarrenctl [--node <node>] [--longnames] [--quiet] reset\n`,
    );
    expect((await host.ctl(node, ['force_reset'])).exitCode).toBe(64);

    // Something to wipe: the metadata written when the app started.
    expect(fs.existsSync(`${node.dataDir}/metadata.json`)).toBe(true);
    expect((await host.ctl(node, ['stop_app'])).exitCode).toBe(0);
    const reset = await host.ctl(node, ['reset']);
    expect(reset).toMatchObject({ exitCode: 0, stdout: `Resetting node ${node.name} ...\n`, stderr: '' });
    expect(fs.existsSync(`${node.dataDir}/metadata.json`)).toBe(false);
    const force = await host.ctl(node, ['force_reset']);
    expect(force).toMatchObject({ exitCode: 0, stdout: `Forcefully resetting node ${node.name} ...\n` });
    expect((await host.ctl(node, ['start_app'])).exitCode).toBe(0);
    expect(fs.existsSync(`${node.dataDir}/metadata.json`)).toBe(true);
  });

  it('shows cluster_status for a lone node in text, JSON and Erlang forms', async () => {
    const text = await host.ctl(node, ['cluster_status']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(`Cluster status of node ${node.name} ...\nBasics\n\nCluster name: ${node.name}\n\nDisk Nodes\n\n${node.name}\n\nRunning Nodes\n\n${node.name}\n\nVersions\n\n${node.name}: Warren `);
    expect(text.stdout).not.toContain('RAM Nodes');

    const json = JSON.parse((await host.ctl(node, ['cluster_status', '--formatter', 'json'])).stdout);
    expect(json).toMatchObject({ cluster_name: node.name, disk_nodes: [node.name], ram_nodes: [], running_nodes: [node.name], alarms: [], partitions: {} });
    expect(Object.keys(json)).toEqual([
      'alarms', 'cluster_name', 'disk_nodes', 'feature_flags', 'listeners', 'maintenance_status', 'partitions', 'ram_nodes', 'running_nodes', 'versions',
    ]);

    const erl = await host.ctl(node, ['cluster_status', '--formatter', 'erlang']);
    expect(erl.stdout).toContain(`[{nodes,[{disc,[${node.name}]}]},\n {running_nodes,[${node.name}]},\n {cluster_name,<<"${node.name}">>},`);
  });

  it('prints cluster_status text byte for byte as rabbitmqctl, apart from honest differences', async () => {
    // Differences: the node's own name and ports, the product and runtime on the Versions line,
    // and no stream_queue feature flag (Warren has no streams).
    const expected = stripAnsi(reference('01-single-node/003').stdout)
      .replaceAll('rabbit@vm', node.name)
      .replace('port: 25672', `port: ${node.distPort}`)
      .replace('port: 5672', `port: ${node.amqpPort}`)
      .replace(/: RabbitMQ 3\.10\.8 on Erlang 25\.2\.3/, `: Warren ${WARREN_VERSION} on Node.js ${process.versions.node}`)
      .split('\n')
      .filter((line) => !line.includes('stream_queue'))
      .join('\n');
    const r = await host.ctl(node, ['cluster_status']);
    expect(r).toMatchObject({ exitCode: 0, stdout: expected, stderr: '' });
    const quiet = await host.ctl(node, ['cluster_status', '-q']);
    expect(quiet.stdout).toBe(expected.slice(expected.indexOf('\n') + 1));
  });

  it('prints the application environment as an Erlang term', async () => {
    const r = await host.ctl(node, ['environment']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith(`Application environment of node ${node.name} ...\n[{kernel,`)).toBe(true);
    expect(r.stdout).toContain(`{dir,"${node.dataDir}"}`);
  });

  it('waits for the node through its pid file', async () => {
    const r = await host.ctl(node, ['wait', node.pidFile]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `Waiting for pid file '${node.pidFile}' to appear\npid is ${node.pid()}\n` +
        `Waiting for erlang distribution on node '${node.name}' while OS process '${node.pid()}' is running\n` +
        `Waiting for applications 'rabbit_and_plugins' to start on node '${node.name}'\n` +
        `Applications 'rabbit_and_plugins' are running on node '${node.name}'\n`,
    );
  });

  it('waits for enough online nodes', async () => {
    const r = await host.ctl(node, ['await_online_nodes', '1']);
    expect(r).toMatchObject({
      exitCode: 0,
      stdout: `Will wait for at least 1 nodes to join the cluster of ${node.name}. Timeout: 300 seconds.\n`,
    });
    const short = await host.ctl(node, ['await_online_nodes', '2', '--timeout', '1']);
    expect(short.exitCode).toBe(70);
    expect(short.stderr).toBe(`Error:\nError: timed out while waiting. Not enough nodes joined ${node.name}'s cluster.\n`);
  });
});

describe('several nodes on one host', () => {
  const host = new Host();
  let a: NodeHandle;
  let b: NodeHandle;

  beforeAll(async () => {
    await host.startMapper();
    [a, b] = await Promise.all([host.startNode('rabbit'), host.startNode('rabbit_1')]);
  });
  afterAll(() => host.cleanup());

  it('addresses each node by its short name', async () => {
    const r = await host.ctlRaw(['-n', 'rabbit_1', 'ping']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toContain(`Will ping rabbit_1@${HOSTNAME}.`);
    const s = JSON.parse((await host.ctlRaw(['-n', 'rabbit_1', 'status', '--formatter', 'json'])).stdout);
    expect(s.pid).toBe(b.pid());
    const d = JSON.parse((await host.ctlRaw(['status', '--formatter', 'json'], undefined, { RABBITMQ_NODENAME: 'rabbit' })).stdout);
    expect(d.pid).toBe(a.pid());
  });

  it('stops one node with stop and a pid file while the other keeps running', async () => {
    const pid = b.pid();
    const r = await host.ctl(b, ['stop', b.pidFile]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `Stopping and halting node ${b.name} (will monitor pid file ${b.pidFile}) ...\n` +
        `process ${pid} (take from pid file ${b.pidFile}) is no longer running\n`,
    );
    expect(processAlive(pid)).toBe(false);
    expect(fs.existsSync(b.pidFile)).toBe(false);
    expect((await host.ctl(a, ['ping', '-q'])).exitCode).toBe(0);

    const again = await host.ctl(b, ['stop']);
    expect(again.exitCode).toBe(69);
    expect(again.stdout).toBe(`Stopping and halting node ${b.name} ...\n`);
    const idem = await host.ctl(b, ['stop', '--idempotent']);
    expect(idem).toMatchObject({ exitCode: 0, stdout: `Stopping and halting node ${b.name} ...\nNode ${b.name} is no longer running\n` });
  });

  it('shuts a node down and waits for its process', async () => {
    const pid = a.pid();
    const r = await host.ctl(a, ['shutdown']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `Shutting down RabbitMQ node ${a.name} running at PID ${pid}\nWaiting for PID ${pid} to terminate\n` +
        `RabbitMQ node ${a.name} running at PID ${pid} successfully shut down\n`,
    );
    await waitFor('the node process to exit', () => !processAlive(pid) || undefined);
  });
});
