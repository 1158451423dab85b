// Bulk changes: a job is checked and its tickets fixed at start (a view is
// read to numbers then, oldest first), stored, and run in the background by
// bulk.worker.ts through the single mutations' own rules (ticket service,
// fields service), one ticket at a time. What a ticket's change did is on
// its events (stamped with the job's id), so a job resumed after a crash
// applies only the parts a ticket has not had from it.
import { GraphQLError } from 'graphql';
import { Types } from 'mongoose';
import { badUserInput, rateLimited, type FieldProblem } from '../errors/api-errors';
import { FieldsService } from '../fields/field.service';
import { filterQuery } from '../listing/listing.service';
import type { TicketStore } from '../tickets/ticket.store';
import type { Logger } from '../logging/logger';
import type { SearchService } from '../search/search.service';
import type { EventMark, TicketService } from '../tickets/ticket.service';
import type { TicketView } from '../tickets/ticket.mappers';
import type { Principal } from '../tokens/scopes';
import { viewFilter, type ViewsService } from '../views/views.service';
import {
  checkChange,
  checkSource,
  checkTicketNumbers,
  MAX_BULK_TICKETS,
  partsLeft,
  type BulkChange,
  type Part,
  type BulkChangeRaw,
} from './bulk-change';
import { BulkJobFailureModel, BulkJobModel, BulkJobState, type BulkJobRecord } from './bulk-job.model';
import { BulkSlotModel, type BulkSlotRecord } from './bulk-slot.model';
import { isDuplicateKeyError } from '../errors/duplicate-key';
import type { BulkJob, BulkJobFailure } from './bulk-job.type';

/** Jobs one token may have running at once (its budget, bulk-slot.model.ts): a start beyond is RATE_LIMITED. */
export const MAX_RUNNING_PER_TOKEN = 3;

/** Errors that are no refusal of the ticket's own: the ticket is tried again (bulk.worker.ts), not failed. */
const RETRIED: ReadonlySet<string> = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

/** What became of one ticket. */
export type TicketOutcome = { changed: boolean } | { failure: { code: string; message: string } };

export const toJob = (r: BulkJobRecord): BulkJob => ({
  id: r._id,
  state: r.state,
  total: r.numbers.length,
  done: r.next,
  changed: r.changed,
  failed: r.failed,
  createdAt: r.createdAt,
  finishedAt: r.finishedAt ?? null,
});

/** What a caller sees of a ticket's state, to tell whether a part changed it. */
const stateOf = (t: TicketView) =>
  JSON.stringify([t.status, t.assignee ?? null, t.priority, (t as { tags?: string[] }).tags ?? []]);

/**
 * Whose budget a job counts in, and who may follow it: the token, or for
 * AGENT_TOKENS (one tokenId for all) the agent itself (its name, or a hash
 * of its secret when it has none).
 */
export const ownerOf = (caller: Principal): string =>
  caller.agentKey ? `${caller.tokenId}:${caller.agentKey}` : caller.tokenId;

export interface StartRequest {
  ticketNumbers?: readonly string[] | null;
  viewId?: string | null;
  change: BulkChangeRaw;
}

/** Where a job's tickets are found. */
export interface BulkSources {
  views: ViewsService;
  search: SearchService;
  store: TicketStore;
}

export class BulkService {
  private readonly fields: FieldsService;
  private readonly views: ViewsService;
  private readonly store: TicketStore;
  private readonly search: SearchService;

  constructor(
    private readonly tickets: TicketService,
    private readonly log: Logger,
    /** Where a job's tickets are found (a view, its search, the store), as compose.ts built them. */
    sources: BulkSources,
    /** Told of a new job: this process's worker starts it at once. */
    private readonly onStarted: () => void = () => {},
  ) {
    this.fields = new FieldsService(tickets, log);
    ({ views: this.views, store: this.store, search: this.search } = sources);
  }

  /** Check the request, fix its tickets and store the job; nothing is written when anything is wrong. */
  async start(req: StartRequest, caller: Principal): Promise<BulkJob> {
    const problems: FieldProblem[] = checkSource(req.ticketNumbers, req.viewId);
    const change = checkChange(req.change);
    if (!change.ok) problems.push(...change.problems);
    let numbers: string[] | undefined;
    if (!problems.length && req.ticketNumbers) {
      const checked = checkTicketNumbers(req.ticketNumbers);
      if (checked.ok) numbers = checked.value;
      else problems.push(...checked.problems);
    }
    if (problems.length || !change.ok) throw badUserInput(problems);
    numbers ??= await this.viewNumbers(req.viewId!, caller);

    const owner = ownerOf(caller);
    const now = new Date();
    const record: BulkJobRecord = {
      _id: new Types.ObjectId().toHexString(),
      owner,
      actor: caller.name,
      change: change.value,
      numbers,
      next: 0,
      changed: 0,
      failed: 0,
      state: numbers.length ? BulkJobState.RUNNING : BulkJobState.DONE,
      createdAt: now,
      finishedAt: numbers.length ? null : now,
      holder: null,
      beat: 0,
      // Stored before it has a place (so a place always names a stored job), run only once it has one.
      ...(numbers.length && { waiting: true }),
    };
    await BulkJobModel.collection.insertOne(record as never);
    if (numbers.length) {
      let slot: string | null;
      try {
        slot = await this.takeSlot(owner, record._id);
        if (slot)
          await BulkJobModel.collection.updateOne({ _id: record._id as never }, { $set: { slot, waiting: false } });
      } catch (err) {
        // Nothing half started stays: without its job, a place it may hold is taken back by the next start.
        await BulkJobModel.collection.deleteOne({ _id: record._id as never }).catch(() => undefined);
        throw err;
      }
      if (!slot) {
        await BulkJobModel.collection.deleteOne({ _id: record._id as never });
        throw rateLimited(5);
      }
    }
    this.log.info({ job: record._id, tickets: numbers.length }, 'bulk change started');
    if (numbers.length) this.onStarted();
    return toJob(record);
  }

  /** A place in the owner's budget for the job (a unique insert); null when all are held by running jobs. */
  private async takeSlot(owner: string, job: string): Promise<string | null> {
    const ids = Array.from({ length: MAX_RUNNING_PER_TOKEN }, (_, k) => `${owner}:${k}`);
    for (let round = 0; round < 2; round++) {
      for (const _id of ids)
        try {
          await BulkSlotModel.collection.insertOne({ _id: _id as never, job });
          return _id;
        } catch (err) {
          if (!isDuplicateKeyError(err)) throw err;
        }
      if (round === 1 || !(await this.freeEndedSlots(ids))) return null;
    }
    return null;
  }

  /** Let go the places whose job is done or gone (its process stopped before letting go); whether any was. */
  private async freeEndedSlots(ids: string[]): Promise<boolean> {
    const slots = await BulkSlotModel.collection.find<BulkSlotRecord>({ _id: { $in: ids as never[] } }).toArray();
    const jobs = await BulkJobModel.collection
      .find<BulkJobRecord>({ _id: { $in: slots.map((s) => s.job) as never[] } })
      .toArray();
    const live = new Set(jobs.filter((j) => j.state === BulkJobState.RUNNING).map((j) => j._id));
    let freed = false;
    for (const s of slots.filter((x) => !live.has(x.job))) {
      const res = await BulkSlotModel.collection.deleteOne({ _id: s._id as never, job: s.job });
      freed ||= res.deletedCount === 1;
    }
    return freed;
  }

  /**
   * The view's tickets now, oldest first, read in one query by an order no
   * change moves (a page walk in the view's own order could skip or repeat
   * a ticket changed meanwhile). No such view, none in it, or more than
   * MAX_BULK_TICKETS (counted before they are read): BAD_USER_INPUT on viewId.
   */
  private async viewNumbers(viewId: string, caller: Principal): Promise<string[]> {
    const view = (await this.views.list(caller)).find((v) => v.id === viewId);
    if (!view) throw badUserInput([{ field: 'viewId', message: 'is not a view of yours nor a shared one' }]);
    const tooMany = () =>
      badUserInput([
        { field: 'viewId', message: `the view holds more than ${MAX_BULK_TICKETS} tickets; narrow it first` },
      ]);
    const filter = viewFilter(view);
    let query: Record<string, unknown>;
    if (view.query) {
      const ids = await this.search.ids(view.query, filter, true);
      if (ids.length > MAX_BULK_TICKETS) throw tooMany();
      query = { _id: { $in: ids.map((id) => new Types.ObjectId(id)) } };
    } else {
      const built = filterQuery(filter);
      if ('problems' in built)
        throw badUserInput([{ field: 'viewId', message: 'its filter is no longer valid; save the view again' }]);
      query = built.query;
      if ((await this.store.count(query)) > MAX_BULK_TICKETS) throw tooMany();
    }
    const numbers = await this.store.numbers(query, MAX_BULK_TICKETS + 1);
    if (numbers.length > MAX_BULK_TICKETS) throw tooMany();
    if (!numbers.length) throw badUserInput([{ field: 'viewId', message: 'the view holds no tickets now' }]);
    return numbers;
  }

  /** The job, to its owner (or settings:manage); null to anyone else, as for an unknown id. */
  async job(id: string, caller: Principal): Promise<BulkJob | null> {
    const record = await BulkJobModel.collection.findOne<BulkJobRecord>({ _id: id as never });
    if (!record || (record.owner !== ownerOf(caller) && !caller.scopes.has('settings:manage'))) return null;
    return toJob(record);
  }

  async failures(jobId: string): Promise<BulkJobFailure[]> {
    return BulkJobFailureModel.collection.find<BulkJobFailure>({ job: jobId }).sort({ index: 1 }).toArray();
  }

  /**
   * Apply the job's change to its ticket at `index`: the parts this job has
   * not yet written on it, each through its single mutation's rules, as the
   * job's actor. A ticket's own refusal (no such ticket, too many tags) is
   * its failure; anything else (the engine gone, contention, the service
   * busy) is thrown, and the ticket is tried again. `resuming`: the first ticket of a run,
   * the only one an earlier run may have changed without counting it (a
   * run counts each ticket before it goes to the next), so the only one
   * whose events are read for what the job already did. `fence` runs
   * between each write's read of the ticket and its compare-and-set, and
   * throws once this process no longer holds the job.
   */
  async applyTicket(
    job: BulkJobRecord,
    index: number,
    resuming: boolean,
    fence?: () => Promise<void>,
  ): Promise<TicketOutcome> {
    const number = job.numbers[index];
    const mark: EventMark = { bulkJob: job._id, fence };
    try {
      const before = await this.tickets.byNumberOrNull(number);
      if (!before) return { failure: { code: 'NOT_FOUND', message: `No ticket ${number}.` } };
      const [events] = resuming ? await this.tickets.eventsOfTickets([before._id]) : [[]];
      const mine = new Set(events.filter((e) => e.bulkJob === job._id).map((e) => e.kind as string));
      let now = before;
      for (const part of partsLeft(job.change, mine))
        now = await this.applyPart(number, job.change, part, job.actor, mark);
      return { changed: mine.size > 0 || stateOf(now) !== stateOf(before) };
    } catch (err) {
      const code = err instanceof GraphQLError ? err.extensions?.code : undefined;
      // Not the ticket's own refusal: the engine failing, or busy/contended (SERVICE_UNAVAILABLE): tried again.
      if (typeof code !== 'string' || RETRIED.has(code)) throw err;
      return { failure: { code, message: (err as GraphQLError).message } };
    }
  }

  private applyPart(
    number: string,
    change: BulkChange,
    part: Part,
    actor: string,
    mark: EventMark,
  ): Promise<TicketView> {
    switch (part) {
      case 'tags':
        return this.fields.editTags(number, change.addTags ?? [], change.removeTags ?? [], actor, mark);
      case 'status':
        return this.tickets.updateStatus(number, change.status!, null, actor, mark);
      case 'assignee':
        return this.tickets.assign(number, change.assignee, actor, mark);
      case 'priority':
        return this.tickets.changePriority(number, change.priority!, actor, mark);
    }
  }
}
