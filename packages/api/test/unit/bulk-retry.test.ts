// What becomes of a ticket whose change meets an error: its own refusal is
// its failure; contention or a busy service (SERVICE_UNAVAILABLE) and the
// engine failing are thrown, so the worker tries the ticket again.
import { BulkService } from '../../src/bulk/bulk.service';
import type { BulkJobRecord } from '../../src/bulk/bulk-job.model';
import { BulkJobState } from '../../src/bulk/bulk-job.model';
import { badUserInput, serviceUnavailable } from '../../src/errors/api-errors';
import { createLogger } from '../../src/logging/logger';
import type { TicketService } from '../../src/tickets/ticket.service';

const job: BulkJobRecord = {
  _id: 'job',
  owner: 'agent',
  actor: 'agent',
  change: { assignee: 'kim' },
  numbers: ['TKT-00001'],
  next: 0,
  changed: 0,
  failed: 0,
  state: BulkJobState.RUNNING,
  createdAt: new Date(),
  beat: 0,
};

const serviceThrowing = (err: unknown) =>
  new BulkService(
    {
      byNumberOrNull: async () => ({ ticketNumber: 'TKT-00001', status: 'OPEN', priority: 'NORMAL', assignee: null }),
      assign: async () => {
        throw err;
      },
    } as unknown as TicketService,
    createLogger('silent'),
    {} as never,
  );

it('retries contention and a busy service, fails the ticket on its own refusal', async () => {
  await expect(serviceThrowing(serviceUnavailable(1, 'contention')).applyTicket(job, 0, false)).rejects.toMatchObject({
    extensions: { code: 'SERVICE_UNAVAILABLE' },
  });
  await expect(serviceThrowing(new Error('engine gone')).applyTicket(job, 0, false)).rejects.toThrow('engine gone');
  await expect(
    serviceThrowing(badUserInput([{ field: 'assignee', message: 'no' }])).applyTicket(job, 0, false),
  ).resolves.toMatchObject({ failure: { code: 'BAD_USER_INPUT' } });
});
