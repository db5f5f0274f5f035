// Classic mirrored queues. A policy with ha-mode gives a queue mirrors on other nodes. The
// master (the queue on its home node) hears everything that happens to its messages through
// the queue's observer and sends it, in order and batched per turn, to every mirror; a mirror
// keeps the messages (on disk too where they are persistent, in the queue's usual place on its
// node) and which of them are out with consumers. A publisher confirm waits for every
// synchronised mirror to hold the message. A new mirror starts empty and unsynchronised; it
// becomes synchronised when the messages it lacks are gone, or when a sync (ha-sync-mode
// automatic, or sync_queue) has sent them. When the master's node goes, the oldest
// synchronised mirror (ha-promote-on-failure / -on-shutdown respected) becomes the master:
// its messages come back in their order, all flagged redelivered (any may have been out).

import type { PolicyRecord, QueueDef } from '../broker/metadata.js';
import { Persistence } from '../broker/persistence.js';
import type { ClassicQueue, QueueEntry, QueueObserver } from '../queues/classic-queue.js';
import type { Message } from '../queues/message.js';
import type { QueueStore } from '../store/queue-store.js';
import { messageFromWire, messageToWire, type WireMessage } from '../broker/remote-queue.js';

export interface HaPolicy {
  mode: 'all' | 'exactly' | 'nodes';
  /** exactly: how many copies in all (master included); nodes: the node names. */
  params: number | string[] | undefined;
  syncMode: 'manual' | 'automatic';
  batchSize: number;
  promoteOnShutdown: 'always' | 'when-synced';
  promoteOnFailure: 'always' | 'when-synced';
}

export function haPolicyOf(p: PolicyRecord | undefined): HaPolicy | undefined {
  const d = p?.definition;
  const mode = d?.['ha-mode'];
  if (d === undefined || (mode !== 'all' && mode !== 'exactly' && mode !== 'nodes')) return undefined;
  const params = d['ha-params'];
  return {
    mode,
    params: typeof params === 'number' ? params : Array.isArray(params) ? params.map(String) : undefined,
    syncMode: d['ha-sync-mode'] === 'automatic' ? 'automatic' : 'manual',
    batchSize: typeof d['ha-sync-batch-size'] === 'number' ? Math.max(1, d['ha-sync-batch-size']) : 4096,
    promoteOnShutdown: d['ha-promote-on-shutdown'] === 'always' ? 'always' : 'when-synced',
    promoteOnFailure: d['ha-promote-on-failure'] === 'when-synced' ? 'when-synced' : 'always',
  };
}

/**
 * Where a queue's mirrors go: every other running member (all), enough for `exactly` copies
 * (keeping the current mirrors first), or the listed nodes that run (nodes).
 */
export function placeMirrors(ha: HaPolicy, master: string, running: string[], current: string[]): string[] {
  const others = running.filter((n) => n !== master).sort();
  if (ha.mode === 'all') return [...current.filter((n) => others.includes(n)), ...others.filter((n) => !current.includes(n))];
  if (ha.mode === 'exactly') {
    const want = Math.max(0, (typeof ha.params === 'number' ? ha.params : 1) - 1);
    const keep = current.filter((n) => others.includes(n)).slice(0, want);
    for (const n of others) if (keep.length < want && !keep.includes(n)) keep.push(n);
    return keep;
  }
  const listed = Array.isArray(ha.params) ? ha.params : [];
  const wanted = listed.filter((n) => others.includes(n));
  return [...current.filter((n) => wanted.includes(n)), ...wanted.filter((n) => !current.includes(n))];
}

type Event = [string, ...unknown[]];

/** How the mirroring reaches other nodes. */
export interface MirrorLinks {
  call(node: string, op: string, args: Record<string, unknown>): Promise<unknown>;
  log(level: 'info' | 'warning', text: string): void;
}

interface MirrorState {
  node: string;
  synced: boolean;
  /** Messages older than this were in the queue before the mirror started. */
  startSeq: number;
  /** How many of those are still in the queue (ready or out with consumers). */
  missing: number;
  syncing: boolean;
}

/** The master's side: sends what happens to its queue to each mirror. */
export class MirrorSet implements QueueObserver {
  readonly mirrors = new Map<string, MirrorState>();
  /** Deliveries out with consumers (a full sync sends them too). */
  private readonly out = new Map<number, QueueEntry>();
  private batch: Event[] = [];
  private batchDone: Promise<void> | undefined;
  private releaseBatch: (() => void) | undefined;
  private cancelSync = false;
  /** Messages that left while a sync ran (not to be sent after their removal). */
  private readonly goneWhileSyncing = new Set<number>();
  syncProgress = 0;

  constructor(
    readonly queue: ClassicQueue,
    public ha: HaPolicy,
    private readonly links: MirrorLinks,
    /** Mirrors were added, lost or synchronised: the metadata should say so. */
    private readonly changed: () => void,
  ) {}

  private get key(): { vhost: string; name: string } {
    return { vhost: this.queue.vhost, name: this.queue.name };
  }

  // ---- the queue's events ----

  enqueued(entry: QueueEntry): void {
    this.push(['p', entry.seq, messageToWire(entry.msg)]);
  }

  delivered(entry: QueueEntry): void {
    this.out.set(entry.seq, entry);
    this.push(['d', entry.seq]);
  }

  requeued(entries: QueueEntry[]): void {
    for (const e of entries) this.out.delete(e.seq);
    this.push(['r', entries.map((e) => e.seq)]);
  }

  removed(entries: QueueEntry[]): void {
    for (const e of entries) this.out.delete(e.seq);
    if (this.syncing) for (const e of entries) this.goneWhileSyncing.add(e.seq);
    this.push(['x', entries.map((e) => e.seq)]);
    let newlySynced = false;
    for (const m of this.mirrors.values()) {
      if (m.synced) continue;
      for (const e of entries) if (e.seq < m.startSeq) m.missing--;
      if (m.missing <= 0) {
        m.synced = true;
        newlySynced = true;
      }
    }
    if (newlySynced) this.changed();
  }

  /** What a publisher confirm for a message enqueued this turn waits for. */
  replicated(): Promise<void> | undefined {
    if (this.batch.length === 0) return undefined;
    return this.batchDone;
  }

  private push(ev: Event): void {
    if (this.mirrors.size === 0) return;
    if (this.batch.length === 0) {
      this.batchDone = new Promise<void>((resolve) => (this.releaseBatch = resolve));
      setImmediate(() => this.flush());
    }
    this.batch.push(ev);
  }

  private flush(): void {
    const events = this.batch;
    const release = this.releaseBatch!;
    this.batch = [];
    this.releaseBatch = undefined;
    const waits: Array<Promise<unknown>> = [];
    for (const m of this.mirrors.values()) {
      const sent = this.links.call(m.node, 'peer.mirror', { ...this.key, events }).catch(() => this.lost(m.node));
      // Only synchronised mirrors hold up confirms.
      if (m.synced) waits.push(sent);
    }
    void Promise.all(waits).then(() => release());
  }

  // ---- mirrors coming and going ----

  /** A mirror that already holds the queue's messages (the remaining mirrors of a promoted one). */
  adopt(node: string, synced: boolean): void {
    const q = this.queue;
    this.mirrors.set(node, { node, synced, startSeq: synced ? 0 : q.nextSeqNumber, missing: synced ? 0 : q.totalMessages, syncing: false });
  }

  /** Starts a mirror on `node` (empty); with automatic sync it is filled at once. */
  async add(node: string): Promise<void> {
    if (this.mirrors.has(node)) return;
    const q = this.queue;
    await this.links.call(node, 'peer.mirror_start', { ...this.key, durable: q.durable });
    const missing = q.totalMessages;
    const state: MirrorState = { node, synced: missing === 0, startSeq: q.nextSeqNumber, missing, syncing: false };
    this.mirrors.set(node, state);
    this.links.log('info', `Mirror of queue '${q.name}' in vhost '${q.vhost}' started on ${node}${state.synced ? ' (synchronised)' : ''}`);
    this.changed();
    if (!state.synced && this.ha.syncMode === 'automatic') void this.sync();
  }

  /** A mirror's node went away, or the policy no longer wants it there. */
  lost(node: string): void {
    if (!this.mirrors.delete(node)) return;
    this.links.log('warning', `Mirror of queue '${this.queue.name}' on ${node} is gone`);
    this.changed();
  }

  drop(node: string): void {
    if (!this.mirrors.has(node)) return;
    this.links.call(node, 'peer.mirror_stop', this.key).catch(() => {});
    this.lost(node);
  }

  get syncing(): boolean {
    return [...this.mirrors.values()].some((m) => m.syncing);
  }

  /**
   * Sends every message the unsynchronised mirrors lack (ready ones and those out with
   * consumers), ha-sync-batch-size at a time. Resolves when done or cancelled.
   */
  async sync(): Promise<'done' | 'cancelled'> {
    const targets = [...this.mirrors.values()].filter((m) => !m.synced && !m.syncing);
    if (targets.length === 0) return 'done';
    for (const m of targets) m.syncing = true;
    this.cancelSync = false;
    this.goneWhileSyncing.clear();
    this.syncProgress = 0;
    try {
      const entries = [...this.queue.readyEntries(), ...this.out.values()].sort((a, b) => a.seq - b.seq);
      const startSeq = this.queue.nextSeqNumber;
      for (let i = 0; i < entries.length; i += this.ha.batchSize) {
        if (this.cancelSync) return 'cancelled';
        const chunk = entries.slice(i, i + this.ha.batchSize).filter((e) => !this.goneWhileSyncing.has(e.seq));
        const events: Event[] = chunk.map((e) => ['s', e.seq, messageToWire(e.msg), this.out.has(e.seq)]);
        await Promise.all(targets.filter((m) => this.mirrors.has(m.node)).map((m) => this.links.call(m.node, 'peer.mirror', { ...this.key, events })));
        this.syncProgress += chunk.length;
        // Let publishes and deliveries go on between batches.
        await new Promise((r) => setImmediate(r));
      }
      for (const m of targets) {
        if (!this.mirrors.has(m.node)) continue;
        m.synced = true;
        m.startSeq = Math.min(m.startSeq, startSeq);
        m.missing = 0;
      }
      this.changed();
      return 'done';
    } catch {
      return 'cancelled';
    } finally {
      for (const m of targets) m.syncing = false;
      this.goneWhileSyncing.clear();
    }
  }

  cancel(): boolean {
    if (!this.syncing) return false;
    this.cancelSync = true;
    return true;
  }

  /** Mirrors in the order they were added, and the synchronised ones. */
  view(): { mirrors: string[]; synced: string[] } {
    const all = [...this.mirrors.values()];
    return { mirrors: all.map((m) => m.node), synced: all.filter((m) => m.synced).map((m) => m.node) };
  }
}

interface MirrorEntry {
  msg: Message;
  storeSeq: number;
  out: boolean;
}

/** The mirror's side: a copy of the master's messages, by the master's seqs. */
export class MirrorQueue {
  readonly entries = new Map<number, MirrorEntry>();

  constructor(
    readonly vhost: string,
    readonly name: string,
    public master: string,
    private readonly store: QueueStore | undefined,
  ) {}

  /** Applies a batch of the master's events; resolves once persistent ones are on disk. */
  apply(events: Event[]): Promise<void> | undefined {
    let last = -1;
    for (const ev of events) {
      switch (ev[0]) {
        case 'p':
        case 's': {
          const seq = ev[1] as number;
          if (this.entries.has(seq)) break;
          const msg = messageFromWire(ev[2] as WireMessage);
          const storeSeq = this.store !== undefined && msg.persistent ? Persistence.append(this.store, msg) : -1;
          if (storeSeq >= 0) last = storeSeq;
          this.entries.set(seq, { msg, storeSeq, out: ev[0] === 's' && ev[3] === true });
          break;
        }
        case 'd': {
          const e = this.entries.get(ev[1] as number);
          if (e !== undefined) e.out = true;
          break;
        }
        case 'r':
          for (const seq of ev[1] as number[]) {
            const e = this.entries.get(seq);
            if (e !== undefined) e.out = false;
          }
          break;
        case 'x': {
          const acked: number[] = [];
          for (const seq of ev[1] as number[]) {
            const e = this.entries.get(seq);
            if (e === undefined) continue;
            this.entries.delete(seq);
            if (e.storeSeq >= 0) acked.push(e.storeSeq);
          }
          if (acked.length > 0) this.store?.ack(acked);
          break;
        }
      }
    }
    return last >= 0 ? this.store!.durable(last) : undefined;
  }

  /**
   * The messages for a promoted master, in the master's order, all flagged redelivered: the
   * master's last deliveries may not have reached this mirror before it died, so any of them
   * may have been delivered already.
   */
  takeOver(): { entries: Array<{ seq: number; msg: Message; storeSeq: number; redelivered: boolean }>; store: QueueStore | undefined } {
    const entries = [...this.entries].sort((a, b) => a[0] - b[0]).map(([seq, e]) => ({ seq, msg: e.msg, storeSeq: e.storeSeq, redelivered: true }));
    return { entries, store: this.store };
  }

  async destroy(): Promise<void> {
    this.entries.clear();
    await this.store?.destroy();
  }

  async close(): Promise<void> {
    await this.store?.close();
  }
}

/** Which mirror takes over from a master that went away (undefined: none may). */
export function successor(def: QueueDef, alive: (node: string) => boolean, ha: HaPolicy | undefined, shutdown: boolean): string | undefined {
  const mirrors = (def.mirrors ?? []).filter(alive);
  const synced = mirrors.filter((n) => (def.synced ?? []).includes(n));
  if (synced.length > 0) return synced[0];
  const rule = shutdown ? (ha?.promoteOnShutdown ?? 'when-synced') : (ha?.promoteOnFailure ?? 'always');
  return rule === 'always' ? mirrors[0] : undefined;
}
