// Screens chosen by path: /create (the live-chat "Create ticket" dialog),
// /track ("Track your ticket") and /agent (the agents' inbox). Plain links,
// no router library.
import { AgentApp } from './agent/AgentApp';
import { CreateTicketDialog } from './CreateTicketDialog';
import { TrackTicket } from './TrackTicket';

export function App() {
  const path = window.location.pathname;
  const screen = path.startsWith('/agent') ? 'agent' : path.startsWith('/track') ? 'track' : 'create';
  const current = (s: string) => (screen === s ? 'page' : undefined);
  return (
    <>
      <header className="bar">
        <span className="brand">Support</span>
        <nav aria-label="Main">
          <a href="/create" aria-current={current('create')}>
            Create ticket
          </a>
          <a href="/track" aria-current={current('track')}>
            Track your ticket
          </a>
          <a href="/agent" aria-current={current('agent')}>
            Agents
          </a>
        </nav>
      </header>
      <main className={screen === 'agent' ? 'agent' : undefined}>
        {screen === 'agent' ? <AgentApp /> : screen === 'track' ? <TrackTicket /> : <CreateTicketDialog />}
      </main>
    </>
  );
}
