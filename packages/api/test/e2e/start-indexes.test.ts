// A start asks only for the indexes the database may lack: those not
// listed, and every unique one (listed may mean another process is still
// building it; asking waits for that build). On the embedded engine every
// createIndexes re-checks each unique index over the whole collection, so a
// restart that asked for all 25 again took minutes over 50 000 events.
import type { CommandStartedEvent } from 'mongodb';
import mongoose from 'mongoose';
import { MODELS } from '../../src/capabilities';
import { connectDatabase } from '../../src/db/connection';
import { prepareNumbering } from '../../src/doctor/startup-guard';
import { createLogger } from '../../src/logging/logger';
import { databaseUri } from '../support/api';
import { collectionOf, monitoredUri } from '../support/commands';

const log = createLogger('silent');

interface Asked {
  collection: string;
  name: string;
  unique: boolean;
}

/** The indexes a start asks the database to build. */
async function startBuilds(): Promise<Asked[]> {
  const builds: Asked[] = [];
  const listener = (e: CommandStartedEvent) => {
    if (e.commandName !== 'createIndexes') return;
    for (const i of (e.command as { indexes?: { name: string; unique?: boolean }[] }).indexes ?? [])
      builds.push({ collection: collectionOf(e), name: i.name, unique: i.unique === true });
  };
  const client = mongoose.connection.getClient();
  client.on('commandStarted', listener);
  try {
    const { healthy } = await prepareNumbering(MODELS, log);
    expect(healthy).toBe(true);
  } finally {
    client.off('commandStarted', listener);
  }
  return builds;
}

/** A database of its own holding three tickets already, as on a restart: the builds go over data. */
async function useDatabase(name: string): Promise<void> {
  if (mongoose.connection.readyState === 1) await mongoose.disconnect();
  await connectDatabase(monitoredUri(databaseUri(name)), 5_000);
  const tickets = mongoose.connection.db!.collection('tickets');
  await tickets.deleteMany({});
  await tickets.insertMany(
    [1, 2, 3].map((n) => ({ ticketNumber: `TKT-0000${n}`, subject: 's', createdAt: new Date() })),
  );
}

afterAll(async () => {
  await mongoose.disconnect();
});

const names = (asked: Asked[]) => asked.map((a) => `${a.collection}.${a.name}`);

describe('indexes at start', () => {
  it('the first start builds every declared index; the next asks only for the unique ones again', async () => {
    await useDatabase('start_indexes');
    const first = await startBuilds();
    expect(names(first)).toEqual(expect.arrayContaining(['tickets.search_words', 'ticket_events.sla_breach_once']));
    const listed = (await mongoose.connection.db!.collection('tickets').listIndexes().toArray()).map((i) => i.name);
    expect(listed).toEqual(expect.arrayContaining(['search_words', 'sla_due', 'tags_created', 'updated_order']));

    const again = await startBuilds();
    expect(again.filter((a) => !a.unique)).toEqual([]);
    // The guarantees are asked for every time: ticket numbers, one breach event per metric.
    expect(names(again)).toEqual(expect.arrayContaining(['tickets.ticketNumber_1', 'ticket_events.sla_breach_once']));
    expect(again.length).toBe(first.filter((a) => a.unique).length);
    expect(first.length - again.length).toBeGreaterThanOrEqual(15);
  });

  it('a non-unique index already there under another name is not asked for; the others are built', async () => {
    await useDatabase('start_indexes_partial');
    await mongoose.connection.db!.collection('tickets').createIndex({ searchWords: 1, _id: -1 }, { name: 'by_hand' });
    const built = names(await startBuilds());
    expect(built).not.toContain('tickets.search_words');
    expect(built).toContain('tickets.sla_due');
    expect((await startBuilds()).filter((a) => !a.unique)).toEqual([]);
  });
});
