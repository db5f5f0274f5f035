// The port mapper's wire format. Warren speaks Erlang's epmd protocol, so a Warren node can
// register with a real epmd, a Warren mapper can answer Erlang tools, and `epmd -names` shows
// Warren nodes. Requests are [u16 length][u8 tag][fields]; replies carry no length prefix.

export const ALIVE2_REQ = 120;
export const ALIVE2_RESP = 121;
export const ALIVE2_X_RESP = 118;
export const PORT_PLEASE2_REQ = 122;
export const PORT2_RESP = 119;
export const NAMES_REQ = 110;
export const KILL_REQ = 107;

/** Node type "normal" (not hidden), protocol tcp/ipv4, distribution versions 5..6. */
export const NODE_TYPE_NORMAL = 77;
export const PROTOCOL_TCP = 0;
export const HIGHEST_VERSION = 6;
export const LOWEST_VERSION = 5;

export interface Registration {
  name: string;
  port: number;
  nodeType: number;
  protocol: number;
  highest: number;
  lowest: number;
  extra: Buffer;
}

export function request(tag: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(3 + body.length);
  out.writeUInt16BE(1 + body.length, 0);
  out[2] = tag;
  body.copy(out, 3);
  return out;
}

export function encodeAlive2(reg: Omit<Registration, 'extra'>): Buffer {
  const name = Buffer.from(reg.name, 'utf8');
  const body = Buffer.alloc(2 + 1 + 1 + 2 + 2 + 2 + name.length + 2);
  let o = body.writeUInt16BE(reg.port, 0);
  o = body.writeUInt8(reg.nodeType, o);
  o = body.writeUInt8(reg.protocol, o);
  o = body.writeUInt16BE(reg.highest, o);
  o = body.writeUInt16BE(reg.lowest, o);
  o = body.writeUInt16BE(name.length, o);
  o += name.copy(body, o);
  body.writeUInt16BE(0, o);
  return request(ALIVE2_REQ, body);
}

/** Decodes the body of an ALIVE2_REQ or the tail of a PORT2_RESP (same layout). */
export function decodeRegistration(buf: Buffer, offset: number): Registration {
  const port = buf.readUInt16BE(offset);
  const nodeType = buf[offset + 2];
  const protocol = buf[offset + 3];
  const highest = buf.readUInt16BE(offset + 4);
  const lowest = buf.readUInt16BE(offset + 6);
  const nameLen = buf.readUInt16BE(offset + 8);
  const name = buf.toString('utf8', offset + 10, offset + 10 + nameLen);
  const extraAt = offset + 10 + nameLen;
  const extraLen = buf.length >= extraAt + 2 ? buf.readUInt16BE(extraAt) : 0;
  const extra = buf.subarray(extraAt + 2, extraAt + 2 + extraLen);
  return { name, port, nodeType, protocol, highest, lowest, extra };
}

export function encodePort2Resp(reg: Registration): Buffer {
  const name = Buffer.from(reg.name, 'utf8');
  const out = Buffer.alloc(2 + 2 + 1 + 1 + 2 + 2 + 2 + name.length + 2 + reg.extra.length);
  let o = out.writeUInt8(PORT2_RESP, 0);
  o = out.writeUInt8(0, o);
  o = out.writeUInt16BE(reg.port, o);
  o = out.writeUInt8(reg.nodeType, o);
  o = out.writeUInt8(reg.protocol, o);
  o = out.writeUInt16BE(reg.highest, o);
  o = out.writeUInt16BE(reg.lowest, o);
  o = out.writeUInt16BE(name.length, o);
  o += name.copy(out, o);
  o = out.writeUInt16BE(reg.extra.length, o);
  reg.extra.copy(out, o);
  return out;
}
