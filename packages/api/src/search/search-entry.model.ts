// The search index, kept in MongoDB beside the tickets: one entry per text
// (a ticket's subject, description or customer name; one event's message),
// holding its folded terms in order. The multikey index on `terms` answers
// a word by equality and a prefix by an anchored pattern (/^pref/, one range of keys) on
// every MongoDB, and the ticket id after it gives the newest tickets first.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

/** Which text an entry holds; its weight ranks matches (field-weights.ts). */
export type SearchField = 'subject' | 'name' | 'description' | 'resolution' | 'message' | 'note';

@index({ terms: 1, ticketId: -1 })
// Erasure: a ticket's entries, and those placed before its ERASED event (the same filter as its events).
@index({ ticketId: 1, ticketSeq: 1 })
@modelOptions({ schemaOptions: { collection: 'search_entries', versionKey: false }, options: { customName: 'SearchEntry' } })
export class SearchEntry {
  /** `<field>:<ticketId>` for a ticket's own texts, `e:<eventId>` for an event's: writing one twice is harmless. */
  @prop({ type: String })
  public _id!: string;

  @prop({ type: Types.ObjectId, required: true })
  public ticketId!: Types.ObjectId;

  @prop({ type: String, required: true })
  public field!: SearchField;

  @prop({ type: Number, required: true })
  public weight!: number;

  /** Only callers who see INTERNAL events find it. */
  @prop({ type: Boolean })
  public internal?: boolean;

  /** The event's place in its ticket (erasure of late texts uses the events' own filter). */
  @prop({ type: Number })
  public ticketSeq?: number;

  @prop({ type: () => [String] })
  public terms!: string[];

  /** Subject entries: the subject's terms joined by spaces, for the exact-subject bonus. */
  @prop({ type: String })
  public exact?: string;
}

export const SearchEntryModel = getModelForClass(SearchEntry);
export type StoredEntry = SearchEntry;
