// Security headers for an API that answers JSON, never HTML (outside
// production the Apollo Sandbox page is the one exception: it gets no CSP,
// which would block its scripts). The set follows OWASP's REST Security
// Cheat Sheet: a CSP that allows nothing and no framing, nosniff, HSTS, no
// referrer, and `cache-control: no-store`, since answers hold customers'
// data. Helmet's headers that only matter for HTML documents (DNS
// prefetch, download options, origin-agent-cluster, COOP) are left out:
// each response is smaller for the client to read (measured in bench).
//
// They do not depend on the request (no nonces here), so helmet runs once
// at start-up against a recording response and each request just gets the
// recorded headers.
import type { ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** Helmet's options for JSON responses; `csp` false only where the Sandbox page is served. */
function jsonApiOptions(csp: boolean): HelmetOptions {
  return {
    contentSecurityPolicy: csp
      ? { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }
      : false,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  };
}

/** Sets the recorded headers on a response; `csp: false` only outside production (the Sandbox page). */
export function securityHeaders({ csp }: { csp: boolean }): (res: ServerResponse) => void {
  const recorded = new Map<string, string>();
  const recorder = {
    setHeader(name: string, value: unknown) {
      recorded.set(name.toLowerCase(), String(value));
    },
    removeHeader(name: string) {
      recorded.delete(name.toLowerCase());
    },
  };
  let synchronous = false;
  helmet(jsonApiOptions(csp))({} as never, recorder as never, () => {
    synchronous = true;
  });
  if (!synchronous) throw new Error('helmet did not set its headers synchronously');
  recorded.set('cache-control', 'no-store');
  const headers = [...recorded];
  return (res) => {
    for (const [name, value] of headers) res.setHeader(name, value);
  };
}
