// Mutual proof of the cookie. Each side sends a fresh nonce and answers the other's with
// HMAC-SHA256(cookie, role | its nonce | their nonce); the cookie itself never crosses the wire,
// a recorded answer is useless against a new nonce, and the role tag stops a reflected answer.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newNonce(): string {
  return randomBytes(24).toString('base64');
}

export function proof(cookie: string, role: 'client' | 'server', theirNonce: string, ourNonce: string): string {
  return createHmac('sha256', cookie).update(`${role}|${theirNonce}|${ourNonce}`).digest('base64');
}

export function proofMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
