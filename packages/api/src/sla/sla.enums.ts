// The three promises a policy can make.
import { registerEnumType } from 'type-graphql';

export enum SlaMetric {
  FIRST_RESPONSE = 'FIRST_RESPONSE',
  NEXT_RESPONSE = 'NEXT_RESPONSE',
  RESOLUTION = 'RESOLUTION',
}

export const SLA_METRICS: readonly SlaMetric[] = [
  SlaMetric.FIRST_RESPONSE,
  SlaMetric.NEXT_RESPONSE,
  SlaMetric.RESOLUTION,
];

registerEnumType(SlaMetric, {
  name: 'SlaMetric',
  description: 'A target of a service-level policy.',
  valuesConfig: {
    FIRST_RESPONSE: { description: 'The first public agent answer, counted from creation.' },
    NEXT_RESPONSE: { description: 'A public agent answer after a customer reply, counted from the reply.' },
    RESOLUTION: { description: 'Resolution, counted from creation.' },
  },
});
