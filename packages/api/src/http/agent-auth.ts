// Agent bearer tokens. Compared as SHA-256 digests with timingSafeEqual:
// constant time, and equal lengths whatever the caller sends.
import { createHash, timingSafeEqual } from 'node:crypto';
import { unauthenticated } from '../errors/api-errors';
import type { Context } from './context';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createTokenCheck(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  const known = tokens.map(digest);
  return (authorization) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) return false;
    const given = digest(m[1]);
    // Check every token (no early exit), so timing says nothing about which matched.
    let ok = false;
    for (const k of known) ok = timingSafeEqual(k, given) || ok;
    return ok;
  };
}

export function requireAgent(ctx: Context): void {
  if (!ctx.agent) throw unauthenticated();
}
