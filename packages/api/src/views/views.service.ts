// Saved views: each agent's own and the shared ones, checked as the
// listing and search check them, counted on demand.
import { Types } from 'mongoose';
import { badUserInput, forbidden, notFound, type FieldProblem } from '../errors/api-errors';
import { filterQuery, type ListingService } from '../listing/listing.service';
import { TicketOrder, type TicketFilter } from '../listing/ticket-filter.input';
import { MAX_QUERY_LENGTH } from '../search/analyzer';
import type { SearchService } from '../search/search.service';
import type { Principal } from '../tokens/scopes';
import { SavedViewModel, type SavedView } from './saved-view.model';

export const MAX_VIEWS = 100;
/** The filter's times, stored as ISO strings in its JSON. */
const DATE_KEYS = new Set(['createdAfter', 'createdBefore', 'updatedAfter']);

export interface ViewInput {
  id?: string | null;
  name: string;
  query?: string | null;
  filter?: TicketFilter | null;
  order?: TicketOrder | null;
  shared?: boolean | null;
}

type StoredView = Omit<SavedView, 'id' | 'shared'>;

/** A view's stored filter, as the listing and search take it. */
export const viewFilter = (view: Pick<SavedView, 'filter'>): TicketFilter | null =>
  view.filter
    ? (JSON.parse(view.filter, (k, v) => (DATE_KEYS.has(k) && typeof v === 'string' ? new Date(v) : v)) as TicketFilter)
    : null;
const toView = (d: StoredView): SavedView => ({ ...d, id: String(d._id), shared: d.owner === null });

export class ViewsService {
  constructor(
    private readonly search: SearchService,
    private readonly listing: ListingService,
  ) {}

  /** The caller's own views and the shared ones, by name. */
  async list(caller: Principal): Promise<SavedView[]> {
    const docs = await SavedViewModel.collection
      .find<StoredView>({ owner: { $in: [caller.tokenId, null] } })
      .sort({ name: 1 })
      .toArray();
    return docs.map(toView);
  }

  async save(input: ViewInput, caller: Principal): Promise<SavedView> {
    const problems: FieldProblem[] = [];
    const name = (input.name ?? '').trim();
    if (!name || name.length > 100) problems.push({ field: 'input.name', message: 'must be 1-100 characters' });
    const query = input.query?.trim() || null;
    if (query && query.length > MAX_QUERY_LENGTH)
      problems.push({ field: 'input.query', message: `must be at most ${MAX_QUERY_LENGTH} characters` });
    const built = filterQuery(input.filter);
    if ('problems' in built) problems.push(...built.problems.map((p) => ({ ...p, field: `input.${p.field}` })));
    if (input.id && !Types.ObjectId.isValid(input.id))
      problems.push({ field: 'input.id', message: 'is not a view id' });
    if (problems.length) throw badUserInput(problems);
    const shared = input.shared ?? false;
    if (shared && !caller.scopes.has('settings:manage')) throw forbidden('settings:manage');
    const owner = shared ? null : caller.tokenId;
    const doc = {
      name,
      owner,
      query,
      filter: input.filter ? JSON.stringify(input.filter) : null,
      order: input.order ?? TicketOrder.CREATED_DESC,
      updatedAt: new Date(),
    };
    if (input.id) {
      const _id = new Types.ObjectId(input.id);
      // Only the view's keeper changes it: its owner, or settings:manage for a shared one.
      const mine = await SavedViewModel.collection.updateOne(
        { _id, owner: { $in: [caller.tokenId, ...(caller.scopes.has('settings:manage') ? [null] : [])] } },
        { $set: doc },
      );
      if (!mine.matchedCount) throw notFound(input.id, 'No view with this id that you keep.');
      return toView({ _id, ...doc } as StoredView);
    }
    if ((await SavedViewModel.collection.countDocuments({ owner })) >= MAX_VIEWS)
      throw badUserInput([{ field: 'input', message: `at most ${MAX_VIEWS} views each (and ${MAX_VIEWS} shared)` }]);
    const _id = new Types.ObjectId();
    await SavedViewModel.collection.insertOne({ _id, ...doc, createdAt: new Date() } as never);
    return toView({ _id, ...doc } as StoredView);
  }

  async remove(id: string, caller: Principal): Promise<boolean> {
    if (!Types.ObjectId.isValid(id)) return false;
    const res = await SavedViewModel.collection.deleteOne({
      _id: new Types.ObjectId(id),
      owner: { $in: [caller.tokenId, ...(caller.scopes.has('settings:manage') ? [null] : [])] },
    });
    return res.deletedCount === 1;
  }

  /** How many tickets the view holds now. */
  async count(view: SavedView): Promise<number> {
    const filter = viewFilter(view);
    if (view.query) return this.search.count(view.query, filter, true);
    const built = filterQuery(filter);
    return 'problems' in built ? 0 : this.listing.count(built.query);
  }
}
