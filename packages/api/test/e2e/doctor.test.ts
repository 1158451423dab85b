// The repair tool on data damaged the way `countDocuments() + 1` numbering
// damages it, seeded straight through the driver (no indexes).
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { connectDatabase } from '../../src/db/connection';
import { inspect } from '../../src/doctor/inspect';
import { repair } from '../../src/doctor/repair';
import { createLogger } from '../../src/logging/logger';
import { CREATE, TIMELINE, databaseUri, startTestApi, ticketInput } from '../support/api';

const DOCTOR = join(__dirname, '../../dist/cli/doctor.js');
const run = promisify(execFile);
const log = createLogger('silent');
const db = () => mongoose.connection.db!;
const day = (n: number) => new Date(Date.UTC(2024, 0, n));

async function useDatabase(name: string): Promise<string> {
  if (mongoose.connection.readyState === 1) await mongoose.disconnect();
  await connectDatabase(databaseUri(name), 5_000);
  for (const c of ['tickets', 'counters', 'ticket_events']) await db().collection(c).deleteMany({});
  return databaseUri(name);
}

/** Every kind of damage: missing/null/empty numbers, shared numbers, a counter behind, no index. */
async function seedDamage(): Promise<void> {
  const t = (ticketNumber: unknown, createdAt: Date, extra: Record<string, unknown> = {}) => ({
    ...(ticketNumber === undefined ? {} : { ticketNumber }),
    subject: 's',
    description: 'd',
    status: 'OPEN',
    priority: 'NORMAL',
    source: 'WEB',
    customerEmail: 'old@example.com',
    createdAt,
    updatedAt: createdAt,
    ...extra,
  });
  await db()
    .collection('tickets')
    .insertMany([
      t('TKT-00001', day(1)),
      t('TKT-00002', day(3), { subject: 'second holder' }),
      t('TKT-00002', day(2), { subject: 'oldest holder' }),
      t('TKT-00002', day(4), { subject: 'third holder' }),
      t('TKT-00005', day(5), { subject: 'five-a' }),
      t('TKT-00005', day(5), { subject: 'five-b' }), // same createdAt: _id decides
      t('TKT-00009', day(9)),
      t(undefined, day(10)),
      t(null, day(11)),
      t('', day(12)),
      t('tkt-00003', day(13)), // not in stored form
    ]);
  await db()
    .collection('counters')
    .insertOne({ _id: 'ticketNumber' as never, seq: 3 });
}

async function snapshot(): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const c of ['tickets', 'counters', 'ticket_events'])
    out[c] = await db().collection(c).find().sort({ _id: 1 }).toArray();
  return JSON.stringify(out);
}

afterAll(async () => {
  if (mongoose.connection.readyState === 1) await mongoose.disconnect();
});

describe('doctor: inspect', () => {
  it('reports every problem and changes nothing', async () => {
    await useDatabase('doctor_inspect');
    await seedDamage();
    const before = await snapshot();
    const r = await inspect();
    expect(await snapshot()).toBe(before);
    expect(r).toMatchObject({
      healthy: false,
      tickets: 11,
      numberless: { count: 3 },
      malformed: { count: 1, examples: [expect.objectContaining({ ticketNumber: 'tkt-00003' })] },
      duplicates: { numbers: 2, tickets: 5 },
      counter: { value: 3, highest: 9, behind: true },
      index: { ticketNumber: 'missing' },
    });
    expect(r.plan.length).toBeGreaterThanOrEqual(5);
  });

  it('as a CLI: readable report, --json, non-zero exit, still nothing changed', async () => {
    const uri = await useDatabase('doctor_cli');
    await seedDamage();
    const before = await snapshot();
    const text = await run(process.execPath, [DOCTOR], { env: { ...process.env, MONGODB_URI: uri } }).catch((e) => e);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/shared numbers:\s+2 \(held by 5 tickets\)/);
    expect(text.stdout).toMatch(/--fix` would:/);
    const json = await run(process.execPath, [DOCTOR, '--json'], { env: { ...process.env, MONGODB_URI: uri } }).catch(
      (e) => e,
    );
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ healthy: false, duplicates: { numbers: 2 } });
    expect(await snapshot()).toBe(before);
    const noUri = await run(process.execPath, [DOCTOR], { env: { PATH: process.env.PATH } }).catch((e) => e);
    expect(noUri.code).toBe(2);
    expect(noUri.stderr).toMatch(/MONGODB_URI/);
  });
});

describe('doctor: --fix', () => {
  it('repairs everything, keeps the oldest holder, and a second run is a no-op', async () => {
    await useDatabase('doctor_fix');
    await seedDamage();
    const first = await repair({ log, batchSize: 2 });
    expect(first.errors).toEqual([]);
    expect(first.after.healthy).toBe(true);
    expect(first.changed).toMatchObject({ numbered: 4, renumbered: 3, notes: 7, counterRaisedTo: 9, indexBuilt: true });

    const all = await db().collection('tickets').find().toArray();
    const numbers = all.map((t) => t.ticketNumber);
    expect(new Set(numbers).size).toBe(all.length);
    for (const n of numbers) expect(n).toMatch(/^TKT-\d{5,}$/);
    const holder = (n: string) => all.filter((t) => t.ticketNumber === n).map((t) => t.subject);
    expect(holder('TKT-00002')).toEqual(['oldest holder']);
    const five = all
      .filter((t) => ['five-a', 'five-b'].includes(t.subject))
      .sort((a, b) => String(a._id).localeCompare(String(b._id)));
    expect(five[0].ticketNumber).toBe('TKT-00005'); // equal createdAt: lower _id keeps it
    expect(five[1].ticketNumber).not.toBe('TKT-00005');
    // Fresh numbers are above everything that existed.
    for (const t of all.filter((x) => x.renumberedFrom !== undefined)) expect(t.sequence).toBeGreaterThan(9);
    const counter = await db()
      .collection('counters')
      .findOne({ _id: 'ticketNumber' as never });
    expect(counter!.seq).toBeGreaterThanOrEqual(Math.max(...all.map((t) => t.sequence)));
    const indexes = await db().collection('tickets').listIndexes().toArray();
    expect(indexes.find((i) => JSON.stringify(i.key) === '{"ticketNumber":1}')?.unique).toBe(true);
    const third = all.find((t) => t.subject === 'third holder')!;
    expect(await db().collection('ticket_events').findOne({ ticketId: third._id, kind: 'RENUMBERED' })).toMatchObject({
      message: `Renumbered from TKT-00002 to ${third.ticketNumber}.`,
      sequence: expect.any(Number),
    });

    const before = await snapshot();
    const second = await repair({ log });
    expect(second.changed).toEqual({
      numbered: 0,
      renumbered: 0,
      notes: 0,
      sequences: 0,
      counterRaisedTo: null,
      indexBuilt: false,
    });
    expect(await snapshot()).toBe(before);
  });

  it('customers see the renumbering on their timeline, and new tickets continue above the highest number', async () => {
    await useDatabase('doctor_api');
    await seedDamage();
    await repair({ log });
    const moved = await db().collection('tickets').findOne({ subject: 'second holder' });
    const highest = Math.max(...(await db().collection('tickets').find().toArray()).map((t) => t.sequence));
    await mongoose.disconnect();
    const api = await startTestApi('doctor_api');
    try {
      const tl = await api.gql(TIMELINE, { n: moved!.ticketNumber, e: 'old@example.com' });
      expect(tl.body.data!.ticketTimeline).toEqual([
        expect.objectContaining({
          kind: 'RENUMBERED',
          message: `Renumbered from TKT-00002 to ${moved!.ticketNumber}.`,
        }),
      ]);
      const created = await api.gql(CREATE, { input: ticketInput() });
      expect(Number(created.body.data!.createTicket.ticketNumber.slice(4))).toBeGreaterThan(highest);
    } finally {
      await api.stop();
    }
  });

  it('an interrupted fix completes on the next run without new duplicates', async () => {
    const uri = await useDatabase('doctor_interrupt');
    const now = new Date();
    // 400 tickets sharing 200 numbers, no counter; small batches so there is a middle to stop in.
    const docs = Array.from({ length: 400 }, (_, i) => ({
      ticketNumber: `TKT-${String((i % 200) + 1).padStart(5, '0')}`,
      subject: 's',
      description: 'd',
      customerEmail: 'x@example.com',
      createdAt: new Date(now.getTime() + i),
    }));
    for (let i = 0; i < docs.length; i += 500)
      await db()
        .collection('tickets')
        .insertMany(docs.slice(i, i + 500));

    const child = spawn(process.execPath, [DOCTOR, '--fix', '--progress'], {
      env: { ...process.env, MONGODB_URI: uri, DOCTOR_BATCH_SIZE: '10' },
    });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        err += d;
        if (/renumbering: [1-9]/.test(err)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`doctor finished before it could be interrupted: ${err}`)));
    });
    const partial = await inspect();
    expect(partial.duplicates.numbers).toBeGreaterThan(0); // really interrupted mid-way
    expect(partial.duplicates.numbers).toBeLessThan(200);

    const { stdout } = await run(process.execPath, [DOCTOR, '--fix', '--json'], {
      env: { ...process.env, MONGODB_URI: uri },
    });
    const result = JSON.parse(stdout);
    expect(result.after.healthy).toBe(true);
    const all = await db().collection('tickets').find().toArray();
    expect(new Set(all.map((t) => t.ticketNumber)).size).toBe(400);
    // Exactly one note per renumbered ticket, across both runs.
    const renumbered = all.filter((t) => t.renumberedFrom);
    expect(renumbered).toHaveLength(200);
    expect(await db().collection('ticket_events').countDocuments({ kind: 'RENUMBERED' })).toBe(200);
    // The oldest holder of each number kept it.
    for (const t of all.filter((x) => !x.renumberedFrom))
      expect(t.createdAt.getTime() - now.getTime()).toBeLessThan(200);
  }, 180_000);
});

describe('the API on damaged data', () => {
  it('says so in one clear line naming the doctor, keeps serving, and never reuses a number', async () => {
    await useDatabase('doctor_damaged');
    await seedDamage();
    await mongoose.disconnect();
    const lines: string[] = [];
    const capture = require('pino')({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const api = await startTestApi('doctor_damaged', {}, undefined, capture);
    try {
      const hint = lines.map((l) => JSON.parse(l)).filter((l) => /npm run doctor -- --fix/.test(l.msg));
      expect(hint.length).toBeGreaterThanOrEqual(1);
      const results = await Promise.all(Array.from({ length: 5 }, () => api.gql(CREATE, { input: ticketInput() })));
      const numbers = results.map((r) => Number(r.body.data!.createTicket.ticketNumber.slice(4)));
      expect(Math.min(...numbers)).toBeGreaterThan(9);
      expect(new Set(numbers).size).toBe(5);
    } finally {
      await api.stop();
    }
  });
});
