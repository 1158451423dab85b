// Webhooks to an https receiver on kept-alive connections: the second
// delivery on a reused TLS socket is written at once (it must not wait for
// a handshake that socket finished long ago). A real API process trusting
// a self-signed certificate made here (NODE_EXTRA_CA_CERTS).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { connectDatabase } from '../../src/db/connection';
import { TokenService } from '../../src/tokens/token.service';
import { CREATE, gql, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';
import { until } from '../support/until';

const CREATE_WEBHOOK = `mutation($url: String!) { createWebhook(url: $url) { webhook { id } } }`;
const REPLAY = `mutation($id: ID!) { replayWebhook(id: $id, after: null) { id } }`;
const DELIVERIES = `query($id: ID!) { webhookDeliveries(webhookId: $id, first: 100) { eventId status attempts } }`;
const EVENTS = 5;

const describeBuilt = serverBuilt ? describe : describe.skip;
if (!serverBuilt) console.warn('skipped: the https webhook test starts the built server (npm run build)');

describeBuilt('webhooks over https, connections kept alive', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webhook-https-'));
  const requests: string[] = [];
  let connections = 0;
  let receiver: https.Server;
  let server: ServerProcess;
  let auth: Record<string, string>;
  const call = async <T>(query: string, variables: Record<string, unknown>, headers = auth): Promise<T> => {
    const res = await gql<T>(server.url, query, variables, headers);
    if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
    return res.body.data!;
  };

  beforeAll(async () => {
    // A certificate for 127.0.0.1, trusted by the API process alone.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' }); // prettier-ignore
    receiver = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        req.resume();
        req.on('end', () => {
          requests.push(String(req.headers['webhook-id']));
          res.writeHead(204).end();
        });
      },
    );
    receiver.on('secureConnection', () => connections++);
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const started = await startServers(1, 'webhook_https', {
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
      WEBHOOK_ALLOW_PRIVATE: '1',
      WEBHOOK_RETRY_DELAYS: '30',
    });
    server = started.servers[0];
    await connectDatabase(started.uri, 5_000);
    const { token } = await new TokenService([]).create('https', ['webhooks:manage', 'tickets:read']);
    auth = { authorization: `Bearer ${token}` };
  });
  afterAll(async () => {
    await server?.stop();
    await mongoose.disconnect();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a backlog goes out back to back on one kept TLS connection, every event at its first attempt', async () => {
    for (let i = 0; i < EVENTS; i++) await call(CREATE, { input: ticketInput() }, {});
    const port = (receiver.address() as AddressInfo).port;
    const { createWebhook } = await call<{ createWebhook: { webhook: { id: string } } }>(CREATE_WEBHOOK, {
      url: `https://127.0.0.1:${port}/hook`,
    });
    const id = createWebhook.webhook.id;
    // Made after the tickets: the replay hands the sender all of them at once.
    await call(REPLAY, { id });
    const { webhookDeliveries } = await until(
      () => call<{ webhookDeliveries: { status: string; attempts: number }[] }>(DELIVERIES, { id }),
      (d) => d.webhookDeliveries.filter((x) => x.status === 'DELIVERED').length >= EVENTS,
      'every event delivered',
    );
    // A delivery that waited on a reused socket would have failed its first attempt (10 s, no answer) and been retried 30 s later.
    expect(webhookDeliveries.map((d) => [d.status, d.attempts])).toEqual(
      Array.from({ length: EVENTS }, () => ['DELIVERED', 1]),
    );
    expect(new Set(requests).size).toBe(EVENTS);
    // The claim above is about reuse: at least one connection carried more than one delivery.
    expect(connections).toBeLessThan(requests.length);
  });
});
