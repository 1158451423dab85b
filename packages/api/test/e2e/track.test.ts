// Public lookups: the right number + email finds the ticket; anything else
// is the same null, whatever the input looks like.
import { CREATE, TIMELINE, TRACK, codeOf, startTestApi, ticketInput, type TestApi } from '../support/api';

let api: TestApi;
let number: string;
beforeAll(async () => {
  api = await startTestApi('track');
  const r = await api.gql(CREATE, { input: ticketInput({ customerEmail: 'Grace.Hopper@Example.com' }) });
  number = r.body.data!.createTicket.ticketNumber;
});
afterAll(async () => {
  await api.stop();
});

describe('trackTicket / ticketTimeline', () => {
  it('finds the ticket with its email in any case and the number in any case', async () => {
    for (const [n, e] of [
      [number, 'grace.hopper@example.com'],
      [number.toLowerCase(), 'GRACE.HOPPER@EXAMPLE.COM'],
      [`  ${number} `, ' Grace.Hopper@example.com '],
    ]) {
      const r = await api.gql(TRACK, { n, e });
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data!.trackTicket.ticketNumber).toBe(number);
    }
    const tl = await api.gql(TIMELINE, { n: number, e: 'grace.hopper@example.com' });
    expect(tl.body.data!.ticketTimeline.map((e: { kind: string }) => e.kind)).toEqual(['CREATED']);
  });

  it('answers a wrong email and an unknown number byte for byte alike', async () => {
    const wrongEmail = await fetchRaw(TRACK, { n: number, e: 'someone.else@example.com' });
    const unknown = await fetchRaw(TRACK, { n: 'TKT-99999999', e: 'grace.hopper@example.com' });
    expect(wrongEmail.text).toBe('{"data":{"trackTicket":null}}\n');
    expect(unknown.text).toBe(wrongEmail.text);
    expect(unknown.status).toBe(wrongEmail.status);
    const tlWrong = await fetchRaw(TIMELINE, { n: number, e: 'x@example.com' });
    const tlUnknown = await fetchRaw(TIMELINE, { n: 'TKT-99999999', e: 'grace.hopper@example.com' });
    expect(tlWrong.text).toBe('{"data":{"ticketTimeline":null}}\n');
    expect(tlUnknown.text).toBe(tlWrong.text);
  });

  it('matches strings exactly, never as patterns', async () => {
    // Regex metacharacters in a valid email must not match other tickets.
    for (const e of [
      '.*@example.com',
      'grace.hopper@example.co.*',
      'grace.hopper@example.com|x@y.z',
      '^grace.hopper@example.com$',
    ]) {
      const r = await api.gql(TRACK, { n: number, e });
      expect(r.body.errors?.[0]?.extensions?.code ?? null).not.toBe('INTERNAL_SERVER_ERROR');
      expect(r.body.data?.trackTicket ?? null).toBeNull();
    }
    const pattern = await api.gql(TRACK, { n: 'TKT-.*', e: 'grace.hopper@example.com' });
    expect(codeOf(pattern)).toBe('BAD_USER_INPUT');
    expect(pattern.body.errors![0].extensions.fields).toEqual([expect.objectContaining({ field: 'ticketNumber' })]);
  });

  it('refuses operator objects where strings belong', async () => {
    const r = await api.gql(TRACK, { n: { $gt: '' }, e: { $ne: null } });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.data ?? null).toBeNull();
  });

  it('names malformed lookup input', async () => {
    const r = await api.gql(TRACK, { n: 'nonsense', e: 'not-an-email' });
    expect(codeOf(r)).toBe('BAD_USER_INPUT');
    expect(r.body.errors![0].extensions.fields.map((f: { field: string }) => f.field).sort()).toEqual([
      'email',
      'ticketNumber',
    ]);
  });
});

async function fetchRaw(query: string, variables: Record<string, unknown>) {
  const r = await fetch(api.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: r.status, text: await r.text() };
}
