// Every database command a request sends carries the request's id as its
// `comment` (MongoDB's own field for this): the server's slow-query log,
// profiler and currentOp tie a command to the request's log lines, and a
// test can count what one request asked of the database, never a timer's
// or another request's. Set here, once, in the driver's one path every
// command takes, so no query has to remember it. Background work (feed
// sequencing, live polling, webhooks, sweeps) runs outside any request and
// goes untagged.
import { currentRequestId } from '../telemetry/tracing';

/** Commands that take a comment on MongoDB 4.4+ (wire version 9) and jongodb. */
const TAGGED = new Set([
  'find',
  'getMore',
  'aggregate',
  'count',
  'distinct',
  'insert',
  'update',
  'delete',
  'findAndModify',
]);
const MIN_WIRE_VERSION = 9;

type Command = Record<string, unknown>;
/** The part of the driver's (internal) Connection this relies on. */
type Connection = {
  description?: { maxWireVersion?: number };
  command(ns: unknown, command: Command, ...rest: unknown[]): unknown;
};

/** The command with the request's id as its comment, when it runs for a request and has none of its own. */
export function withRequestComment(
  command: Command,
  requestId: string | undefined,
  wireVersion: number | undefined,
): Command {
  if (requestId === undefined || (wireVersion ?? 0) < MIN_WIRE_VERSION || command.comment !== undefined) return command;
  if (!TAGGED.has(Object.keys(command)[0] ?? '')) return command;
  return { ...command, comment: requestId };
}

let installed = false;

/**
 * Wraps the driver's Connection.command (the path OpenTelemetry's MongoDB
 * instrumentation wraps too). A driver without it is left alone: commands
 * then go untagged, which changes nothing but the tag.
 */
export function installRequestComments(): void {
  if (installed) return;
  installed = true;
  let proto: Connection | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    proto = (require('mongodb/lib/cmap/connection') as { Connection?: { prototype: Connection } }).Connection
      ?.prototype;
  } catch {
    return;
  }
  if (typeof proto?.command !== 'function') return;
  const command = proto.command;
  proto.command = function (this: Connection, ns: unknown, cmd: Command, ...rest: unknown[]) {
    return command.call(
      this,
      ns,
      withRequestComment(cmd, currentRequestId(), this.description?.maxWireVersion),
      ...rest,
    );
  };
}
