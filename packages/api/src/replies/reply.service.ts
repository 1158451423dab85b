// Saved replies: kept by settings:manage, read by every agent.
import { Types } from 'mongoose';
import { badUserInput, notFound, type FieldProblem } from '../errors/api-errors';
import { LIMITS } from '../tickets/ticket.validation';
import { SavedReplyModel, type SavedReply } from './saved-reply.model';

export const MAX_REPLIES = 500;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

type Stored = Omit<SavedReply, 'id'>;
const toReply = (d: Stored): SavedReply => ({ ...d, id: String(d._id) });

export class RepliesService {
  async list(): Promise<SavedReply[]> {
    return (await SavedReplyModel.collection.find<Stored>({}).sort({ name: 1 }).limit(MAX_REPLIES).toArray()).map(
      toReply,
    );
  }

  async save(input: { id?: string | null; name: string; body: string }): Promise<SavedReply> {
    const problems: FieldProblem[] = [];
    const name = (input.name ?? '').trim();
    const body = (input.body ?? '').trim();
    if (!name || name.length > 100 || CONTROL.test(name))
      problems.push({ field: 'input.name', message: 'must be 1-100 characters without control characters' });
    if (!body || body.length > LIMITS.message || CONTROL.test(body))
      problems.push({
        field: 'input.body',
        message: `must be 1-${LIMITS.message} characters without control characters`,
      });
    if (input.id && !Types.ObjectId.isValid(input.id))
      problems.push({ field: 'input.id', message: 'is not a saved reply id' });
    if (problems.length) throw badUserInput(problems);
    const now = new Date();
    if (input.id) {
      const _id = new Types.ObjectId(input.id);
      const res = await SavedReplyModel.collection.updateOne({ _id }, { $set: { name, body, updatedAt: now } });
      if (!res.matchedCount) throw notFound(input.id, 'No saved reply with this id.');
      return { _id, id: input.id, name, body };
    }
    if ((await SavedReplyModel.collection.countDocuments({})) >= MAX_REPLIES)
      throw badUserInput([{ field: 'input', message: `at most ${MAX_REPLIES} saved replies` }]);
    const _id = new Types.ObjectId();
    await SavedReplyModel.collection.insertOne({ _id, name, body, createdAt: now, updatedAt: now } as never);
    return { _id, id: String(_id), name, body };
  }

  async remove(id: string): Promise<boolean> {
    if (!Types.ObjectId.isValid(id)) return false;
    return (await SavedReplyModel.collection.deleteOne({ _id: new Types.ObjectId(id) })).deletedCount === 1;
  }
}
