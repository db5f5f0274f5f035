// A streamed list operation as an async iterable: the node sends `rows` batches (respecting
// socket back-pressure on its side) and then its reply; batches are handed to the consumer as
// they arrive. When the consumer falls behind (a slow pipe), reading from the node stops until
// it catches up, so at most HIGH_WATER batches are held here however long the list.

import type { ControlClient } from '../control/client.js';

const HIGH_WATER = 8;

export async function* callRows(client: ControlClient, op: string, args: Record<string, unknown> = {}): AsyncGenerator<unknown[]> {
  let arrived: unknown[][] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  client
    .call(op, args, {
      onRows: (rows) => {
        arrived.push(rows);
        if (arrived.length >= HIGH_WATER) client.pause();
        notify();
      },
    })
    .then(
      () => {
        finished = true;
        notify();
      },
      (err: unknown) => {
        failure = err;
        finished = true;
        notify();
      },
    );
  for (;;) {
    if (arrived.length > 0) {
      const ready = arrived;
      arrived = [];
      client.resume();
      for (const batch of ready) yield batch;
      continue;
    }
    if (finished) {
      if (failure !== undefined) throw failure;
      return;
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

/** Maps each element of each batch (a stream stays a stream). */
export async function* mapBatches<A, B>(batches: AsyncIterable<A[]>, f: (a: A) => B): AsyncGenerator<B[]> {
  for await (const batch of batches) yield batch.map(f);
}

/** A list already in hand, as a one-batch stream. */
export async function* oneBatch<A>(items: A[]): AsyncGenerator<A[]> {
  if (items.length > 0) yield items;
}
