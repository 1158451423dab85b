// What each capability hands the composition root (compose.ts): its static
// parts, which every entry point needs (the models whose indexes are built
// at start, the resolvers of the schema), through its folder's index.ts.
// Its running parts (services, routes, erasers, start and stop) are built
// by compose.ts, the one place that knows how capabilities fit together.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Eraser } from './customers/eraser';
import type { IndexedModel } from './db/connection';

export interface Capability {
  /** For logs and docs: what it is. */
  name: string;
  /** Its collections' models (and index builders), handed to db/ at start. */
  models?: readonly IndexedModel[];
  /** Its type-graphql resolver classes, for the schema. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers?: readonly Function[];
}

/** A capability's running part, as compose.ts builds it. */
export interface Running {
  /** Answers the HTTP requests that are its own (true), or leaves them (false). */
  route?(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** What it keeps of a customer's tickets, for erasure. */
  erasers?: readonly Eraser[];
  start?(): void | Promise<void>;
  stop?(): Promise<void>;
}
