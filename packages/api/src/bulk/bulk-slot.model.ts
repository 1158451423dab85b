// A running job's place in its owner's budget (collection `bulk_slots`):
// `_id` is `<owner>:<k>`, k below MAX_RUNNING_PER_TOKEN, so taking one is a
// unique insert and two starts never both get the last place (a count
// followed by an insert would let them). Let go when the job is done; a
// place whose job is done or gone (the process stopped between the two
// writes) is taken back by the next start that finds every place taken.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

@modelOptions({
  schemaOptions: { collection: 'bulk_slots', versionKey: false },
  options: { customName: 'BulkSlot' },
})
export class BulkSlotRecord {
  /** `<owner>:<k>`. */
  @prop({ type: String, required: true })
  public _id!: string;

  /** The job holding it. */
  @prop({ type: String, required: true })
  public job!: string;
}

export const BulkSlotModel = getModelForClass(BulkSlotRecord);
