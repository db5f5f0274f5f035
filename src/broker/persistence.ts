// Where durable queues keep their persistent messages: one QueueStore per durable queue under
// `<data dir>/queues/<hash of vhost and name>`, all sharing the node's group-commit Flusher.
// A persistent message routed to a durable queue is appended as it is enqueued; its publisher
// confirm waits for the flush that makes it durable; an ack (or a drop) writes an ack record.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Flusher } from '../store/flusher.js';
import { QueueStore } from '../store/queue-store.js';
import type { ClassicQueue, QueueEntry } from '../queues/classic-queue.js';
import { scanProperties, parseExpiration, type Message } from '../queues/message.js';

const PERSISTENT = 1;

export class Persistence {
  private readonly flusher = new Flusher();
  private readonly stores = new Map<ClassicQueue, QueueStore>();

  constructor(
    readonly dataDir: string,
    private readonly warn: (message: string) => void,
  ) {}

  static dirOf(dataDir: string, vhost: string, name: string): string {
    const hash = createHash('sha256').update(`${vhost}\u0000${name}`).digest('hex').slice(0, 32);
    return path.join(dataDir, 'queues', hash);
  }

  /** Opens a durable queue's store and puts its recovered messages back in the queue. */
  async attach(queue: ClassicQueue): Promise<void> {
    const { store, messages } = await QueueStore.open(Persistence.dirOf(this.dataDir, queue.vhost, queue.name), {
      flusher: this.flusher,
      warn: (m) => this.warn(`queue '${queue.name}' in vhost '${queue.vhost}': ${m}`),
    });
    this.stores.set(queue, store);
    queue.restore(
      messages.map(({ seq, message }) => {
        const scanned = scanProperties(message.propertyBytes);
        const msg: Message = {
          exchange: message.exchange,
          routingKey: message.routingKey,
          propertyBytes: message.propertyBytes,
          body: message.body,
          persistent: (message.flags & PERSISTENT) !== 0,
          priority: scanned?.priority ?? 0,
          ttl: Math.max(-1, parseExpiration(scanned?.expiration)),
        };
        return { msg, storeSeq: seq };
      }),
    );
  }

  /**
   * A mirror's store: the queue's usual place on this node, emptied first (a mirror starts
   * empty), so that a promoted mirror's store is where the queue's would be.
   */
  async openEmpty(vhost: string, name: string): Promise<QueueStore> {
    const dir = Persistence.dirOf(this.dataDir, vhost, name);
    await fs.promises.rm(dir, { recursive: true, force: true });
    const { store } = await QueueStore.open(dir, { flusher: this.flusher, warn: (m) => this.warn(`mirror of queue '${name}' in vhost '${vhost}': ${m}`) });
    return store;
  }

  /** Appends a message to a store the caller holds (a mirror's). */
  static append(store: QueueStore, m: Message): number {
    return store.append({
      exchange: m.exchange,
      routingKey: m.routingKey,
      propertyBytes: m.propertyBytes,
      body: m.body,
      flags: m.persistent ? PERSISTENT : 0,
    });
  }

  /** A promoted mirror's store becomes its queue's. */
  adopt(queue: ClassicQueue, store: QueueStore): void {
    this.stores.set(queue, store);
  }

  /** Stores a persistent message entering a durable queue. */
  store(queue: ClassicQueue, entry: QueueEntry): void {
    const store = this.stores.get(queue);
    if (store === undefined) return;
    const m = entry.msg;
    entry.storeSeq = store.append({
      exchange: m.exchange,
      routingKey: m.routingKey,
      propertyBytes: m.propertyBytes,
      body: m.body,
      flags: m.persistent ? PERSISTENT : 0,
    });
  }

  /** Resolves when the entry is on disk; undefined when it is not stored (nothing to wait for). */
  durable(queue: ClassicQueue, entry: QueueEntry): Promise<void> | undefined {
    if (entry.storeSeq < 0) return undefined;
    return this.stores.get(queue)?.durable(entry.storeSeq);
  }

  forget(queue: ClassicQueue, entries: QueueEntry[]): void {
    const store = this.stores.get(queue);
    if (store === undefined) return;
    store.ack(entries.map((e) => e.storeSeq).filter((s) => s >= 0));
    for (const e of entries) e.storeSeq = -1;
  }

  /** The queue was deleted: its messages go with it. */
  drop(queue: ClassicQueue): void {
    const store = this.stores.get(queue);
    if (store === undefined) return;
    this.stores.delete(queue);
    store.destroy().catch((err: Error) => this.warn(`could not delete the store of queue '${queue.name}': ${err.message}`));
  }

  /** Removes the stores of queues that no longer exist (deleted while the node was down). */
  removeOrphans(live: Set<string>): void {
    const dir = path.join(this.dataDir, 'queues');
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const e of entries) if (!live.has(path.join(dir, e))) fs.rmSync(path.join(dir, e), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    const stores = [...this.stores.values()];
    this.stores.clear();
    await Promise.all(stores.map((s) => s.close()));
  }
}
