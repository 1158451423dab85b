// The conversation capability's models, handed to the composition root (src/models.ts).
import type { IndexedModel } from '../db/connection';
import { MailLeaseModel } from './mail-lease.model';
import { InboundMailModel } from './inbound-mail.model';
import { OutboundMailModel } from './outbound-mail.model';
import { MailCapModel } from './mail-cap.model';

export const conversationModels: readonly IndexedModel[] = [
  MailLeaseModel,
  OutboundMailModel,
  InboundMailModel,
  MailCapModel,
];
