// Tags and custom fields: definitions (settings:manage), and a ticket's
// tags and values, changed in one compare-and-set with one TAGGED event.
import { badUserInput, notFound, serviceUnavailable, type FieldProblem } from '../errors/api-errors';
import { TimelineEventKind } from '../tickets/ticket.enums';
import type { StoredTicket, TicketView } from '../tickets/ticket.mappers';
import type { Actor, EventMark, TicketService } from '../tickets/ticket.service';
import { checkTicketNumber, valid } from '../tickets/ticket.validation';
import { CustomFieldModel, type CustomFieldDefinition } from './custom-field.model';
import {
  checkDefinition,
  checkTags,
  checkValue,
  describeChange,
  MAX_FIELDS,
  MAX_TAGS,
  type DefinitionInput,
  type StoredValue,
} from './field-values';

/** A ticket as stored, with what this capability adds to it. */
export type TicketWithFields = StoredTicket & { tags?: string[]; fields?: Record<string, StoredValue> };

/** Writes racing on one ticket: re-read and re-plan this often before answering SERVICE_UNAVAILABLE. */
const MAX_ATTEMPTS = 20;

const sameValue = (a: StoredValue | undefined, b: StoredValue | null): boolean =>
  a === undefined ? b === null : a === b;

export class FieldsService {
  constructor(
    private readonly tickets: TicketService,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  async definitions(): Promise<CustomFieldDefinition[]> {
    const docs = await CustomFieldModel.collection.find<CustomFieldDefinition>({}).sort({ _id: 1 }).toArray();
    return docs.map((d) => ({ ...d, key: d._id }));
  }

  /** Define a field, or redefine it (same key): values already stored stay until a ticket's next change re-checks them. */
  async define(raw: DefinitionInput): Promise<CustomFieldDefinition> {
    const def = valid(checkDefinition(raw));
    const exists = await CustomFieldModel.collection.findOne({ _id: def.key as never });
    if (!exists && (await CustomFieldModel.collection.countDocuments({})) >= MAX_FIELDS)
      throw badUserInput([{ field: 'input.key', message: `at most ${MAX_FIELDS} custom fields` }]);
    const { key, ...rest } = def;
    await CustomFieldModel.collection.updateOne(
      { _id: key as never },
      {
        $set: { ...rest, updatedAt: new Date() },
        ...(!def.choices && { $unset: { choices: '' } }),
        $setOnInsert: { createdAt: new Date() },
      },
      { upsert: true },
    );
    return { _id: key, key, label: def.label, type: def.type, ...(def.choices && { choices: def.choices }) };
  }

  /**
   * Replace the tags (when given) and set or clear the values given (others
   * stay). Nothing changed: no write, no event. Otherwise one TAGGED event.
   */
  async update(
    ticketNumber: string,
    tags: readonly string[] | null | undefined,
    fields: readonly { key: string; value?: string | null }[] | null | undefined,
    actor: Actor,
  ): Promise<TicketView> {
    const problems: FieldProblem[] = [];
    const number = checkTicketNumber(ticketNumber);
    if (!number.ok) problems.push(...number.problems);
    let newTags: string[] | undefined;
    if (tags !== null && tags !== undefined) {
      const t = checkTags(tags);
      if (t.ok) newTags = t.value;
      else problems.push(...t.problems);
    }
    const values: { key: string; value: StoredValue | null }[] = [];
    if (fields && fields.length > MAX_FIELDS)
      problems.push({ field: 'fields', message: `at most ${MAX_FIELDS} values at once` });
    else if (fields?.length) {
      const defs = new Map((await this.definitions()).map((d) => [d.key, d]));
      const seen = new Set<string>();
      for (const f of fields) {
        const def = defs.get(f.key);
        if (!def)
          problems.push({
            field: `fields.${f.key}`,
            message: 'is not a defined custom field (customFields lists them)',
          });
        else if (seen.has(f.key)) problems.push({ field: `fields.${f.key}`, message: 'is given twice' });
        else {
          const v = checkValue(def, f.value);
          if (v.ok) values.push({ key: f.key, value: v.value });
          else problems.push(...v.problems);
        }
        seen.add(f.key);
      }
    }
    if (problems.length || !number.ok) throw badUserInput(problems);
    return this.apply(number.value, () => newTags, values, actor);
  }

  /**
   * Add and remove tags (checked and spelt by checkTags; bulk/), the
   * ticket's others kept: one TAGGED event when something changed. More
   * than MAX_TAGS after the change: BAD_USER_INPUT on `tags`.
   */
  async editTags(
    ticketNumber: string,
    add: readonly string[],
    remove: readonly string[],
    actor: Actor,
    mark?: EventMark,
  ): Promise<TicketView> {
    const number = valid(checkTicketNumber(ticketNumber));
    return this.apply(
      number,
      (before) => {
        const after = [...before.filter((t) => !remove.includes(t)), ...add.filter((t) => !before.includes(t))];
        if (after.length > MAX_TAGS)
          throw badUserInput([
            { field: 'tags', message: `at most ${MAX_TAGS} tags per ticket (would be ${after.length})` },
          ]);
        return after;
      },
      [],
      actor,
      mark,
    );
  }

  /** The ticket's new tags (undefined: unchanged) and values, in one compare-and-set, re-planned when it lost. */
  private async apply(
    number: string,
    tagsOf: (before: string[]) => string[] | undefined,
    values: { key: string; value: StoredValue | null }[],
    actor: Actor,
    mark?: EventMark,
  ): Promise<TicketView> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const ticket = (await this.tickets.byNumberOrNull(number)) as TicketWithFields | null;
      if (!ticket) throw notFound(number);
      const beforeTags = ticket.tags ?? [];
      const newTags = tagsOf(beforeTags);
      const tagsChanged =
        newTags !== undefined && (newTags.length !== beforeTags.length || newTags.some((t, i) => t !== beforeTags[i]));
      const changed = values.filter((v) => !sameValue(ticket.fields?.[v.key], v.value));
      if (!tagsChanged && !changed.length) return ticket as TicketView;
      const set: Record<string, unknown> = {};
      if (tagsChanged) set.tags = newTags;
      const nextFields: Record<string, StoredValue> = { ...(ticket.fields ?? {}) };
      for (const c of changed) {
        if (c.value === null) delete nextFields[c.key];
        else nextFields[c.key] = c.value;
      }
      if (changed.length) set.fields = nextFields;
      const message = describeChange(beforeTags, tagsChanged ? newTags! : beforeTags, changed);
      const after = await this.tickets.applyIfUnchanged(
        ticket,
        set,
        [{ kind: TimelineEventKind.TAGGED, message, ...(mark && { bulkJob: mark.bulkJob }) }],
        actor,
        mark?.fence,
      );
      if (after) return after;
    }
    this.log.warn({ ticketNumber: number }, 'tags and fields: the ticket kept changing under us; giving up');
    throw serviceUnavailable(1);
  }
}
