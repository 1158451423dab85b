// What errors say never reaches the trace collector (issue 31, point 16): a
// duplicate chat id's E11000 names the chat ("dup key: { chatId: ... }");
// the MongoDB instrumentation records it on its span. Spans are redacted
// as the logs are before they leave the process.
import { Receiver } from '../support/receiver';
import { AGENT_TOKEN, CREATE, gql, ticketInput } from '../support/api';
import { serverBuilt, startServers, type ServerProcess } from '../support/processes';

const describeBuilt = serverBuilt ? describe : describe.skip;

describeBuilt('traces carry no duplicate-key values', () => {
  const receiver = new Receiver();
  let server: ServerProcess;

  beforeAll(async () => {
    const endpoint = new URL(await receiver.start()).origin;
    ({
      servers: [server],
    } = await startServers(1, 'tracing_redaction', {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    }));
  });
  afterAll(async () => {
    await server?.stop();
    await receiver.stop();
  });

  it("records the failed insert on its span without the chat id or the duplicate key's text", async () => {
    const agent = { authorization: `Bearer ${AGENT_TOKEN}` };
    const chatId = 'chat-zqx-4711-private';
    expect(
      (
        await gql<any>(
          server.url,
          CREATE,
          { input: ticketInput({ chatId, customerEmail: 'first.zqx@example.com' }) },
          agent,
        )
      ).body.errors,
    ).toBeUndefined();
    // The same chat again, another customer: the unique index refuses the insert.
    await gql<any>(
      server.url,
      CREATE,
      { input: ticketInput({ chatId, customerEmail: 'second.zqx@example.com' }) },
      agent,
    );
    const exported = () =>
      receiver.requests
        .filter((r) => r.body.includes('resourceSpans'))
        .map((r) => r.body)
        .join('\n');
    // The insert's failure is on a span (so this test looks where the text would be)...
    await receiver.until(() => /exception|"code":2/.test(exported()) && exported().includes('insert'), 15_000);
    await new Promise((r) => setTimeout(r, 500));
    const all = exported();
    // ...and neither the chat id nor the driver's dup-key text is.
    expect(all).not.toContain(chatId);
    expect(all).not.toMatch(/dup key: \{/);
    expect(all).not.toContain('zqx@example.com');
  });
});
