// A start builds only the indexes the database lacks. On the embedded
// engine every createIndexes re-checks each unique index over the whole
// collection, so a restart that asked for all of them again took minutes
// over 50 000 events; on MongoDB it was a round trip per index.
import type { CommandStartedEvent } from 'mongodb';
import mongoose from 'mongoose';
import { MODELS } from '../../src/capabilities';
import { connectDatabase } from '../../src/db/connection';
import { prepareNumbering } from '../../src/doctor/startup-guard';
import { createLogger } from '../../src/logging/logger';
import { databaseUri } from '../support/api';
import { collectionOf, monitoredUri } from '../support/commands';

const log = createLogger('silent');

/** The createIndexes commands a start sends, as "collection: index names". */
async function startBuilds(): Promise<string[]> {
  const builds: string[] = [];
  const listener = (e: CommandStartedEvent) => {
    if (e.commandName !== 'createIndexes') return;
    const names = ((e.command as { indexes?: { name: string }[] }).indexes ?? []).map((i) => i.name);
    builds.push(`${collectionOf(e)}: ${names.join(',')}`);
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

describe('indexes at start', () => {
  it('the first start builds every declared index; the next one builds none', async () => {
    await useDatabase('start_indexes');
    const first = await startBuilds();
    expect(first.some((b) => b.startsWith('tickets: ') && b.includes('search_words'))).toBe(true);
    expect(first.some((b) => b.startsWith('ticket_events: '))).toBe(true);
    const indexes = (await mongoose.connection.db!.collection('tickets').listIndexes().toArray()).map((i) => i.name);
    expect(indexes).toEqual(expect.arrayContaining(['search_words', 'sla_due', 'tags_created', 'updated_order']));

    expect(await startBuilds()).toEqual([]);
  });

  it('an index already there under another name is not asked for again; the others are built', async () => {
    await useDatabase('start_indexes_partial');
    await mongoose.connection.db!.collection('tickets').createIndex({ searchWords: 1, _id: -1 }, { name: 'by_hand' });
    const builds = (await startBuilds()).join(' ');
    expect(builds).not.toContain('search_words');
    expect(builds).toContain('sla_due');
    expect(await startBuilds()).toEqual([]);
  });
});
