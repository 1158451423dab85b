// Who may tie a ticket to a chat. The chat backend knows its chats; it hands
// the customer's page a chatSignature: the lower-case hex HMAC-SHA256 of the
// chat id under CHAT_SIGNING_SECRET. Without it (or a token with
// tickets:write) anyone could take a chat's ticket before the customer does.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** What the chat backend computes (docs/customers-and-chats.md, "Tickets from a chat"). */
export function signChatId(chatId: string, secret: string): string {
  return createHmac('sha256', secret).update(chatId).digest('hex');
}

/** True when `signature` is the chat id's signature; compared in constant time. */
export function chatSignatureMatches(
  chatId: string,
  signature: string | null | undefined,
  secret: string | undefined,
): boolean {
  if (!secret || typeof signature !== 'string') return false;
  const expected = Buffer.from(signChatId(chatId, secret));
  const given = Buffer.from(signature);
  // The length is no secret (always 64); the contents are compared without early exit.
  return given.length === expected.length && timingSafeEqual(given, expected);
}
