// Whether a webhook's owner token may still have events sent for it: not
// revoked and holding tickets:read (what creating it needed). Asked by the
// dispatcher before each turn; answers are cached a few seconds per process,
// so a revocation stops deliveries within OWNER_CHECK_MS (plus one attempt).
import { Types } from 'mongoose';
import { ApiTokenModel } from '../tokens/api-token.model';
import { ENV_AGENT } from '../tokens/scopes';

export const OWNER_CHECK_MS = 3_000;
export const OWNER_REVOKED = 'not delivering: the token that owns this webhook was revoked or lost tickets:read';

export class OwnerTokens {
  private readonly cache = new Map<string, { ok: boolean; at: number }>();

  /** True when events may be sent for a webhook owned by this token id (none: made before owners, the operators'). */
  async allowed(ownerId: string | null | undefined): Promise<boolean> {
    if (!ownerId) return true;
    if (ownerId === ENV_AGENT.tokenId) return ENV_AGENT.scopes.has('tickets:read');
    const now = performance.now();
    const hit = this.cache.get(ownerId);
    if (hit && now - hit.at < OWNER_CHECK_MS) return hit.ok;
    const doc = Types.ObjectId.isValid(ownerId)
      ? await ApiTokenModel.collection.findOne({ _id: new Types.ObjectId(ownerId) })
      : null;
    const ok = !!doc && !doc.revokedAt && (doc.scopes as string[]).includes('tickets:read');
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(ownerId, { ok, at: now });
    return ok;
  }
}
