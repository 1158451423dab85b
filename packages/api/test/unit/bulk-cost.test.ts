// A bulk job over a list spends the agents' budget by its size; aliases each pay.
import { costOf, BUDGETS } from '../../src/http/rate-limit';
import type { OperationPlan } from '../../src/http/operation-plan';

const plan = (...rootFields: OperationPlan['rootFields']) => ({ rootFields }) as OperationPlan;
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
