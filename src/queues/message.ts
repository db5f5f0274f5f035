// A published message as queues hold it: where it was published, its content header property
// bytes exactly as the publisher sent them, its body, and the few properties the broker must
// act on (persistence, priority, per-message TTL), read once by a scanner that skips the rest.

export interface Message {
  readonly exchange: string;
  readonly routingKey: string;
  /** Presence flags + property list, as on the wire (delivered untouched). */
  readonly propertyBytes: Buffer;
  readonly body: Buffer;
  readonly persistent: boolean;
  readonly priority: number;
  /** Per-message TTL in ms from the `expiration` property; -1 when absent. */
  readonly ttl: number;
}

const HAS_HEADERS = 0x2000;
const HAS_DELIVERY_MODE = 0x1000;
const HAS_PRIORITY = 0x0800;
const HAS_CORRELATION_ID = 0x0400;
const HAS_REPLY_TO = 0x0200;
const HAS_EXPIRATION = 0x0100;

export interface ScannedProperties {
  deliveryMode: number;
  priority: number;
  /** The expiration property as sent (a string of digits), or undefined. */
  expiration: string | undefined;
  replyTo: string | undefined;
}

/**
 * Reads delivery-mode, priority, reply-to and expiration without decoding the other
 * properties. Returns undefined when the bytes are too short for their flags (the caller
 * reports a frame error).
 */
export function scanProperties(p: Buffer): ScannedProperties | undefined {
  if (p.length < 2) return undefined;
  const flags = p.readUInt16BE(0);
  let o = 2;
  const out: ScannedProperties = { deliveryMode: 0, priority: 0, expiration: undefined, replyTo: undefined };
  // content-type, content-encoding: shortstr each.
  for (const bit of [0x8000, 0x4000]) {
    if (flags & bit) {
      if (o >= p.length) return undefined;
      o += 1 + p[o];
    }
  }
  if (flags & HAS_HEADERS) {
    if (o + 4 > p.length) return undefined;
    o += 4 + p.readUInt32BE(o);
  }
  if (flags & HAS_DELIVERY_MODE) {
    if (o >= p.length) return undefined;
    out.deliveryMode = p[o++];
  }
  if (flags & HAS_PRIORITY) {
    if (o >= p.length) return undefined;
    out.priority = p[o++];
  }
  if (flags & HAS_CORRELATION_ID) {
    if (o >= p.length) return undefined;
    o += 1 + p[o];
  }
  if (flags & HAS_REPLY_TO) {
    if (o >= p.length) return undefined;
    const len = p[o];
    out.replyTo = p.toString('utf8', o + 1, o + 1 + len);
    o += 1 + len;
  }
  if (flags & HAS_EXPIRATION) {
    if (o >= p.length) return undefined;
    const len = p[o];
    out.expiration = p.toString('latin1', o + 1, o + 1 + len);
    o += 1 + len;
  }
  return o <= p.length ? out : undefined;
}

/** The expiration property as a TTL: digits only, as RabbitMQ requires; -2 when invalid. */
export function parseExpiration(expiration: string | undefined): number {
  if (expiration === undefined) return -1;
  if (!/^\d+$/.test(expiration)) return -2;
  return Number(expiration);
}
