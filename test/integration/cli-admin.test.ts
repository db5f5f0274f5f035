// Users, virtual hosts, permissions and limits through warrenctl, against rabbitmqctl 3.10's
// captures (07-users-vhosts, 02-errors): the whole users-and-vhosts session byte for byte in
// every formatter it shows, the error texts and exit codes, and then the effect on AMQP clients:
// permissions refuse what they do not allow, vhost limits refuse connections and queues past
// the limit while the node goes on serving everyone else.

import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { Host, waitFor, type NodeHandle } from '../harness.js';
import { ctlWithInput, replayCapture } from '../reference-output.js';

const host = new Host();
let node: NodeHandle;

beforeAll(async () => {
  await host.startMapper();
  node = await host.startNode('rabbit');
});
afterAll(() => host.cleanup());

const replay = (file: string) => replayCapture(host, node, file, 'rabbit_2@vm');

/** Waits until the node's log has a line containing `text`. */
const logged = (text: string) =>
  waitFor(`the log to say ${text}`, () => fs.readFileSync(node.logFile, 'utf8').includes(text) || undefined, 5000);

const url = (user: string, password: string, vhost = '/') =>
  `amqp://${user}:${password}@localhost:${node.amqpPort}/${encodeURIComponent(vhost)}`;

describe('the users and virtual hosts session of rabbitmqctl', () => {
  it('replays 07-users-vhosts byte for byte', async () => {
    for (let n = 1; n <= 52; n++) await replay(`07-users-vhosts/${String(n).padStart(3, '0')}`);
  });

  it('fails as 02-errors shows for a missing user, an existing user, a missing vhost and a bad column', async () => {
    for (const n of ['043', '044', '045', '021', '022', '060']) await replay(`02-errors/${n}`);
  });

  it('refuses the management commands while the app is stopped, with the usage', async () => {
    expect((await host.ctl(node, ['stop_app'])).exitCode).toBe(0);
    try {
      await replay('02-errors/049');
      await replay('02-errors/052');
      for (const cmd of [['add_user', 'x', 'y'], ['list_vhosts'], ['set_permissions', 'a', 'b', 'c', 'd'], ['delete_queue', 'q']]) {
        const r = await host.ctl(node, cmd);
        expect(r.exitCode).toBe(64);
        expect(r.stdout).toBe('');
        expect(r.stderr.startsWith("Error: this command requires the 'rabbit' app to be running on the target node.")).toBe(true);
      }
    } finally {
      expect((await host.ctl(node, ['start_app'])).exitCode).toBe(0);
    }
  });
});

describe('users', () => {
  it('reads a password from stdin, and authenticates, changes and clears it', async () => {
    const add = await ctlWithInput(host, node, ['add_user', 'carol'], 'pw1\n');
    expect(add).toMatchObject({ exitCode: 0, stderr: '' });
    expect(add.stdout).toBe(
      'Adding user "carol" ...\nPassword: \n' +
        "Done. Don't forget to grant the user permissions to some virtual hosts! See 'warrenctl help set_permissions' to learn more.\n",
    );
    const auth = await ctlWithInput(host, node, ['authenticate_user', 'carol'], 'pw1\n');
    expect(auth).toMatchObject({ exitCode: 0, stdout: 'Authenticating user "carol" ...\nPassword: \nSuccess\n' });
    const change = await ctlWithInput(host, node, ['change_password', 'carol'], 'pw2');
    expect(change).toMatchObject({ exitCode: 0, stdout: 'Changing password for user "carol" ...\nPassword: \n' });
    expect((await host.ctl(node, ['authenticate_user', 'carol', 'pw2'])).exitCode).toBe(0);

    const blank = await host.ctl(node, ['authenticate_user', 'carol', '']);
    expect(blank.exitCode).toBe(65);
    expect(blank.stderr).toContain(`Error:\nError: failed to authenticate user "carol"\nuser 'carol' attempted to log in with a blank password`);

    expect(await host.ctl(node, ['clear_password', 'carol'])).toMatchObject({ exitCode: 0, stdout: 'Clearing password for user "carol" ...\n' });
    const cleared = await host.ctl(node, ['authenticate_user', 'carol', 'pw2']);
    expect(cleared).toMatchObject({ exitCode: 65, stderr: `Error:\nError: failed to authenticate user "carol"\nuser 'carol' - invalid credentials\n` });
  });

  it('reports missing users as rabbitmqctl does, command by command', async () => {
    const cases: Array<[string[], number, string]> = [
      [['change_password', 'nosuch', 'x'], 67, 'Error:\nUser "nosuch" does not exist\n'],
      [['set_user_tags', 'nosuch', 'a'], 67, 'Error:\nUser "nosuch" does not exist\n'],
      [['clear_password', 'nosuch'], 69, 'Error:\n{:no_such_user, "nosuch"}\n'],
      [['list_user_permissions', 'nosuch'], 69, 'Error:\n{:no_such_user, "nosuch"}\n'],
      [['clear_permissions', 'nosuch'], 67, 'Error:\nUser nosuch does not exist\n'],
      [['authenticate_user', 'nosuch', 'x'], 65, `Error:\nError: failed to authenticate user "nosuch"\nuser 'nosuch' - invalid credentials\n`],
    ];
    for (const [args, code, stderr] of cases) expect({ args, ...(await host.ctl(node, args)) }).toMatchObject({ args, exitCode: code, stderr });
  });

  it('refuses an empty user name and a missing password before and after the banner', async () => {
    const empty = await host.ctl(node, ['add_user', '', 'x']);
    expect(empty.exitCode).toBe(65);
    expect(empty.stderr.startsWith('Error (argument validation): Bad argument: user cannot be an empty string\n')).toBe(true);
    const quiet = await ctlWithInput(host, node, ['add_user', '-q', 'dave'], '');
    expect(quiet).toEqual({ exitCode: 65, stdout: '', stderr: 'Error:\nPassword is not provided via argument or stdin\n' });
  });

  it('answers JSON for a change, as rabbitmqctl does', async () => {
    const r = await host.ctl(node, ['set_user_tags', 'carol', 'monitoring', '--formatter', 'json']);
    expect(r).toMatchObject({ exitCode: 0, stdout: `{"node":"${node.name}","result":"ok"}\n` });
    const auth = await host.ctl(node, ['add_user', 'erin', 'pw', '--formatter', 'json']);
    expect(JSON.parse(auth.stdout)).toMatchObject({ node: node.name, status: 'ok' });
  });
});

describe('virtual hosts', () => {
  it('lists every column 3.10 has, in every formatter', async () => {
    expect((await host.ctl(node, ['add_vhost', 'qa', '--description', 'QA env', '--tags', 'a,b', '--default-queue-type', 'quorum'])).exitCode).toBe(0);
    const cols = ['name', 'tracing', 'description', 'tags', 'cluster_state', 'default_queue_type'];
    const table = await host.ctl(node, ['list_vhosts', ...cols]);
    expect(table.stdout).toBe(
      'Listing vhosts ...\nname\ttracing\tdescription\ttags\tcluster_state\tdefault_queue_type\n' +
        `/\tfalse\tDefault virtual host\t[]\t[{${node.name}, running}]\tundefined\n` +
        `qa\tfalse\tQA env\t[a, b]\t[{${node.name}, running}]\tundefined\n`,
    );
    const json = await host.ctl(node, ['list_vhosts', ...cols, '--formatter', 'json']);
    expect(json.stdout.split('\n')[2]).toBe(
      `,{"name":"qa","tracing":false,"description":"QA env","tags":["a","b"],"cluster_state":{"${node.name}":"running"},"default_queue_type":"undefined"}`,
    );
    const erl = await host.ctl(node, ['list_vhosts', 'name', 'tags', 'cluster_state', '--formatter', 'erlang']);
    expect(erl.stdout).toContain(`[{name,<<"qa">>},{tags,[a,b]},{cluster_state,[{${node.name},running}]}]`);
    const bad = await host.ctl(node, ['add_vhost', 'qb', '--default-queue-type', 'bogus']);
    expect(bad).toMatchObject({ exitCode: 69, stdout: 'Adding vhost "qb" ...\n', stderr: 'Error:\ninvalid_queue_type\n' });
  });

  it('closes the connections of a deleted vhost and forgets its permissions', async () => {
    await host.ctl(node, ['add_vhost', 'gone']);
    await host.ctl(node, ['set_permissions', '-p', 'gone', 'guest', '.*', '.*', '.*']);
    const conn = await amqp.connect(url('guest', 'guest', 'gone'));
    const closed = new Promise<Error>((resolve) => conn.on('close', resolve));
    expect((await host.ctl(node, ['delete_vhost', 'gone'])).exitCode).toBe(0);
    expect((await closed).message).toContain("CONNECTION_FORCED - vhost 'gone' is deleted");
    const perms = await host.ctl(node, ['list_user_permissions', 'guest', '-q']);
    expect(perms.stdout).not.toContain('gone');
  });
});

describe('permissions over AMQP', () => {
  it('refuses a declare without configure permission, and allows it once granted', async () => {
    await host.ctl(node, ['add_user', 'u', 'pw']);
    await host.ctl(node, ['set_permissions', 'u', '^$', '.*', '.*']);
    const conn = await amqp.connect(url('u', 'pw'));
    conn.on('error', () => {});
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      await expect(ch.assertQueue('x')).rejects.toThrow("ACCESS_REFUSED - access to queue 'x' in vhost '/' refused for user 'u'");
      expect((await host.ctl(node, ['set_permissions', 'u', '^x$', '.*', '.*'])).exitCode).toBe(0);
      const ch2 = await conn.createChannel();
      expect((await ch2.assertQueue('x')).queue).toBe('x');
      // Write permission is separate: none on the default exchange.
      await host.ctl(node, ['set_permissions', 'u', '^x$', '^$', '.*']);
      const ch3 = await conn.createConfirmChannel();
      ch3.on('error', () => {});
      const closed = new Promise<Error>((resolve) => ch3.on('close', () => resolve(new Error('closed'))));
      ch3.publish('amq.direct', 'k', Buffer.from('m'));
      await closed;
    } finally {
      await conn.close().catch(() => {});
    }
    expect((await host.ctl(node, ['clear_permissions', 'u'])).exitCode).toBe(0);
    // amqplib drops the reply text of a refused connection.open; the node's log has it.
    await expect(amqp.connect(url('u', 'pw'))).rejects.toThrow('Expected ConnectionOpenOk; got <ConnectionClose channel:0>');
    await logged("closing with 530: NOT_ALLOWED - access to vhost '/' refused for user 'u'");
  });
});

describe('vhost limits', () => {
  it('sets, lists and clears limits in every formatter', async () => {
    await host.ctl(node, ['add_vhost', 'lim']);
    const set = await host.ctl(node, ['set_vhost_limits', '-p', 'lim', '{"max-queues": 10, "max-connections": 2}']);
    expect(set).toMatchObject({ exitCode: 0, stdout: 'Setting vhost limits to "{"max-queues": 10, "max-connections": 2}" for vhost "lim" ...\n' });
    const list = (...more: string[]) => host.ctl(node, ['list_vhost_limits', '-p', 'lim', ...more]);
    expect((await list()).stdout).toBe('Listing limits for vhost "lim" ...\n{"max-connections":2,"max-queues":10}\n');
    expect((await list('--formatter', 'json')).stdout).toBe(
      `{"node":"${node.name}","result":"ok","value":"{\\"max-connections\\":2,\\"max-queues\\":10}"}\n`,
    );
    expect((await list('--formatter', 'erlang')).stdout).toBe(
      'Listing limits for vhost "lim" ...\n<<"{\\"max-connections\\":2,\\"max-queues\\":10}">>\n',
    );
    const global = await host.ctl(node, ['list_vhost_limits', '--global']);
    expect(global.stdout).toBe('Listing limits for all vhosts ...\nvhost\tlimits\nlim\t{"max-connections":2,"max-queues":10}\n');

    expect(await host.ctl(node, ['clear_vhost_limits', '-p', 'lim'])).toMatchObject({ exitCode: 0, stdout: 'Clearing vhost "lim" limits ...\n' });
    expect(await list()).toMatchObject({ exitCode: 0, stdout: 'Listing limits for vhost "lim" ...\n\n' });
    expect((await list('--formatter', 'json')).stdout).toBe('[]\n');
    const again = await host.ctl(node, ['clear_vhost_limits', '-p', 'lim']);
    expect(again).toMatchObject({ exitCode: 69, stderr: 'Error:\nParameter does not exist\n' });
  });

  it('validates the definition as RabbitMQ does', async () => {
    const cases: Array<[string, number, string]> = [
      ['{max-queues: 10}', 69, 'Error:\nJSON decoding error. Reason: badarg\n'],
      ['{"frob": 1}', 69, 'Error:\nValidation failed\n\nUnrecognised terms [{<<"frob">>,1}] in limits\n\n'],
      [
        '{"max-connections": "x", "max-queues": 1.5, "b": 1, "a": null}',
        69,
        'Error:\nValidation failed\n\nUnrecognised terms [{<<"a">>,null},{<<"b">>,1}] in limits\n' +
          'max-queues should be a number, actually was 1.5\nmax-connections should be a number, actually was <<"x">>\n\n',
      ],
      ['{"max-queues": {"a": 1}}', 69, 'Error:\nValidation failed\n\nmax-queues should be a number, actually was #{<<"a">> => 1}\n\n'],
    ];
    for (const [definition, code, stderr] of cases) {
      expect({ definition, ...(await host.ctl(node, ['set_vhost_limits', definition])) }).toMatchObject({ definition, exitCode: code, stderr });
    }
    const missing = await host.ctl(node, ['set_vhost_limits', '-p', 'nosuch', '{"max-queues": 1}']);
    expect(missing).toMatchObject({ exitCode: 65, stderr: "Virtual host 'nosuch' does not exist\n" });
  });

  it('refuses a connection past max-connections and a queue past max-queues, serving everyone else', async () => {
    await host.ctl(node, ['add_vhost', 'small']);
    await host.ctl(node, ['set_permissions', '-p', 'small', 'guest', '.*', '.*', '.*']);
    expect((await host.ctl(node, ['set_vhost_limits', '-p', 'small', '{"max-connections": 1, "max-queues": 1}'])).exitCode).toBe(0);
    const first = await amqp.connect(url('guest', 'guest', 'small'));
    try {
      await expect(amqp.connect(url('guest', 'guest', 'small'))).rejects.toThrow('Expected ConnectionOpenOk');
      await logged("closing with 530: NOT_ALLOWED - access to vhost 'small' refused for user 'guest': connection limit (1) is reached");
      const ch = await first.createChannel();
      ch.on('error', () => {});
      await ch.assertQueue('one');
      await expect(ch.assertQueue('two')).rejects.toThrow("PRECONDITION_FAILED - cannot declare queue 'two': queue limit in vhost 'small' (1) is reached");

      // Others are served: another vhost, and the first connection on a new channel.
      const other = await amqp.connect(url('guest', 'guest'));
      const och = await other.createChannel();
      await och.assertQueue('elsewhere');
      await other.close();
      const again = await first.createChannel();
      expect((await again.checkQueue('one')).queue).toBe('one');
      const listed = await host.ctl(node, ['list_queues', '-p', 'small', '-q']);
      expect(listed.stdout).toBe('name\tmessages\none\t0\n');
    } finally {
      await first.close().catch(() => {});
    }
  });
});
