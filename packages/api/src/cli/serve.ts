// `npm start`: pick the database, connect, serve, and stop cleanly.
// `npm run demo` (or DEMO_DATA=1): the same, with a few demo tickets.
// First: tracing must be set up before http, mongodb and graphql load.
import { tracingStarted } from '../telemetry/start-tracing';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, loadConfig, startupWarnings } from '../config/config';
import { connectDatabase, disconnectDatabase } from '../db/connection';
import { prepareNumbering } from '../doctor/startup-guard';
import { startEngine, type Engine } from '../db/engine';
import { compose } from '../compose';
import { createApi } from '../http/app';
import { createLogger } from '../logging/logger';
import { LogFormatError, logFormat, prettyDestination } from '../logging/log-format';
import { forgetRunningEngine, recordRunningEngine } from '../db/running-engine';
import { webClientBuilt } from '../http/web-client';
import { localAgent } from './local-agent';
import { MODELS } from '../capabilities';
import { TicketService } from '../tickets/ticket.service';
import { TicketStore } from '../tickets/ticket.store';
import { stopTracing } from '../telemetry/tracing';
import { demoChatLink, seedDemo } from './demo-data';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Set once an engine of our own runs: a start that fails after that stops it (a mongod cleanly) and forgets it. */
let stopOwnEngine: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  let config;
  let format;
  try {
    config = loadConfig();
    format = logFormat(process.env, Boolean(process.stdout.isTTY));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof LogFormatError) {
      process.stderr.write(`configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const demo = process.argv.includes('--demo') || process.env.DEMO_DATA === '1';
  // The demo prints a signed chat link; without a configured key it makes
  // one up for this run, used for the link and printed nowhere.
  if (demo && !config.chatSigningSecret) config = { ...config, chatSigningSecret: randomBytes(32).toString('hex') };
  // Nor a mail server: its mail is written as .eml files under DATA_DIR (docs/email.md, "The demo's outbox").
  const outbox = demo && !config.email.smtpUrl && !config.email.outboxDir ? join(config.dataDir, 'outbox') : null;
  if (outbox)
    config = {
      ...config,
      email: {
        ...config.email,
        outboxDir: outbox,
        from: config.email.from ?? 'Demo Support <support@demo.invalid>',
        publicWebUrl: config.email.publicWebUrl ?? (config.port ? `http://localhost:${config.port}` : undefined),
      },
    };
  // Nor agents: outside production one of its own signs in, its token printed (cli/local-agent.ts).
  const ownAgent = !config.production && !config.agentTokens.length ? localAgent(config.dataDir) : null;
  if (ownAgent) config = { ...config, agentTokens: [ownAgent] };
  const log = createLogger(
    config.logLevel,
    format === 'pretty' ? prettyDestination(Boolean(process.stdout.isTTY)) : undefined,
  );
  for (const warning of startupWarnings(config)) log.warn(warning);
  if (!config.agentTokens.length)
    log.warn('AGENT_TOKENS is empty: agent operations will always answer UNAUTHENTICATED');

  // A real mongod keeps its data in DATA_DIR (.data) across restarts; --fresh starts empty.
  const fresh = process.argv.includes('--fresh') || config.freshData;
  const engine: Engine = await startEngine({
    uri: config.mongodbUri,
    database: 'tickets',
    dataDir: fresh ? undefined : config.dataDir,
  });
  const dataDir = config.dataDir;
  stopOwnEngine = async () => {
    try {
      await engine.stop();
    } finally {
      if (engine.kind !== 'external') forgetRunningEngine(dataDir);
    }
  };
  for (const note of engine.notes) log.info(note);
  log.info({ engine: engine.name, persistent: engine.persistent }, `database engine: ${engine.name}`);
  if (engine.kind === 'jongodb') {
    log.warn(
      'jongodb keeps everything in memory: every ticket is gone when this process stops. For data that stays, set MONGODB_URI or let a real mongod run (docs/configuration.md, "Which database").',
    );
  }
  if (tracingStarted) log.info({ protocol: tracingStarted.protocol }, 'tracing: spans go to the OTLP endpoint');

  // The database may come up after us (containers start in any order): keep trying.
  for (let attempt = 1; ; attempt++) {
    try {
      await connectDatabase(engine.uri, config.dbTimeoutMs);
      break;
    } catch (err) {
      log.warn({ attempt, reason: (err as Error).name }, 'database not reachable yet; retrying');
      await sleep(Math.min(5_000, 250 * 2 ** attempt));
    }
  }
  await prepareNumbering(MODELS, log);
  if (demo) {
    const tickets = await seedDemo(
      new TicketService(
        log,
        {},
        { store: new TicketStore(log, { prefix: config.ticketPrefix, pad: config.ticketPad }) },
      ),
      config.agentTokens[0]?.name,
    );
    process.stdout.write(
      `\nDemo tickets (track them with trackTicket(ticketNumber, email)):\n${tickets.map((t) => `  ${t.ticketNumber}  ${t.email.padEnd(24)} ${t.status.padEnd(20)} ${t.subject}`).join('\n')}\n`,
    );
  }

  const api = await createApi(config, log, await compose(config, log));
  const url = await api.listen(config.port, config.host);
  // The command-line tools (npm run tokens, ...) find an embedded engine through this file: written once this
  // server is sure to run, so a start that fails (a taken port) never replaces a running server's record.
  if (engine.kind !== 'external') recordRunningEngine(config.dataDir, engine.uri, engine.kind);
  // Signals are handled before the ready line: whoever starts the process may stop it the moment it reads that
  // line, and a SIGTERM before the handlers exist would kill it without draining (exit by signal, not 0).
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    try {
      await api.stop();
      log.debug('http stopped');
      await disconnectDatabase();
      log.debug('database disconnected');
      await stopOwnEngine?.();
      await stopTracing();
      log.info('stopped');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const urls = readyUrls(url, { explorer: !config.production, web: config.webClient && webClientBuilt() });
  // The ready line is part of the contract: printed whatever LOG_LEVEL says.
  // Pretty lines already say every address in the message; JSON lines also carry them as fields.
  log.child({}, { level: 'info' }).info(format === 'json' ? urls : {}, readyLine(urls));
  const where = urls.agentInbox ?? "the web client's /agent page (npm run web)";
  if (demo) {
    const site = urls.webClient ? new URL(url).origin : '';
    process.stdout.write(
      `\nA chat's signed link, for the web client's create page${site ? '' : ' (npm run web serves it)'}:\n  ${site}${demoChatLink(config.chatSigningSecret!)}\n`,
    );
    if (config.email.outboxDir)
      process.stdout.write(
        `\nEmail: every message to customers is written to ${config.email.outboxDir} as an .eml file (open it with any mail program; create a ticket to see its confirmation). SMTP_URL and EMAIL_FROM send it instead (docs/email.md).\n`,
      );
    // npm run web waits for this block, whatever it says.
    if (!ownAgent)
      process.stdout.write(
        `\nAgent sign-in (${where}): ${config.agentTokens.length ? 'one of the AGENT_TOKENS secrets' : 'none: AGENT_TOKENS is empty'}.\n\n`,
      );
  }
  if (ownAgent)
    process.stdout.write(
      `\nAgent sign-in (${where}):\n  API token:     ${ownAgent.secret}\n  Your agent id: ${ownAgent.name}\n(AGENT_TOKENS is empty, so this development agent was made; its token is kept in ${config.dataDir}.)\n\n`,
    );
}

interface ReadyUrls {
  url: string;
  explorer?: string;
  webClient?: string;
  agentInbox?: string;
}

/** Every address a newcomer may open, for the ready line. */
function readyUrls(url: string, { explorer, web }: { explorer: boolean; web: boolean }): ReadyUrls {
  const origin = new URL(url).origin;
  return {
    url,
    ...(explorer && { explorer: url }),
    ...(web && { webClient: `${origin}/`, agentInbox: `${origin}/agent` }),
  };
}

/** "ticket-api ready at <url>" (what scripts wait for), then the rest. */
function readyLine(u: ReadyUrls): string {
  const more = [
    u.explorer && `explorer (a browser) ${u.explorer}`,
    u.webClient && `web client ${u.webClient}`,
    u.agentInbox && `agent inbox ${u.agentInbox}`,
  ].filter(Boolean);
  return `ticket-api ready at ${u.url}${more.length ? ` | ${more.join(' | ')}` : ''}`;
}

main().catch(async (err) => {
  process.stderr.write(`ticket-api failed to start: ${(err as Error).message}\n`);
  // As long as a stop may take (a mongod shutting down cleanly), then exit regardless.
  await Promise.race([stopOwnEngine?.().catch(() => undefined), sleep(20_000)]);
  process.exit(1);
});
