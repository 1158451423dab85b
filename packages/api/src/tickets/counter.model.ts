// Collection `counters`: { _id: "ticketNumber", seq: <last number issued> }.
import { getModelForClass, modelOptions, prop } from '@typegoose/typegoose';

@modelOptions({ schemaOptions: { collection: 'counters', versionKey: false }, options: { customName: 'Counter' } })
export class Counter {
  @prop({ type: String, required: true })
  public _id!: string;

  @prop({ type: Number, required: true, default: 0 })
  public seq!: number;
}

export const CounterModel = getModelForClass(Counter);
