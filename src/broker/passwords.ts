// Password hashes as RabbitMQ stores them (rabbit_password_hashing_sha256): base64 of a random
// 4-byte salt followed by SHA-256(salt ++ password). Keeping the format means user definitions
// move between Warren and RabbitMQ unchanged.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const HASHING_ALGORITHM = 'rabbit_password_hashing_sha256';

export function hashPassword(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function checkPassword(password: string, stored: string): boolean {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length !== 4 + 32) return false;
  const expected = Buffer.from(hashPassword(password, raw.subarray(0, 4)), 'base64');
  return timingSafeEqual(expected, raw);
}
