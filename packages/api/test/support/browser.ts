// The reference web client in Debian's Chromium (headless, driven by
// playwright-core), for the browser tests: one Chromium per test file,
// started when first asked for; the built client served by `vite preview`;
// screenshots under test-artifacts/ (git-ignored), and the ones the docs
// show refreshed in docs/screenshots/ only by `npm run screenshots`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = join(__dirname, '../../../..');
export const WEB = join(ROOT, 'packages/web');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const DOCS_SCREENSHOTS = join(ROOT, 'docs/screenshots');

/** Why the browser tests cannot run here ('' when they can). */
export function browserMissing(): string {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(join(WEB, 'dist/index.html'))) return 'the web app is not built (npm test builds it)';
  return '';
}

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
let launched: Promise<Browser> | undefined;

/** This test file's Chromium: started on the first call, shared by every test of the file (contexts keep them apart). */
export function chromiumForFile(): Promise<Browser> {
  launched ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return launched;
}

/** Closes this file's Chromium, if one was started (in the file's afterAll). */
export async function closeChromium(): Promise<void> {
  const browser = launched;
  launched = undefined;
  await (await browser?.catch(() => undefined))?.close();
}

/** `vite preview` of the built client, talking to the API at `apiBase`. */
export async function startPreview(apiBase: string): Promise<{ base: string; process: ChildProcess; stop(): void }> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'preview', '--port', '0'], {
    cwd: WEB,
    env: { ...process.env, API_URL: apiBase },
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /Local:\s+(http:\/\/\S+?)\/?\s/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) resolve(m[1]);
    });
    child.on('exit', (c) => reject(new Error(`vite preview exited ${c}: ${out}`)));
  });
  return { base, process: child, stop: () => void child.kill('SIGTERM') };
}

/**
 * A full-page screenshot in test-artifacts/. `docs: true` marks one the
 * docs show: with SCREENSHOTS=update (`npm run screenshots`) it is written
 * to docs/screenshots/ too; `npm test` never touches committed files.
 */
export async function screenshot(page: Page, name: string, options: { docs?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  if (options.docs && process.env.SCREENSHOTS === 'update') {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(DOCS_SCREENSHOTS, name), fullPage: true });
  }
}
