// An in-process publish/subscribe bus, the PubSub type-graphql requires
// for @Subscription. Our subscriptions bring their own `subscribe` (fed by
// FeedHub, which already spans processes through the change feed), so this
// carries only what code in this process publishes to a topic.
import type { PubSub } from 'type-graphql';
import { slowConsumer } from '../errors/api-errors';
import { AsyncQueue } from './async-queue';
import { DEFAULT_QUEUE_LIMIT } from './feed-hub';

export function createLocalBus(): PubSub {
  const topics = new Map<string, Set<AsyncQueue<unknown>>>();
  return {
    publish(topic, ...args) {
      for (const q of topics.get(topic) ?? []) q.push(args[0]);
    },
    subscribe(topic) {
      const set = topics.get(topic) ?? new Set();
      topics.set(topic, set);
      // Bounded like every subscription's queue (feed-hub.ts).
      const q: AsyncQueue<unknown> = new AsyncQueue(
        () => set.delete(q),
        DEFAULT_QUEUE_LIMIT,
        () => slowConsumer(DEFAULT_QUEUE_LIMIT),
      );
      set.add(q);
      return q;
    },
  };
}
