// A webhook written straight into its collection, as a sender finds it
// (nobody holding it, no failures, fence and epoch 0): for tests of the
// lease and record rules that play the senders themselves.
import mongoose from 'mongoose';
import { webhooksCollection } from '../../src/webhooks/durable';

/** A new enabled webhook of `owner` at the feed's start; its id. */
export async function newWebhook(owner: string): Promise<mongoose.Types.ObjectId> {
  const _id = new mongoose.Types.ObjectId();
  await webhooksCollection().insertOne({
    _id,
    url: 'http://127.0.0.1:9/hook',
    kinds: [],
    enabled: true,
    createdAt: new Date(),
    owner,
    lastError: null,
    secret: 'whsec_x',
    cursor: 0,
    failures: 0,
    retryDelayMs: 0,
    leaseOwner: null,
    fence: 0,
    stamp: 'fresh',
    epoch: 0,
  });
  return _id;
}

/** The webhook as stored now. */
export const storedWebhook = async (id: mongoose.Types.ObjectId) => (await webhooksCollection().findOne({ _id: id }))!;
