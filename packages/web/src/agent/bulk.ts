// Bulk changes as the inbox uses them: the SDK's startBulkChange and
// bulkJob (trusted documents, sent by id), and their types.
import type { BulkChangeInput, BulkJob, TicketClient } from '@tickets/sdk';

/** BulkChangeInput: only what is given changes. */
export type BulkChange = BulkChangeInput;
export type { BulkJob };

/** What the bulk bar needs of a client. */
export type BulkApi = Pick<TicketClient, 'startBulkChange' | 'bulkJob'>;
