// Debian's Chromium, headless, driven by playwright-core (no browser download): shared by
// the dashboard's browser test and its bench. The flags keep Chromium from calling home
// (without them it floods the log with refused connections) and from needing a GPU.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** Where the browser is: `CNINFRA_CHROMIUM`, else Debian's package. */
export const CHROMIUM = process.env.CNINFRA_CHROMIUM || '/usr/bin/chromium';

/**
 * Launches the browser with a fresh profile (removed on `close()`); returns its context
 * (`newPage()`, `close()`). `options` go to Playwright's context (viewport,
 * httpCredentials).
 */
export async function launch(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'cninfra-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    viewport: { width: 1400, height: 900 },
    ...options,
  });
  const close = context.close.bind(context);
  context.close = async () => {
    await close();
    rmSync(profile, { recursive: true, force: true });
  };
  return context;
}
