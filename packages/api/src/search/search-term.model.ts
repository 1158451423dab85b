// The search index, kept in MongoDB beside the tickets: one small document
// per (text, word) - a posting - with the ticket, the text's weight and
// whether the text is internal. The index { term, ticketId } answers a word
// by equality and the last word by an anchored pattern (/^pref/, one range
// of index keys) on every MongoDB, newest tickets first, and holds every
// field a query reads, so MongoDB answers it from the index alone.
import { getModelForClass, index, modelOptions, prop } from '@typegoose/typegoose';
import { Types } from 'mongoose';

/** Which text a posting comes from; its weight ranks matches (field-weights.ts). */
export type SearchField = 'subject' | 'name' | 'description' | 'resolution' | 'message' | 'note';

@index({ term: 1, ticketId: -1, weight: 1, internal: 1 })
// Erasure: a ticket's postings, and those placed before its ERASED event (the same filter as its events).
@index({ ticketId: 1, sequence: 1 })
@modelOptions({
  schemaOptions: { collection: 'search_terms', versionKey: false },
  options: { customName: 'SearchTerm' },
})
export class SearchTerm {
  /** `<text id>|<term>`, the text id being `<field>:<ticketId>` or `e:<eventId>`: writing one twice is harmless. */
  @prop({ type: String })
  public _id!: string;

  /** A folded word; `=<the subject's words>` for the exact-subject bonus. */
  @prop({ type: String, required: true })
  public term!: string;

  @prop({ type: Types.ObjectId, required: true })
  public ticketId!: Types.ObjectId;

  @prop({ type: Number, required: true })
  public weight!: number;

  /** Only callers who see INTERNAL events find it. */
  @prop({ type: Boolean })
  public internal?: boolean;

  /** The event's place in its ticket (erasure of late texts uses the events' own filter on it). */
  @prop({ type: Number })
  public sequence?: number;
}

export const SearchTermModel = getModelForClass(SearchTerm);
