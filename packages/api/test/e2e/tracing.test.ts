// OpenTelemetry traces: a real API process exporting OTLP/HTTP (JSON) to a
// receiver on 127.0.0.1. One trace per request, continuing the caller's
// traceparent, from the HTTP span through the operation to MongoDB; the
// request id on every span; nothing personal in any attribute.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Receiver } from '../support/receiver';
import { AGENT_TOKEN, CREATE } from '../support/api';
import { SERVER, serverBuilt, startServers, type ServerProcess } from '../support/processes';

type Attr = { key: string; value: Record<string, unknown> };
type Span = { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: Attr[] };

/** Every span the receiver got, from OTLP/JSON export requests. */
function spansOf(receiver: Receiver): Span[] {
  return receiver.requests
    .filter((r) => r.headers['content-type']?.includes('json') && r.body.includes('resourceSpans'))
    .flatMap((r) =>
      (JSON.parse(r.body).resourceSpans as { scopeSpans: { spans: Span[] }[] }[]).flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans),
      ),
    );
}

const attr = (span: Span, key: string) => span.attributes?.find((a) => a.key === key)?.value;
const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

const describeBuilt = serverBuilt ? describe : describe.skip;

describeBuilt('tracing (OTLP/HTTP to a local receiver)', () => {
  const receiver = new Receiver();
  let server: ServerProcess;

  beforeAll(async () => {
    const endpoint = new URL(await receiver.start()).origin;
    ({
      servers: [server],
    } = await startServers(1, 'tracing', {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    }));
  });
  afterAll(async () => {
    await server?.stop();
    await receiver.stop();
  });

  it("continues the caller's trace: HTTP, the operation, every MongoDB command; request id on each; no personal data", async () => {
    const traceId = hex(32);
    const callerSpan = hex(16);
    const secretText = {
      customerEmail: 'traced.person@example.com',
      customerName: 'Traced Person',
      subject: 'Printer on fire in room 12',
      description: 'Smoke since 9am, please hurry',
    };
    const created = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ query: CREATE, variables: { input: secretText } }),
    });
    const requestId = created.headers.get('x-request-id');
    const ticket = (await created.json()).data.createTicket;
    expect(ticket.ticketNumber).toMatch(/^TKT-/);

    // Another trace: an agent's answer with its token, and a GET with variables in the query string.
    const agentTrace = hex(32);
    await fetch(server.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${AGENT_TOKEN}`,
        traceparent: `00-${agentTrace}-${hex(16)}-01`,
      },
      body: JSON.stringify({
        query:
          'mutation($n: String!) { respondToTicket(ticketNumber: $n, message: "We are on our way with an extinguisher") { id } }',
        variables: { n: ticket.ticketNumber },
      }),
    });
    const getTrace = hex(32);
    const params = new URLSearchParams({
      query: 'query($n: String!, $e: String!) { trackTicket(ticketNumber: $n, email: $e) { id } }',
      variables: JSON.stringify({ n: ticket.ticketNumber, e: secretText.customerEmail }),
    });
    await fetch(`${server.url}?${params}`, {
      headers: { traceparent: `00-${getTrace}-${hex(16)}-01`, 'apollo-require-preflight': 'true' },
    });

    await receiver.until(
      () =>
        [traceId, agentTrace, getTrace].every((t) => spansOf(receiver).some((s) => s.traceId === t && s.kind === 2)),
      15_000,
    );
    // Client spans (MongoDB) may come in a later batch than the server span ended with; wait for them.
    await receiver.until(
      () =>
        spansOf(receiver).filter(
          (s) =>
            s.traceId === traceId &&
            String(attr(s, 'db.system')?.stringValue ?? attr(s, 'db.system.name')?.stringValue) === 'mongodb',
        ).length >= 3,
      15_000,
    );
    const spans = spansOf(receiver).filter((s) => s.traceId === traceId);

    const http = spans.find((s) => s.kind === 2)!; // SERVER
    expect(http.parentSpanId).toBe(callerSpan);
    const operation = spans.find((s) => s.name === 'mutation createTicket');
    expect(operation).toBeDefined();
    expect(operation!.parentSpanId).toBe(http.spanId);
    expect(spans.some((s) => s.name === 'graphql.execute' || (s.name.startsWith('mutation') && s !== operation))).toBe(
      true,
    );
    const mongo = spans.filter(
      (s) => String(attr(s, 'db.system')?.stringValue ?? attr(s, 'db.system.name')?.stringValue) === 'mongodb',
    );
    // The counter's $inc, the ticket, its CREATED event.
    expect(mongo.length).toBeGreaterThanOrEqual(3);
    // Every span of the request carries its request id.
    for (const s of spans)
      expect({ span: s.name, id: attr(s, 'request.id')?.stringValue }).toEqual({ span: s.name, id: requestId });

    // Nothing the caller sent, and no token, in any attribute of any span.
    const everything = JSON.stringify(spansOf(receiver));
    for (const secret of [...Object.values(secretText), 'traced.person%40example.com', 'extinguisher', AGENT_TOKEN])
      expect(everything).not.toContain(secret);
    // The GET's query string is there, its values are not.
    const get = spansOf(receiver).find((s) => s.traceId === getTrace && s.kind === 2)!;
    expect(attr(get, 'url.query')?.stringValue).toBe('query=REDACTED&variables=REDACTED');
    expect(spansOf(receiver).some((s) => s.traceId === getTrace && s.name === 'query trackTicket')).toBe(true);
  });
});

describeBuilt('tracing with the default protocol (http/protobuf)', () => {
  it('exports protobuf to /v1/traces', async () => {
    const receiver = new Receiver();
    const endpoint = new URL(await receiver.start()).origin;
    const {
      servers: [server],
    } = await startServers(1, 'tracing_proto', {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    try {
      const r = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(r.status).toBe(200);
      await receiver.until(() => receiver.requests.length > 0, 15_000);
      const [first] = receiver.requests;
      expect(first.path).toBe('/v1/traces');
      expect(first.headers['content-type']).toBe('application/x-protobuf');
      expect(first.body.length).toBeGreaterThan(0);
    } finally {
      await server.stop();
      await receiver.stop();
    }
  });
});

describeBuilt('tracing switched off', () => {
  it('loads no OpenTelemetry SDK, exporter or instrumentation when no OTLP endpoint is set', () => {
    const dist = join(SERVER, '../..');
    const script = `require(${JSON.stringify(join(dist, 'telemetry/start-tracing.js'))}); require(${JSON.stringify(join(dist, 'http/app.js'))});
      process.stdout.write(String(Object.keys(require.cache).filter((k) => k.includes('@opentelemetry/') && !k.includes('@opentelemetry/api/')).length));`;
    // (@opentelemetry/api itself is prom-client's dependency: a facade that does nothing without an SDK.)
    const env = { PATH: process.env.PATH ?? '' };
    expect(execFileSync(process.execPath, ['-e', script], { env }).toString()).toBe('0');
    // The same check sees them when tracing is on, so it is not vacuous.
    const on = execFileSync(process.execPath, ['-e', script], {
      env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
    }).toString();
    expect(Number(on)).toBeGreaterThan(0);
  });
});
