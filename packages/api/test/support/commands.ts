// The database commands of the test's own requests, and nothing else: each
// request carries an X-Request-Id of the test's choosing, and the server
// puts a request's id in the `comment` of every command it sends for it
// (src/db/request-comment.ts). A timer's commands (the feed's sequencer,
// live polls, webhook dispatch, sweeps) and another request's carry no such
// comment, so when they run cannot change what a test counts.
import { randomUUID } from 'node:crypto';
import type { CommandStartedEvent, MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { withRequestId } from '../../src/telemetry/tracing';

/** The URI with the driver's command events switched on (a standard connection-string option). */
export function monitoredUri(uri: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
}

/** The collection a command names ("find tickets" -> tickets). */
export const collectionOf = (e: CommandStartedEvent): string =>
  String((e.command as Record<string, unknown>)[e.commandName] ?? '');

/**
 * Runs `fn`, whose requests send `headers` (one request id for all of
 * them), and returns the commands those requests started, in order. The
 * client is the in-process API's (mongoose's), connected with monitoredUri.
 */
export async function commandsOfRequests(
  fn: (headers: { 'x-request-id': string }) => Promise<unknown>,
  client: MongoClient = mongoose.connection.getClient(),
): Promise<CommandStartedEvent[]> {
  // Without command events every count would be zero: a test that could not fail.
  if (!client.options.monitorCommands)
    throw new Error('commandsOfRequests: connect with monitoredUri(...) (monitorCommands=true)');
  const id = `test-${randomUUID()}`;
  const seen = await taggedBy(id, client, () => fn({ 'x-request-id': id }));
  // "Nothing sent" must mean nothing: prove this process tags a request's commands at all
  // (an old server or a driver without the hook leaves them untagged, and every count zero).
  if (seen.length === 0) {
    const probe = `probe-${randomUUID()}`;
    const tagged = await taggedBy(probe, client, () =>
      withRequestId(probe, () =>
        client
          .db()
          .collection('tickets')
          .findOne({ _id: null as never }),
      ),
    );
    if (tagged.length === 0)
      throw new Error(
        'commandsOfRequests: commands are not tagged with the request id here; counts would prove nothing',
      );
  }
  return seen;
}

/** The commands started while `fn` runs whose comment is `id`. */
async function taggedBy(id: string, client: MongoClient, fn: () => Promise<unknown>): Promise<CommandStartedEvent[]> {
  const seen: CommandStartedEvent[] = [];
  const listener = (e: CommandStartedEvent) => {
    if ((e.command as { comment?: unknown }).comment === id) seen.push(e);
  };
  client.on('commandStarted', listener);
  try {
    await fn();
  } finally {
    client.off('commandStarted', listener);
  }
  return seen;
}
