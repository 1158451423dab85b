export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __ENGINE__?: { stop(): Promise<void> } }).__ENGINE__?.stop();
}
