// The AMQP listener of a node: accepts client sockets, keeps the live connections (for
// list_connections, stop_app and resource alarms) and the direct reply-to registry, and
// announces RabbitMQ's server properties and capabilities.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Broker } from '../broker/broker.js';
import type { Channel, ReplyToRegistry } from './channel.js';
import { AmqpConnection, type ConnectionHost, type ConnectionSettings } from './connection.js';
import { AmqpError } from './errors.js';
import { CONNECTION_FORCED } from './spec.js';
import type { FieldTable, FieldValue } from './table.js';

export interface AmqpServerOptions {
  port: number;
  host?: string;
  broker: Broker;
  settings: Omit<ConnectionSettings, 'serverProperties'>;
  product: { name: string; version: string; clusterName: string };
  log(level: 'info' | 'warning' | 'error', text: string): void;
}

function capabilities(): FieldTable {
  const caps: Array<[string, FieldValue]> = [
    ['publisher_confirms', true],
    ['exchange_exchange_bindings', true],
    ['basic.nack', true],
    ['consumer_cancel_notify', true],
    ['connection.blocked', true],
    ['consumer_priorities', true],
    ['authentication_failure_close', true],
    ['per_consumer_qos', true],
    ['direct_reply_to', true],
  ];
  return new Map(caps);
}

export class AmqpServer implements ConnectionHost, ReplyToRegistry {
  readonly connections = new Set<AmqpConnection>();
  readonly settings: ConnectionSettings;
  private readonly server: net.Server;
  private readonly replies = new Map<string, Channel>();
  private nextId = 1;
  private alarm = false;

  constructor(private readonly opts: AmqpServerOptions) {
    this.settings = {
      ...opts.settings,
      serverProperties: new Map<string, FieldValue>([
        ['capabilities', capabilities()],
        ['cluster_name', opts.product.clusterName],
        ['copyright', 'Copyright (c) the Warren authors'],
        ['information', 'Warren: a RabbitMQ-compatible broker. Licensed under the MIT licence.'],
        ['platform', `Node.js ${process.version}`],
        ['product', opts.product.name],
        ['version', opts.product.version],
      ]),
    };
    this.server = net.createServer((socket) => {
      const c = new AmqpConnection(socket, this, this.nextId++);
      this.connections.add(c);
    });
  }

  get broker(): Broker {
    return this.opts.broker;
  }

  get replyTo(): ReplyToRegistry {
    return this;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.opts.port, host: this.opts.host }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  log(level: 'info' | 'warning' | 'error', text: string): void {
    this.opts.log(level, text);
  }

  opened(c: AmqpConnection): void {
    this.opts.log('info', `accepting AMQP connection ${c.peer}, user '${c.user}', vhost '${c.vhost}'`);
  }

  closed(c: AmqpConnection): void {
    this.connections.delete(c);
  }

  alarmed(): boolean {
    return this.alarm;
  }

  /** Resource alarm on or off: publishers are blocked or released. */
  setAlarm(on: boolean, reason: string): void {
    this.alarm = on;
    for (const c of this.connections) c.setBlocked(on, reason);
  }

  register(channel: Channel): string {
    const id = randomBytes(18).toString('base64');
    this.replies.set(id, channel);
    return id;
  }

  unregister(id: string): void {
    this.replies.delete(id);
  }

  lookup(id: string): Channel | undefined {
    return this.replies.get(id);
  }

  /** stop_app: refuse new connections and close the open ones as RabbitMQ does. */
  async close(): Promise<void> {
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) {
      c.closeConnection(new AmqpError(CONNECTION_FORCED, "broker forced connection closure with reason 'shutdown'"));
    }
    const deadline = Date.now() + 2000;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.socket.destroy();
    await closing;
  }
}
