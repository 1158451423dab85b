// Bulk changes over the real stack: a job over a list (duplicates, an
// unknown number, a ticket that refuses its tags) and over a saved view
// (its tickets fixed at start), each ticket changed once with the events
// its single mutations add and the starting token as actor; bad requests
// refused naming the field, with nothing stored.
import mongoose from 'mongoose';
import { BulkWorker, KEEP_DONE_MS } from '../../src/bulk/bulk.worker';
import type { BulkService } from '../../src/bulk/bulk.service';
import { createLogger } from '../../src/logging/logger';
import { TokenService } from '../../src/tokens/token.service';
import {
  AGENT_TOKEN,
  CREATE,
  agent,
  codeOf,
  startTestApi,
  ticketInput,
  type GqlResult,
  type TestApi,
} from '../support/api';

const START = `mutation($numbers: [String!], $view: ID, $change: BulkChangeInput!) {
  startBulkChange(ticketNumbers: $numbers, viewId: $view, change: $change) { id state total done changed failed createdAt finishedAt failures { ticketNumber code message } }
}`;
const JOB = `query($id: ID!) { bulkJob(id: $id) { id state total done changed failed finishedAt failures { ticketNumber code message } } }`;
const TICKET = `query($n: String!) { ticket(ticketNumber: $n) { status priority assignee tags timeline { kind actor message } } }`;

let api: TestApi;
let reader: Record<string, string>;
let manager: Record<string, string>;
// A second AGENT_TOKENS agent, named: a budget and jobs of its own.
const KIM_SECRET = 'kim-secret-0123456789abcdef-0123456789';
const kim = { authorization: `Bearer ${KIM_SECRET}` };
const db = () => mongoose.connection.db!;
beforeAll(async () => {
  api = await startTestApi('bulk', { AGENT_TOKENS: `${AGENT_TOKEN},kim=${KIM_SECRET}` });
  await api.reset();
  for (const c of ['bulk_jobs', 'bulk_job_failures', 'bulk_slots', 'ticket_views'])
    await db().collection(c).deleteMany({});
  reader = { authorization: `Bearer ${(await new TokenService([]).create('reader', ['tickets:read'])).token}` };
  manager = {
    authorization: `Bearer ${(await new TokenService([]).create('manager', ['tickets:read', 'settings:manage'])).token}`,
  };
});
afterAll(async () => {
  await api.stop();
});

async function create(over: Record<string, unknown> = {}): Promise<string> {
  const r = await api.gql<any>(CREATE, { input: ticketInput(over) });
  expect(r.body.errors).toBeUndefined();
  return r.body.data.createTicket.ticketNumber;
}

/** The job once DONE (bounded: polls, never times the job). */
async function finished(id: string): Promise<any> {
  for (const end = Date.now() + 60_000; Date.now() < end;) {
    const r = await api.gql<any>(JOB, { id }, agent);
    expect(r.body.errors).toBeUndefined();
    if (r.body.data.bulkJob.state === 'DONE') return r.body.data.bulkJob;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error('the job did not finish');
}

const fieldsOf = (r: GqlResult) =>
  (r.body.errors?.[0]?.extensions.fields ?? []).map((f: { field: string }) => f.field).sort();
const kinds = (t: any, kind: string) => t.timeline.filter((e: any) => e.kind === kind);

it('changes a list of tickets once each, reports the ones that fail, and goes on', async () => {
  const numbers = [];
  for (let i = 0; i < 5; i++) numbers.push(await create());
  // One ticket already holds 20 tags: adding two more is refused for it alone.
  const full = await create();
  const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
  const set = await api.gql(
    `mutation($n: String!, $t: [String!]) { updateTicketFields(ticketNumber: $n, tags: $t) { ticketNumber } }`,
    { n: full, t: tags },
    agent,
  );
  expect(set.body.errors).toBeUndefined();
  const unknown = 'TKT-99999';
  const list = [numbers[0], numbers[1], full, unknown, numbers[2], numbers[0].toLowerCase(), numbers[3], numbers[4]];

  const started = await api.gql<any>(
    START,
    { numbers: list, change: { status: 'IN_PROGRESS', assignee: 'kim', priority: 'HIGH', addTags: [' Bulk', 'vip'] } },
    agent,
  );
  expect(started.body.errors).toBeUndefined();
  expect(started.body.data.startBulkChange).toMatchObject({ total: 7, failed: 0, finishedAt: null });
  const job = await finished(started.body.data.startBulkChange.id);
  expect(job).toMatchObject({ state: 'DONE', total: 7, done: 7, changed: 5, failed: 2 });
  expect(job.finishedAt).toEqual(expect.any(String));
  expect(job.failures.map((f: any) => [f.ticketNumber, f.code])).toEqual([
    [full, 'BAD_USER_INPUT'],
    [unknown, 'NOT_FOUND'],
  ]);

  for (const n of numbers) {
    const t = (await api.gql<any>(TICKET, { n }, agent)).body.data.ticket;
    expect(t).toMatchObject({ status: 'IN_PROGRESS', priority: 'HIGH', assignee: 'kim', tags: ['bulk', 'vip'] });
    for (const kind of ['IN_PROGRESS', 'ASSIGNED', 'PRIORITY_CHANGED', 'TAGGED']) {
      expect(kinds(t, kind)).toHaveLength(1);
      expect(kinds(t, kind)[0].actor).toBe('agent');
    }
    expect(kinds(t, 'PRIORITY_CHANGED')[0].message).toBe('Priority HIGH (was NORMAL)');
  }
  // The ticket that refused its tags got nothing (tags come first).
  const refused = (await api.gql<any>(TICKET, { n: full }, agent)).body.data.ticket;
  expect(refused).toMatchObject({ status: 'OPEN', priority: 'NORMAL', assignee: null });
  expect(refused.timeline.map((e: any) => e.kind)).toEqual(['CREATED', 'TAGGED']);

  // Running it again changes nothing, and says so.
  const again = await api.gql<any>(
    START,
    { numbers, change: { status: 'IN_PROGRESS', assignee: 'kim', priority: 'HIGH', addTags: ['bulk', 'vip'] } },
    agent,
  );
  const second = await finished(again.body.data.startBulkChange.id);
  expect(second).toMatchObject({ total: 5, done: 5, changed: 0, failed: 0, failures: [] });
  const t = (await api.gql<any>(TICKET, { n: numbers[0] }, agent)).body.data.ticket;
  expect(t.timeline).toHaveLength(5);
});

it('over a view: its tickets as they stood at start, oldest first', async () => {
  const low = [];
  for (let i = 0; i < 3; i++) low.push(await create({ priority: 'LOW' }));
  const normal = await create({ priority: 'NORMAL' });
  const view = await api.gql<any>(
    `mutation($i: TicketViewInput!) { saveView(input: $i) { id count } }`,
    { i: { name: 'Low', filter: { priority: ['LOW'] }, order: 'CREATED_DESC' } },
    agent,
  );
  expect(view.body.data.saveView.count).toBe(3);
  const started = await api.gql<any>(
    START,
    { view: view.body.data.saveView.id, change: { status: 'CLOSED', removeTags: ['none'] } },
    agent,
  );
  expect(started.body.errors).toBeUndefined();
  const later = await create({ priority: 'LOW' });
  const job = await finished(started.body.data.startBulkChange.id);
  expect(job).toMatchObject({ total: 3, done: 3, changed: 3, failed: 0 });
  const stored = await db()
    .collection('bulk_jobs')
    .findOne({ _id: job.id as never });
  expect(stored!.numbers).toEqual(low);
  for (const n of low) {
    const t = (await api.gql<any>(TICKET, { n }, agent)).body.data.ticket;
    expect(t.status).toBe('CLOSED');
    expect(t.timeline.map((e: any) => e.kind)).toEqual(['CREATED', 'CLOSED']);
  }
  for (const n of [later, normal])
    expect((await api.gql<any>(TICKET, { n }, agent)).body.data.ticket.status).toBe('OPEN');
});

it('refuses a bad request naming the field, and stores nothing', async () => {
  const n = await create();
  const none = await api.gql<any>(
    `mutation($i: TicketViewInput!) { saveView(input: $i) { id count } }`,
    { i: { name: 'Nobody', filter: { customerEmail: 'nobody@example.com' } } },
    agent,
  );
  expect(none.body.data.saveView.count).toBe(0);
  const before = await db().collection('bulk_jobs').countDocuments({});
  const cases: [Record<string, unknown>, string[]][] = [
    [{ numbers: [n], change: {} }, ['change']],
    [{ numbers: [n], change: { unassign: false, addTags: [] } }, ['change']],
    [{ numbers: [n], view: '0123456789abcdef01234567', change: { unassign: true } }, ['ticketNumbers', 'viewId']],
    [{ change: { unassign: true } }, ['ticketNumbers', 'viewId']],
    [{ numbers: [], change: { unassign: true } }, ['ticketNumbers']],
    [{ numbers: Array.from({ length: 5001 }, () => n), change: { unassign: true } }, ['ticketNumbers']],
    [{ numbers: [n, 'nope'], change: { unassign: true } }, ['ticketNumbers[1]']],
    [{ numbers: [n], change: { assignee: 'kim', unassign: true } }, ['change.unassign']],
    [{ numbers: [n], change: { assignee: ' ' } }, ['change.assignee']],
    [{ numbers: [n], change: { addTags: ['a', ''] } }, ['change.addTags[1]']],
    [{ numbers: [n], change: { addTags: ['a'], removeTags: ['A'] } }, ['change.removeTags']],
    [{ view: 'nope', change: { unassign: true } }, ['viewId']],
    [{ view: none.body.data.saveView.id, change: { unassign: true } }, ['viewId']],
  ];
  for (const [variables, fields] of cases) {
    const r = await api.gql(START, variables, agent);
    expect([JSON.stringify(variables).slice(0, 80), codeOf(r)]).toEqual([
      JSON.stringify(variables).slice(0, 80),
      'BAD_USER_INPUT',
    ]);
    expect(fieldsOf(r)).toEqual(fields);
  }
  // An unknown status never reaches the service: the variables do not coerce.
  const status = await api.gql(START, { numbers: [n], change: { status: 'SHELVED' } }, agent);
  expect(codeOf(status)).toBe('BAD_USER_INPUT');
  expect(status.body.errors![0].message).toContain('status');
  // tickets:read may follow a job, not start one.
  expect(codeOf(await api.gql(START, { numbers: [n], change: { unassign: true } }, reader))).toBe('FORBIDDEN');
  expect(await db().collection('bulk_jobs').countDocuments({})).toBe(before);
  expect((await api.gql<any>(JOB, { id: 'nope' }, reader)).body.data.bulkJob).toBeNull();
  expect(codeOf(await api.gql(JOB, { id: 'nope' }))).toBe('UNAUTHENTICATED');
});

it('runs at most three jobs per owner (places taken by unique inserts), each agent its own; a job shown to its owner only', async () => {
  // Jobs of 5000 unknown numbers: none can finish while the starts race.
  const many = Array.from({ length: 5000 }, (_, i) => `TKT-${900000 + i}`);
  const starts = await Promise.all(
    Array.from({ length: 5 }, () => api.gql<any>(START, { numbers: many, change: { priority: 'LOW' } }, agent)),
  );
  const codes = starts.map((r) => codeOf(r) ?? 'OK').sort();
  expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
  // The refused starts left no job behind.
  expect(await db().collection('bulk_jobs').countDocuments({ state: 'RUNNING' })).toBe(3);
  const mine = starts.find((r) => !r.body.errors)!.body.data.startBulkChange.id;

  // Another agent of AGENT_TOKENS has its own budget, and does not see the first one's job; settings:manage does.
  const other = await api.gql<any>(START, { numbers: many.slice(0, 3000), change: { priority: 'LOW' } }, kim);
  expect(other.body.errors).toBeUndefined();
  expect((await api.gql<any>(JOB, { id: mine }, kim)).body.data.bulkJob).toBeNull();
  expect((await api.gql<any>(JOB, { id: mine }, reader)).body.data.bulkJob).toBeNull();
  expect((await api.gql<any>(JOB, { id: mine }, manager)).body.data.bulkJob.id).toBe(mine);
  expect((await api.gql<any>(JOB, { id: mine }, agent)).body.data.bulkJob.id).toBe(mine);

  // Jobs that ended without letting go of their place (their process stopped in between): the next start takes it back.
  await db()
    .collection('bulk_jobs')
    .updateMany({ state: 'RUNNING' }, { $set: { state: 'DONE' } });
  expect(await db().collection('bulk_slots').countDocuments({})).toBe(4);
  const after = await api.gql<any>(START, { numbers: many.slice(0, 10), change: { priority: 'LOW' } }, agent);
  expect(after.body.errors).toBeUndefined();
  await finished(after.body.data.startBulkChange.id);
  expect(await db().collection('bulk_slots').countDocuments({})).toBeLessThanOrEqual(3);
}, 120_000);

it('removes done jobs and their failures a week after they finished, nothing younger', async () => {
  const now = new Date();
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const job = (id: string, over: Record<string, unknown>) => ({
    _id: id,
    owner: 'agent',
    actor: 'agent',
    change: { priority: 'LOW' },
    numbers: ['TKT-1'],
    next: 1,
    changed: 0,
    failed: 1,
    state: 'DONE',
    createdAt: ago(KEEP_DONE_MS + 60_000),
    beat: 0,
    ...over,
  });
  const jobs = [
    job('old-done', { finishedAt: ago(KEEP_DONE_MS + 1000) }),
    job('young-done', { finishedAt: ago(KEEP_DONE_MS - 60_000) }),
    job('old-running', { state: 'RUNNING', next: 0, finishedAt: null, failed: 0 }),
    job('old-waiting', { state: 'RUNNING', next: 0, finishedAt: null, failed: 0, waiting: true }),
  ];
  await db()
    .collection('bulk_jobs')
    .insertMany(jobs as never[]);
  await db()
    .collection('bulk_job_failures')
    .insertMany(
      ['old-done', 'young-done'].map((j) => ({
        _id: `${j}:0`,
        job: j,
        index: 0,
        ticketNumber: 'TKT-1',
        code: 'NOT_FOUND',
        message: 'No ticket TKT-1.',
      })) as never[],
    );
  const worker = new BulkWorker({} as BulkService, createLogger('silent'));
  expect(await worker.cleanup(now)).toBe(2);
  const left = await db()
    .collection('bulk_jobs')
    .find({ _id: { $in: jobs.map((j) => j._id) as never[] } })
    .toArray();
  expect(left.map((j) => j._id).sort()).toEqual(['old-running', 'young-done']);
  const failures = await db()
    .collection('bulk_job_failures')
    .find({ job: { $in: ['old-done', 'young-done'] } })
    .toArray();
  expect(failures.map((f) => f.job)).toEqual(['young-done']);
  // The in-process worker must not run the fake running job: it is done with here.
  await db()
    .collection('bulk_jobs')
    .deleteMany({ _id: { $in: ['old-running', 'young-done'] as never[] } });
});
