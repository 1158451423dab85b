// The client's address, believing X-Forwarded-For only as far as
// TRUST_PROXY says (the same rules as Express's "trust proxy": true, a hop
// count, or a list of addresses/subnets), through the same proxy-addr package.
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export function clientIp(trust: boolean | string): (req: IncomingMessage) => string {
  if (trust === false) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trusted: (addr: string, i: number) => boolean =
    trust === true
      ? () => true
      : /^\d+$/.test(trust)
        ? (_addr, i) => i < Number(trust)
        : proxyaddr.compile(trust.split(',').map((s) => s.trim()));
  return (req) => proxyaddr(req, trusted);
}
