// Reading a queue store's directory back at boot: which segments exist, which of their messages
// are live, and those messages in seq order.
//
// Rules (the record scanner in format.ts finds the damage):
// - A torn tail (a record cut short, a damaged last record, trailing bytes that hold no record)
//   is dropped with a warning and the file truncated there, in any .seg or .ack file, so that
//   appends continue after good data. A kill -9 or power loss can only tear what was not yet
//   confirmed: confirmed records were fdatasync'd before the confirm.
// - Damage before the tail (a bit flip on disk, in any segment, the last one included) loses
//   only the records it touches: a record whose header checks but whose payload does not is
//   dropped alone; unreadable bytes are skipped to the next intact record. Each gets a warning
//   and the rest of the file is kept, because later records are as good as ever and throwing
//   them away would turn one bad sector into a lost queue.
// - A message record must have a seq above the previous one and inside its segment's range;
//   one that does not (a record-shaped run of bytes inside a damaged region) is dropped with a
//   warning.
// - Acks in an ack file hide the messages they name. A purge record hides every earlier message.
// - Segments with no live message left are deleted, except the last, which takes new appends;
//   ack files without a segment are deleted.
//
// Each file is read whole with one readFile and scanned in memory; see compact() for what the
// recovered messages keep of it.

import fs from 'node:fs/promises';
import path from 'node:path';
import { AppendFile, syncDirectory, type IoStats } from './append-file.js';
import { RECORD_ACKS, RECORD_MESSAGE, RECORD_PURGE, decodeAcks, scanRecords } from './format.js';
import { decodeMessage, type StoredMessage } from './message.js';
import { ACK_SUFFIX, SEGMENT_SUFFIX, Segment, segmentFileName } from './segment.js';

export interface RecoveredMessage {
  readonly seq: number;
  readonly message: StoredMessage;
}

export interface Recovered {
  /** In seq order; at least one, the last taking appends. */
  readonly segments: Segment[];
  readonly messages: RecoveredMessage[];
  readonly nextSeq: number;
}

type Warn = (message: string) => void;

const FILE_NAME = /^(\d{20})(\.seg|\.ack)$/;

/** `dir` must be absolute. */
export async function recover(dir: string, warn: Warn, stats: IoStats): Promise<Recovered> {
  await makeDirectory(dir, stats);
  const segmentSeqs: number[] = [];
  const ackSeqs = new Set<number>();
  for (const name of await fs.readdir(dir)) {
    const match = FILE_NAME.exec(name);
    if (match === null) continue;
    if (match[2] === SEGMENT_SUFFIX) segmentSeqs.push(Number(match[1]));
    else ackSeqs.add(Number(match[1]));
  }
  segmentSeqs.sort((a, b) => a - b);

  const segments: Segment[] = [];
  const messages: RecoveredMessage[] = [];
  let lastSeq = 0;
  for (let i = 0; i < segmentSeqs.length; i++) {
    const firstSeq = segmentSeqs[i];
    const endSeq = segmentSeqs[i + 1] ?? Infinity;
    const acksFile = path.join(dir, segmentFileName(firstSeq, ACK_SUFFIX));
    const hasAcks = ackSeqs.delete(firstSeq);
    const { acked, size: acksSize } = hasAcks ? await readAcks(acksFile, warn) : { acked: new Set(), size: 0 };
    const messagesFile = path.join(dir, segmentFileName(firstSeq, SEGMENT_SUFFIX));
    const segment = new Segment(
      firstSeq,
      new AppendFile(messagesFile, 0, false),
      new AppendFile(acksFile, acksSize, !hasAcks),
    );
    let live: LiveRecord[] = [];
    segment.messages.size = await readRecords(messagesFile, warn, (type, seq, payload) => {
      if (seq <= lastSeq || seq < firstSeq || seq >= endSeq) {
        warn(`${messagesFile}: dropped a record with seq ${seq} out of order (after ${lastSeq})`);
        return;
      }
      lastSeq = seq;
      if (type === RECORD_PURGE) {
        messages.length = 0;
        live = [];
        for (const earlier of segments) earlier.unmarkAll();
      } else if (type !== RECORD_MESSAGE) {
        warn(`${messagesFile}: ignored a record of type ${type}`);
      } else if (!acked.has(seq)) {
        live.push({ seq, payload });
      }
    });
    for (const { seq, payload } of compact(live, segment.messages.size)) {
      try {
        messages.push({ seq, message: decodeMessage(payload) });
        segment.markLive(seq);
      } catch (error) {
        warn(`${messagesFile}: dropped message seq ${seq}: ${(error as Error).message}`);
      }
    }
    segments.push(segment);
  }

  for (const seq of ackSeqs) await fs.rm(path.join(dir, segmentFileName(seq, ACK_SUFFIX)), { force: true });
  const kept = await deleteEmptySegments(segments);
  const last = kept.at(-1);
  const nextSeq = Math.max(lastSeq + 1, last?.firstSeq ?? 1);
  if (last === undefined) kept.push(Segment.create(dir, nextSeq));
  return { segments: kept, messages, nextSeq };
}

/** The seqs an ack file acks, and the size of its good part. */
async function readAcks(file: string, warn: Warn): Promise<{ acked: Set<number>; size: number }> {
  const acked = new Set<number>();
  const size = await readRecords(file, warn, (type, _seq, payload) => {
    if (type === RECORD_ACKS) decodeAcks(payload, (seq) => acked.add(seq));
    else warn(`${file}: ignored a record of type ${type}`);
  });
  return { acked, size };
}

interface LiveRecord {
  readonly seq: number;
  readonly payload: Buffer;
}

/**
 * Recovered messages are views of their segment as read, so a segment's buffer lives as long
 * as any of its messages. When less than half of a segment is live, its live payloads are
 * copied into a buffer of their own instead, so that memory never holds much that was acked.
 */
function compact(live: LiveRecord[], segmentBytes: number): LiveRecord[] {
  let liveBytes = 0;
  for (const record of live) liveBytes += record.payload.length;
  if (liveBytes * 2 >= segmentBytes) return live;
  const copy = Buffer.allocUnsafeSlow(liveBytes);
  let at = 0;
  return live.map(({ seq, payload }) => {
    const start = at;
    at += payload.copy(copy, at);
    return { seq, payload: copy.subarray(start, at) };
  });
}

/** Reads a file's records; truncates a torn tail. Returns the size of what is kept. */
async function readRecords(
  file: string,
  warn: Warn,
  visit: (type: number, seq: number, payload: Buffer) => void,
): Promise<number> {
  const data = await fs.readFile(file);
  const end = scanRecords(data, file, visit, warn);
  if (end < data.length) {
    warn(`${file}: dropped a torn tail of ${data.length - end} bytes at offset ${end}; truncating`);
    await fs.truncate(file, end);
  }
  return end;
}

/** Deletes, oldest first, the segments without live messages, except the last one. */
async function deleteEmptySegments(segments: Segment[]): Promise<Segment[]> {
  const kept: Segment[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment.liveCount > 0 || i === segments.length - 1) {
      kept.push(segment);
      continue;
    }
    await fs.rm(segment.messages.path, { force: true });
    await fs.rm(segment.acks.path, { force: true });
  }
  return kept;
}

/** mkdir -p that also makes each new directory's entry durable. */
async function makeDirectory(dir: string, stats: IoStats): Promise<void> {
  const first = await fs.mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let parent = path.dirname(dir); ; parent = path.dirname(parent)) {
    await syncDirectory(parent, stats);
    if (parent === path.dirname(first) || parent === path.dirname(parent)) return;
  }
}
