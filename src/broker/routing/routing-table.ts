// The interface every exchange type's routing table implements, and the binding bookkeeping that
// the direct, fanout and topic tables share.
//
// Destinations are opaque to routing: the broker passes whatever it uses for a queue or an
// exchange (the record, or a string id). They are Map keys and Set members, so two destinations
// are the same when they are SameValueZero-equal: the same object, or equal strings. The broker
// must use one value per queue or exchange for as long as it is bound.

import { sameArguments, type FieldTable } from './field-table.js';

export interface RoutingTable<D> {
  /**
   * Adds a binding; false if this exact (destination, key, arguments) binding already existed.
   * The table keeps `args` as given, so it must not change afterwards.
   */
  bind(dest: D, key: string, args: FieldTable): boolean;
  /** Removes a binding; false if it did not exist. */
  unbind(dest: D, key: string, args: FieldTable): boolean;
  /** Removes every binding to dest, as when a queue or exchange is deleted; returns how many. */
  unbindAll(dest: D): number;
  /**
   * Adds to `out` every destination a message with this routing key and these headers goes to.
   * `out` is a Set so that a destination reached through several bindings, or through several
   * tables (exchange-to-exchange bindings, CC/BCC routing keys), is counted once; the broker can
   * reuse one Set per channel, cleared per publish, so routing allocates nothing.
   */
  route(routingKey: string, headers: FieldTable | undefined, out: Set<D>): void;
  /** How many bindings the table holds. */
  readonly size: number;
}

/**
 * The bindings of one exchange: destination -> binding key -> the distinct argument tables bound
 * with that key. Arguments only tell bindings apart here: direct, fanout and topic exchanges route
 * on (destination, key), so their indexes change only when a pair gains its first binding or
 * loses its last.
 */
export class BindingSet<D> {
  private readonly byDest = new Map<D, Map<string, FieldTable[]>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the binding; false if it existed. */
  add(dest: D, key: string, args: FieldTable): boolean {
    let keys = this.byDest.get(dest);
    if (keys === undefined) this.byDest.set(dest, (keys = new Map()));
    const bound = keys.get(key);
    if (bound === undefined) {
      keys.set(key, [args]);
    } else {
      if (bound.some((a) => sameArguments(a, args))) return false;
      bound.push(args);
    }
    this.count++;
    return true;
  }

  /** Removes the binding; false if it did not exist. */
  remove(dest: D, key: string, args: FieldTable): boolean {
    const keys = this.byDest.get(dest);
    const bound = keys?.get(key);
    const i = bound === undefined ? -1 : bound.findIndex((a) => sameArguments(a, args));
    if (i < 0) return false;
    bound!.splice(i, 1);
    if (bound!.length === 0) {
      keys!.delete(key);
      if (keys!.size === 0) this.byDest.delete(dest);
    }
    this.count--;
    return true;
  }

  /** Whether dest is bound with this key under any arguments. */
  isBound(dest: D, key: string): boolean {
    return this.byDest.get(dest)?.has(key) === true;
  }

  /** Removes every binding to dest; returns them as key -> argument tables. */
  removeDestination(dest: D): ReadonlyMap<string, readonly FieldTable[]> | undefined {
    const keys = this.byDest.get(dest);
    if (keys === undefined) return undefined;
    this.byDest.delete(dest);
    for (const bound of keys.values()) this.count -= bound.length;
    return keys;
  }

  /** Every destination with at least one binding. */
  destinations(): IterableIterator<D> {
    return this.byDest.keys();
  }
}

/** A routing table whose index depends only on (destination, key) pairs. */
export abstract class KeyedRoutingTable<D> implements RoutingTable<D> {
  protected readonly bindings = new BindingSet<D>();

  get size(): number {
    return this.bindings.size;
  }

  bind(dest: D, key: string, args: FieldTable): boolean {
    const firstForKey = !this.bindings.isBound(dest, key);
    if (!this.bindings.add(dest, key, args)) return false;
    if (firstForKey) this.index(dest, key);
    return true;
  }

  unbind(dest: D, key: string, args: FieldTable): boolean {
    if (!this.bindings.remove(dest, key, args)) return false;
    if (!this.bindings.isBound(dest, key)) this.unindex(dest, key);
    return true;
  }

  unbindAll(dest: D): number {
    const removed = this.bindings.removeDestination(dest);
    if (removed === undefined) return 0;
    let n = 0;
    for (const [key, bound] of removed) {
      this.unindex(dest, key);
      n += bound.length;
    }
    return n;
  }

  abstract route(routingKey: string, headers: FieldTable | undefined, out: Set<D>): void;

  /** dest has just gained its first binding with key. */
  protected abstract index(dest: D, key: string): void;
  /** dest has just lost its last binding with key. */
  protected abstract unindex(dest: D, key: string): void;
}
