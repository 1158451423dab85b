// The bundled explorer the API serves at /explorer outside production:
// GraphiQL from npm, everything in this bundle, so it works without the
// internet (the Apollo Sandbox at /graphql loads from Apollo's CDN). The
// example operation comes from the API (/explorer/example.graphql); a
// token typed in the bar goes with every request, over HTTP and WebSocket.
import { StrictMode, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { createClient } from 'graphql-ws';
import 'graphiql/style.css';
import './explorer.css';

const endpoint = new URL('/graphql', window.location.origin).toString();

function Explorer({ example }: { example: string }) {
  const [token, setToken] = useState('');
  const fetcher = useMemo(() => {
    const authorization = token.trim() ? `Bearer ${token.trim()}` : undefined;
    return createGraphiQLFetcher({
      url: endpoint,
      headers: authorization ? { authorization } : {},
      wsClient: createClient({
        url: endpoint.replace(/^http/, 'ws'),
        lazy: true,
        connectionParams: authorization ? { authorization } : {},
      }),
    });
  }, [token]);
  return (
    <div className="explorer">
      <header className="explorer-bar">
        <strong>Ticket API explorer</strong>
        <label>
          Token{' '}
          <input
            type="password"
            aria-label="Token"
            placeholder="for agent operations (sent as Authorization: Bearer …)"
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <a href="/graphql">Apollo Sandbox (needs the internet)</a>
      </header>
      <div className="explorer-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={example} />
      </div>
    </div>
  );
}

async function start(): Promise<void> {
  const example = await fetch('/explorer/example.graphql')
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
  createRoot(document.getElementById('explorer')!).render(
    <StrictMode>
      <Explorer example={example} />
    </StrictMode>,
  );
}

void start();
