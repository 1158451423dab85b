import type { AgentTimelineEvent, TimelineEvent } from '@tickets/sdk';
import { sizeLabel } from './AttachmentPicker';

const LABEL: Record<TimelineEvent['kind'], string> = {
  CREATED: 'Ticket created',
  FIRST_RESPONSE: 'First response',
  AGENT_RESPONSE: 'Response',
  IN_PROGRESS: 'Being worked on',
  WAITING_ON_CUSTOMER: 'Waiting on you',
  RESOLVED: 'Resolved',
  CLOSED: 'Closed',
  REOPENED: 'Reopened',
  RESOLUTION_NOTE: 'Resolution notes',
  RENUMBERED: 'Ticket renumbered',
  INTERNAL_NOTE: 'Internal note',
  ASSIGNED: 'Assignment',
  ERASED: 'Personal data erased',
  CUSTOMER_REPLY: 'Customer reply',
  SLA_BREACHED: 'Service level missed',
  TAGGED: 'Tags and fields changed',
  PRIORITY_CHANGED: 'Priority changed',
};

const CHANNEL: Record<string, string> = { WEB: 'from the tracking page', EMAIL: 'by email' };

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** In the visitor's locale and time zone. */
export const formatDate = (iso: string) => dateFormat.format(new Date(iso));

/** `agent`: the agent's view, with who did what and the INTERNAL events marked as such. */
export function Timeline({
  events,
  agent = false,
}: {
  events: (TimelineEvent & Partial<Pick<AgentTimelineEvent, 'email' | 'channel'>>)[];
  agent?: boolean;
}) {
  return (
    <ol className="timeline">
      {events.map((e) => (
        <li
          key={e.id}
          className={`event event-${e.kind.toLowerCase()}${e.visibility === 'INTERNAL' ? ' event-internal' : ''}`}
          data-kind={e.kind}
          data-visibility={e.visibility}
        >
          <span className="event-title">
            {LABEL[e.kind]}
            {agent && e.visibility === 'INTERNAL' && (
              <span className="badge" title="Only agents see this; the customer never does.">
                Internal
              </span>
            )}
          </span>
          <time dateTime={e.at}>{formatDate(e.at)}</time>
          {agent && e.actor && <span className="event-actor"> · {e.actor}</span>}
          {agent && e.channel && (
            <span className="event-channel" data-testid="channel" data-channel={e.channel}>
              {' '}
              · {CHANNEL[e.channel] ?? e.channel}
            </span>
          )}
          {agent && e.email && (
            <span
              className={`event-email email-${e.email.status.toLowerCase()}`}
              data-testid="email-status"
              data-status={e.email.status}
              title={e.email.lastError ?? undefined}
            >
              {' '}
              · email{' '}
              {e.email.status === 'SENT'
                ? 'sent'
                : e.email.status === 'FAILED'
                  ? `not delivered${e.email.lastError ? ` (${e.email.lastError})` : ''}`
                  : e.email.attempts
                    ? `retrying (${e.email.attempts} attempts)`
                    : 'queued'}
            </span>
          )}
          {e.message && <p className="event-message">{e.message}</p>}
          {e.attachments.length > 0 && (
            <ul className="attachments">
              {e.attachments.map((a) => (
                <li key={a.id}>
                  {/* A signed link that expires: reading the timeline again signs fresh ones. */}
                  <a href={a.url} download={a.filename} rel="noopener">
                    {a.filename}
                  </a>{' '}
                  <span className="muted">{sizeLabel(a.size)}</span>
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ol>
  );
}
