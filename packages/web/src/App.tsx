// Two screens, chosen by path: /create (the live-chat "Create ticket"
// dialog) and /track ("Track your ticket"). Plain links, no router library.
import { CreateTicketDialog } from './CreateTicketDialog';
import { TrackTicket } from './TrackTicket';

export function App() {
  const path = window.location.pathname;
  const onTrack = path.startsWith('/track');
  return (
    <>
      <header className="bar">
        <span className="brand">Support</span>
        <nav aria-label="Main">
          <a href="/create" aria-current={onTrack ? undefined : 'page'}>Create ticket</a>
          <a href="/track" aria-current={onTrack ? 'page' : undefined}>Track your ticket</a>
        </nav>
      </header>
      <main>{onTrack ? <TrackTicket /> : <CreateTicketDialog />}</main>
    </>
  );
}
