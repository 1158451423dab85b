// The agent story: respond, work, wait, resolve, close, reopen; with the
// timeline the customer sees, and the guards around it.
import {
  CREATE,
  RESOLVE,
  RESPOND,
  STATUS,
  TIMELINE,
  agent,
  codeOf,
  startTestApi,
  ticketInput,
  type TestApi,
} from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi('agent');
});
afterAll(async () => {
  await api.stop();
});

async function newTicket() {
  const r = await api.gql(CREATE, { input: ticketInput({ customerEmail: 'cust@example.com' }) });
  return r.body.data!.createTicket as { ticketNumber: string; id: string };
}
const timeline = async (n: string) =>
  (await api.gql(TIMELINE, { n, e: 'cust@example.com' })).body.data!.ticketTimeline as {
    kind: string;
    message: string | null;
    at: string;
  }[];

describe('agent workflow', () => {
  it('refuses agent operations without a valid token', async () => {
    const { ticketNumber: n } = await newTicket();
    for (const headers of [
      {} as Record<string, string>,
      { authorization: 'Bearer wrong-token-wrong-token-wrong-token-00' },
      { authorization: 'Basic abc' },
      { authorization: agent.authorization + 'x' },
    ]) {
      for (const [q, v] of [
        [RESPOND, { n, m: 'hi' }],
        [STATUS, { n, s: 'CLOSED' }],
        [RESOLVE, { n, r: 'done' }],
      ] as const) {
        const r = await api.gql(q, v, headers);
        expect(codeOf(r)).toBe('UNAUTHENTICATED');
        expect(r.body.data).toBeNull();
      }
    }
    expect((await timeline(n)).map((e) => e.kind)).toEqual(['CREATED']);
  });

  it('answers NOT_FOUND for unknown tickets', async () => {
    for (const [q, v] of [
      [RESPOND, { n: 'TKT-99999999', m: 'hi' }],
      [STATUS, { n: 'TKT-99999999', s: 'CLOSED' }],
      [RESOLVE, { n: 'tkt-99999999', r: 'x' }],
    ] as const) {
      expect(codeOf(await api.gql(q, v, agent))).toBe('NOT_FOUND');
    }
  });

  it('tells the whole story in the timeline, in order', async () => {
    const { ticketNumber: n } = await newTicket();
    const r1 = (await api.gql(RESPOND, { n, m: 'We are on it.' }, agent)).body.data!.respondToTicket;
    expect(r1.firstResponseAt).toEqual(expect.any(String));
    const r2 = (await api.gql(RESPOND, { n: n.toLowerCase(), m: 'Still on it.' }, agent)).body.data!.respondToTicket;
    expect(r2.firstResponseAt).toBe(r1.firstResponseAt);
    expect((await api.gql(STATUS, { n, s: 'IN_PROGRESS' }, agent)).body.data!.updateTicketStatus.status).toBe(
      'IN_PROGRESS',
    );
    expect(
      (await api.gql(STATUS, { n, s: 'WAITING_ON_CUSTOMER', note: 'Which floor?' }, agent)).body.data!
        .updateTicketStatus.status,
    ).toBe('WAITING_ON_CUSTOMER');
    const resolved = (await api.gql(RESOLVE, { n, r: 'Replaced the fuser unit.' }, agent)).body.data!.resolveTicket;
    expect(resolved).toMatchObject({
      status: 'RESOLVED',
      resolutionNotes: 'Replaced the fuser unit.',
      resolvedAt: expect.any(String),
    });
    const closed = (await api.gql(STATUS, { n, s: 'CLOSED' }, agent)).body.data!.updateTicketStatus;
    expect(closed).toMatchObject({ status: 'CLOSED', closedAt: expect.any(String), resolvedAt: resolved.resolvedAt });
    const reopened = (await api.gql(STATUS, { n, s: 'IN_PROGRESS', note: 'Jammed again.' }, agent)).body.data!
      .updateTicketStatus;
    expect(reopened).toMatchObject({ status: 'IN_PROGRESS', resolvedAt: null, closedAt: null });

    const events = await timeline(n);
    // Every answer reaches the customer: the second one as AGENT_RESPONSE.
    expect(events.map((e) => e.kind)).toEqual([
      'CREATED',
      'FIRST_RESPONSE',
      'AGENT_RESPONSE',
      'IN_PROGRESS',
      'WAITING_ON_CUSTOMER',
      'RESOLVED',
      'RESOLUTION_NOTE',
      'CLOSED',
      'REOPENED',
      'IN_PROGRESS',
    ]);
    expect(events[1].message).toBe('We are on it.');
    expect(events[2].message).toBe('Still on it.');
    expect(events[4].message).toBe('Which floor?');
    expect(events[6].message).toBe('Replaced the fuser unit.');
    expect(events.at(-1)!.message).toBe('Jammed again.');
    const ats = events.map((e) => Date.parse(e.at));
    expect([...ats].sort((a, b) => a - b)).toEqual(ats);
  });

  it('records FIRST_RESPONSE once even when agents answer at the same moment', async () => {
    const { ticketNumber: n } = await newTicket();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api.gql(RESPOND, { n, m: `answer ${i}` }, agent)),
    );
    expect(results.filter((r) => r.body.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.body.data!.respondToTicket.firstResponseAt)).size).toBe(1);
    expect((await timeline(n)).filter((e) => e.kind === 'FIRST_RESPONSE')).toHaveLength(1);
  });

  it('applies concurrent status changes one after another', async () => {
    const { ticketNumber: n } = await newTicket();
    const results = await Promise.all(
      ['IN_PROGRESS', 'WAITING_ON_CUSTOMER', 'IN_PROGRESS', 'RESOLVED'].map((s) => api.gql(STATUS, { n, s }, agent)),
    );
    expect(results.filter((r) => r.body.errors)).toEqual([]);
  });

  it('setting the current status again changes nothing', async () => {
    const { ticketNumber: n } = await newTicket();
    await api.gql(STATUS, { n, s: 'OPEN' }, agent);
    expect((await timeline(n)).map((e) => e.kind)).toEqual(['CREATED']);
  });

  it('validates agent input with field names', async () => {
    const { ticketNumber: n } = await newTicket();
    const r = await api.gql(RESPOND, { n, m: '   ' }, agent);
    expect(r.body.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [expect.objectContaining({ field: 'message' })],
    });
    const s = await api.gql(STATUS, { n, s: 'DONE' }, agent);
    expect(s.body.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      fields: [expect.objectContaining({ field: 's' })],
    });
    const v = await api.gql(RESOLVE, { n: 'garbage', r: 'x'.repeat(20_001) }, agent);
    expect(v.body.errors![0].extensions.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'resolutionNotes',
      'ticketNumber',
    ]);
    expect((await timeline(n)).map((e) => e.kind)).toEqual(['CREATED']);
  });
});
