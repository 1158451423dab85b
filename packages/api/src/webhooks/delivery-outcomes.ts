// Every delivery attempt's outcome passes through here: one place for the
// metrics (operations) to count from.
export type DeliveryOutcome = 'delivered' | 'failed_attempt' | 'disabled' | 'refused';

type Listener = (outcome: DeliveryOutcome) => void;
const listeners = new Set<Listener>();

export function onDeliveryOutcome(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function recordOutcome(outcome: DeliveryOutcome): void {
  for (const l of listeners) l(outcome);
}
