// The reference client in Chromium with attachments: a real PNG picked with
// the file input, a text file dropped on the drop zone, a fake PNG refused;
// the ticket created with both, and the tracking page linking them. The API
// runs as a built process (its sniffer, file-type, is an ES module jest's
// module system cannot load in-process).
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import {
  browserMissing,
  chromiumForFile,
  closeChromium,
  screenshot as saveScreenshot,
  startPreview,
} from '../../api/test/support/browser';
import { jpeg, png } from '../../api/test/support/files';
import { serverBuilt, startServers, type ServerProcess } from '../../api/test/support/processes';

const reason = browserMissing() || (serverBuilt ? '' : 'the API is not built (npm test builds it)');
if (reason) console.warn(`skipped: browser attachment tests: ${reason}`);
const describeBrowser = reason ? describe.skip : describe;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeBrowser('reference web client: attachments in Chromium', () => {
  let server: ServerProcess;
  let preview: ChildProcess;
  let base: string;
  let browser: Browser;
  let page: Page;
  const screenshot = png(320, 200, 7);

  beforeAll(async () => {
    ({
      servers: [server],
    } = await startServers(1, 'web_attachments'));
    ({ base, process: preview } = await startPreview(server.url.replace(/\/graphql$/, '')));
    browser = await chromiumForFile();
    page = await browser.newPage({ viewport: { width: 1000, height: 1000 }, locale: 'en-GB' });
  }, 180_000); // a busy host starts an API, vite and Chromium slowly; this only guards a hang

  afterAll(async () => {
    await closeChromium();
    preview?.kill('SIGTERM');
    expect(await server?.stop()).toBe(0);
  });

  it('attaches a picked PNG and a dropped text file, refuses a fake PNG, and the tracking page links both', async () => {
    await page.goto(`${base}/create`);
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Subject').fill('Error dialog on checkout');
    await page.getByLabel('Description').fill('The screenshot shows the error.');
    await page
      .getByLabel(/Screenshots or files/)
      .setInputFiles({ name: 'screenshot.png', mimeType: 'image/png', buffer: screenshot });
    // Drag and drop: a DataTransfer holding a File, as the browser builds it for a real drop.
    const dropped = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['Console output:\nTypeError: x is undefined\n'], 'console.txt', { type: 'text/plain' }));
      return dt;
    });
    await page.dispatchEvent('[data-testid="dropzone"]', 'drop', { dataTransfer: dropped });
    await page
      .getByLabel(/Screenshots or files/)
      .setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: jpeg() });
    const picked = page.getByTestId('picked-file');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="picked-file"]')].every(
          (e) => e.getAttribute('data-state') !== 'uploading',
        ) && document.querySelectorAll('[data-testid="picked-file"]').length === 3,
    );
    expect(await picked.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual([
      'uploaded',
      'uploaded',
      'failed',
    ]);
    await page.getByText('This file type is not accepted (images, PDF or plain text only).').waitFor();
    await page.getByRole('button', { name: 'Remove fake.png' }).click();
    await saveScreenshot(page, 'create-ticket-attachments.png');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    const number = page.getByTestId('ticket-number');
    await number.waitFor();
    const ticketNumber = (await number.textContent())!.trim();

    await page.goto(`${base}/track?number=${ticketNumber}`);
    await page.getByLabel('Email').fill('grace@example.com');
    await page.getByLabel('Email').press('Enter');
    const link = page.getByRole('link', { name: 'screenshot.png' });
    await link.waitFor();
    expect(await page.locator('.timeline .attachments a').allTextContents()).toEqual(['screenshot.png', 'console.txt']);
    // The link is the API's signed download, through the web origin's proxy: the very bytes picked.
    const href = (await link.getAttribute('href'))!;
    expect(href.slice(0, base.length)).toBe(base);
    const download = await page.request.get(href);
    expect(download.status()).toBe(200);
    expect(download.headers()['content-disposition']).toBe('attachment; filename=screenshot.png');
    expect(sha(await download.body())).toBe(sha(screenshot));
    // Clicking it downloads the file rather than opening it in the page.
    const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(file.suggestedFilename()).toBe('screenshot.png');
    await saveScreenshot(page, 'track-ticket-attachments.png');
  });
});
