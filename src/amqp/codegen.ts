// Turns the field lists in spec.ts into codecs, once, at module load: an encoder and a decoder
// for every method, and one for the basic content properties.
//
// Why generated source (new Function) rather than a loop over field descriptors: each method
// gets straight-line code with its bit packing, offsets and bounds checks spelled out, and its
// decoder returns one object literal, so every decoded method of a kind shares one hidden class
// and the code that reads it stays monomorphic. The source is assembled only from the constant
// tables in spec.ts (names are checked to be plain identifiers), never from input, so there is
// nothing to inject. About seventy small functions compile in well under a millisecond.
//
// JS types of the domains: bit -> boolean; octet, short, long -> number; longlong, timestamp ->
// number (exact up to 2^53, far beyond any delivery tag, message count or time in seconds);
// shortstr -> string; longstr -> Buffer (a copy: SASL responses and secrets are bytes, not text);
// table -> FieldTable (see table.ts).

import { isUtf8 } from 'node:buffer';
import { AmqpError, cannotDecode } from './errors.js';
import {
  BASIC_PROPERTIES,
  FRAME_ERROR,
  METHODS,
  propertyFlag,
  type Domain,
  type FieldSpec,
  type MethodName,
  type MethodSpec,
} from './spec.js';
import { readTable, tableSize, writeTable, writeUint64, type FieldTable } from './table.js';

export interface DomainTypes {
  bit: boolean;
  octet: number;
  short: number;
  long: number;
  longlong: number;
  timestamp: number;
  shortstr: string;
  longstr: Buffer;
  table: FieldTable;
}

/** Field values as the generated code sees them; methods.ts and properties.ts type them. */
export type AnyArgs = Record<string, unknown>;

export interface Codec {
  /** Octets the encoding of `args` takes. */
  size(args: AnyArgs): number;
  /** Writes `args` at `o` and returns the offset after them. */
  write(b: Buffer, o: number, args: AnyArgs): number;
  /** Decodes what lies between `o` and `end`, which must be consumed exactly. */
  decode(b: Buffer, o: number, end: number): AnyArgs;
}

export interface MethodCodec extends Codec {
  readonly name: MethodName;
  readonly spec: MethodSpec;
}

const helpers = {
  tableSize,
  writeTable,
  readTable,
  writeUint64,
  shortstrSize(s: string, field: string): number {
    const n = Buffer.byteLength(s);
    if (n > 255) throw new RangeError(`${field} is longer than 255 bytes`);
    return n;
  },
  writeShortstr(b: Buffer, o: number, s: string): number {
    const n = b.write(s, o + 1);
    b[o] = n;
    return o + 1 + n;
  },
  readUint64(b: Buffer, o: number): number {
    return b.readUInt32BE(o) * 2 ** 32 + b.readUInt32BE(o + 4);
  },
  fail(b: Buffer, start: number, end: number): never {
    throw cannotDecode(b.subarray(start, end));
  },
  utf8(b: Buffer, start: number, end: number): string {
    if (!isUtf8(b.subarray(start, end))) {
      throw new AmqpError(FRAME_ERROR, 'Malformed UTF-8 in shortstr');
    }
    return b.toString('utf8', start, end);
  },
};

function compile(size: string, write: string, decode: string): Codec {
  const source = `
    const { tableSize, writeTable, readTable, writeUint64, shortstrSize, writeShortstr,
            readUint64, fail, utf8 } = h;
    return {
      size(a) { ${size} },
      write(b, o, a) { ${write} },
      decode(b, o, e) { ${decode} },
    };`;
  return new Function('h', source)(helpers) as Codec;
}

export const GENERIC_CODECS: ReadonlyMap<MethodName, MethodCodec> = new Map(
  (Object.keys(METHODS) as MethodName[]).map((name) => [name, methodCodec(name, METHODS[name])]),
);

/**
 * The basic class's property list, preceded by its 16-bit presence flags. The two low flag bits
 * (a continuation flag the spec reserves) are ignored on decode, as RabbitMQ ignores them.
 */
export const PROPERTIES_CODEC: Codec = propertiesCodec(BASIC_PROPERTIES);

function checkNames(fields: readonly FieldSpec[]): void {
  for (const [field] of fields) {
    if (!/^[a-z][A-Za-z]*$/.test(field)) throw new Error(`not a plain field name: ${field}`);
  }
}

function methodCodec(name: MethodName, spec: MethodSpec): MethodCodec {
  checkNames(spec.fields);
  let fixed = 4;
  const sizes: string[] = [];
  const writes = [
    `b.writeUInt16BE(${spec.classId}, o);`,
    `b.writeUInt16BE(${spec.methodId}, o + 2);`,
    'o += 4;',
  ];
  const reads = ['const s = o;', 'let n = 0;'];
  const values: string[] = [];
  for (const item of packBits(spec.fields)) {
    if ('bits' in item) {
      fixed += 1;
      writes.push(`b[o++] = ${item.bits.map((f, i) => `(a.${f} ? ${1 << i} : 0)`).join(' | ')};`);
      const octet = `bits_${item.bits[0]}`;
      reads.push(need('1'), `const ${octet} = b[o++];`);
      item.bits.forEach((f, i) => values.push(`${f}: (${octet} & ${1 << i}) !== 0`));
      continue;
    }
    const [field, domain] = item;
    const size = sizeOf(domain, `a.${field}`, `${name}.${field}`);
    if (typeof size === 'number') fixed += size;
    else sizes.push(size);
    writes.push(...writeOf(domain, `a.${field}`));
    // RabbitMQ checks shortstrs for UTF-8 except in content-carrying methods, for speed.
    reads.push(...readOf(domain, `const f_${field}`, !spec.content));
    values.push(`${field}: f_${field}`);
  }
  writes.push('return o;');
  reads.push('if (o !== e) fail(b, s, e);', `return { ${values.join(', ')} };`);
  const codec = compile(
    `return ${[String(fixed), ...sizes].join(' + ')};`,
    writes.join('\n'),
    reads.join('\n'),
  );
  return { name, spec, size: codec.size, write: codec.write, decode: codec.decode };
}

function propertiesCodec(fields: readonly FieldSpec[]): Codec {
  checkNames(fields);
  const sizes = ['2'];
  const writes = ['const s = o;', 'let flags = 0;', 'o += 2;'];
  const reads = [
    'const s = o;',
    'if (o + 2 > e) fail(b, s, e);',
    'const flags = b.readUInt16BE(o);',
    'o += 2;',
    'let n = 0;',
    `let ${fields.map(([f]) => `f_${f}`).join(', ')};`,
  ];
  fields.forEach(([field, domain], i) => {
    const v = `a.${field}`;
    const size = sizeOf(domain, v, field);
    sizes.push(`(${v} === undefined ? 0 : ${size})`);
    writes.push(
      `if (${v} !== undefined) {`,
      `flags |= ${propertyFlag(i)};`,
      ...writeOf(domain, v),
      '}',
    );
    reads.push(`if ((flags & ${propertyFlag(i)}) !== 0) {`, ...readOf(domain, `f_${field}`, false), '}');
  });
  writes.push('b.writeUInt16BE(flags, s);', 'return o;');
  const values = fields.map(([f]) => `${f}: f_${f}`).join(', ');
  reads.push('if (o !== e) fail(b, s, e);', `return { ${values} };`);
  return compile(`return ${sizes.join(' + ')};`, writes.join('\n'), reads.join('\n'));
}

/** Runs of consecutive bits share an octet, at most eight to an octet (spec 4.2.5.2). */
function packBits(fields: readonly FieldSpec[]): Array<FieldSpec | { bits: string[] }> {
  const out: Array<FieldSpec | { bits: string[] }> = [];
  let run: string[] | null = null;
  for (const field of fields) {
    if (field[1] !== 'bit') {
      run = null;
      out.push(field);
    } else if (run !== null && run.length < 8) {
      run.push(field[0]);
    } else {
      run = [field[0]];
      out.push({ bits: run });
    }
  }
  return out;
}

function need(n: string): string {
  return `if (o + ${n} > e) fail(b, s, e);`;
}

/** A fixed size as a number, a variable one as an expression. */
function sizeOf(domain: Domain, v: string, label: string): number | string {
  switch (domain) {
    case 'octet':
      return 1;
    case 'short':
      return 2;
    case 'long':
      return 4;
    case 'longlong':
    case 'timestamp':
      return 8;
    case 'shortstr':
      return `1 + shortstrSize(${v}, '${label}')`;
    case 'longstr':
      return `4 + ${v}.length`;
    case 'table':
      return `tableSize(${v})`;
    case 'bit':
      throw new Error('bits are packed by packBits');
  }
}

function writeOf(domain: Domain, v: string): string[] {
  switch (domain) {
    case 'octet':
      return [`o = b.writeUInt8(${v}, o);`];
    case 'short':
      return [`o = b.writeUInt16BE(${v}, o);`];
    case 'long':
      return [`o = b.writeUInt32BE(${v}, o);`];
    case 'longlong':
    case 'timestamp':
      return [`o = writeUint64(b, o, ${v});`];
    case 'shortstr':
      return [`o = writeShortstr(b, o, ${v});`];
    case 'longstr':
      return [`o = b.writeUInt32BE(${v}.length, o);`, `o += ${v}.copy(b, o);`];
    case 'table':
      return [`o = writeTable(b, o, ${v});`];
    case 'bit':
      throw new Error('bits are packed by packBits');
  }
}

function readOf(domain: Domain, target: string, checkUtf8: boolean): string[] {
  switch (domain) {
    case 'octet':
      return [need('1'), `${target} = b[o++];`];
    case 'short':
      return [need('2'), `${target} = b.readUInt16BE(o);`, 'o += 2;'];
    case 'long':
      return [need('4'), `${target} = b.readUInt32BE(o);`, 'o += 4;'];
    case 'longlong':
    case 'timestamp':
      return [need('8'), `${target} = readUint64(b, o);`, 'o += 8;'];
    case 'shortstr': {
      const str = checkUtf8 ? 'utf8(b, o, o + n)' : "b.toString('utf8', o, o + n)";
      return [need('1'), 'n = b[o++];', need('n'), `${target} = ${str};`, 'o += n;'];
    }
    case 'longstr':
      return [...lengthPrefix(), `${target} = Buffer.from(b.subarray(o, o + n));`, 'o += n;'];
    case 'table':
      return [...lengthPrefix(), `${target} = readTable(b, o, o + n);`, 'o += n;'];
    case 'bit':
      throw new Error('bits are packed by packBits');
  }
}

function lengthPrefix(): string[] {
  return [need('4'), 'n = b.readUInt32BE(o);', 'o += 4;', need('n')];
}
