// Keeping the counter ahead of the tickets. Separate from counter.ts,
// which the Ticket model's hook imports, so the model is not imported back.
import { raiseSequenceTo } from './counter';
import { TicketModel } from './ticket.model';

/** The highest `sequence` in use (one indexed lookup), or 0. */
export async function highestSequence(): Promise<number> {
  const top = await TicketModel.findOne({ sequence: { $gt: 0 } }, { sequence: 1 })
    .sort({ sequence: -1 })
    .lean<{ sequence?: number }>();
  return top?.sequence ?? 0;
}

/** Raise the counter to at least the highest number in use and `atLeast`; returns the floor. */
export async function moveCounterPastTickets(atLeast = 0): Promise<number> {
  const floor = Math.max(atLeast, await highestSequence());
  if (floor > 0) await raiseSequenceTo(floor);
  return floor;
}
