// A bulk job over a list spends the agents' budget by its size; aliases each pay.
import { costOf as costOfWith, BUDGETS } from '../../src/http/rate-limit';
import type { OperationPlan } from '../../src/http/operation-plan';
import { ticketLookupKey } from '../../src/tickets/ticket-number';

const plan = (...rootFields: OperationPlan['rootFields']) => ({ rootFields }) as OperationPlan;
const costOf = (p: OperationPlan) => costOfWith(p, ticketLookupKey);
const numbers = (n: number) => Array.from({ length: n }, (_, i) => `TKT-${i + 1}`);

it('charges a bulk job 1 agent point per 10 tickets, a view 1, never more than the budget', () => {
  expect(costOf(plan({ name: 'startBulkChange', args: { ticketNumbers: numbers(95) } })).budgets.get('agent')).toBe(10);
  expect(costOf(plan({ name: 'startBulkChange', args: { viewId: 'v' } })).budgets.get('agent')).toBe(1);
  expect(
    costOf(
      plan(
        { name: 'startBulkChange', args: { ticketNumbers: numbers(5000) } },
        { name: 'startBulkChange', args: { ticketNumbers: numbers(5000) } },
      ),
    ).budgets.get('agent'),
  ).toBe(1000);
  expect(costOf(plan({ name: 'startBulkChange', args: { ticketNumbers: numbers(99999) } })).budgets.get('agent')).toBe(
    BUDGETS.agent.points,
  );
  expect(costOf(plan({ name: 'bulkJob', args: { id: 'x' } })).budgets.get('other')).toBe(1);
});

it('counts a public lookup under its normalised number, and nothing for a malformed one', () => {
  const looked = costOf(
    plan(
      { name: 'trackTicket', args: { ticketNumber: ' tkt-00042 ' } },
      { name: 'ticketTimeline', args: { ticketNumber: 'not a number' } },
      { name: 'ticket', args: { ticketNumber: 'TKT-00043' } },
    ),
  );
  expect(looked.lookedUp).toEqual(['TKT-00042']);
  expect(looked.budgets.get('lookup')).toBe(2);
});
