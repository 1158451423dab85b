// The agent's side, under /agent: sign-in, the inbox, a ticket, and the
// live-chat "Create ticket" dialog for a chat the agent is in.
import { useMemo, useState } from 'react';
import { CreateTicketDialog } from '../CreateTicketDialog';
import { AgentTicket } from './AgentTicket';
import { Inbox } from './Inbox';
import { SignIn } from './SignIn';
import { agentClient, loadSession, signOut, type Session } from './session';

export function AgentApp() {
  const [session, setSession] = useState<Session | null>(loadSession);
  const client = useMemo(() => (session ? agentClient(session) : null), [session]);
  if (!session || !client) return <SignIn onSignedIn={setSession} />;

  const path = window.location.pathname;
  const number = new URLSearchParams(window.location.search).get('number');
  let screen;
  if (path.startsWith('/agent/ticket') && number)
    screen = <AgentTicket client={client} me={session.me} ticketNumber={number} />;
  else if (path.startsWith('/agent/create'))
    screen = (
      <CreateTicketDialog
        client={client}
        confirmChat
        trackHref={(n) => `/agent/ticket?number=${encodeURIComponent(n)}`}
      />
    );
  else screen = <Inbox client={client} me={session.me} bulk={client} />;
  return (
    <>
      <p className="signed-in">
        Signed in as <strong data-testid="me">{session.me}</strong>{' '}
        <button
          type="button"
          className="link"
          onClick={() => {
            signOut();
            void client.close();
            setSession(null);
          }}
        >
          Sign out
        </button>
      </p>
      {screen}
    </>
  );
}
