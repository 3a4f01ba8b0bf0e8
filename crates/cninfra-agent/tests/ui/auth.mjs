// The dashboard behind the REST plugin's basic authentication (`client-basic-auth`):
// without credentials the page and its APIs answer 401; with them (the browser's basic-auth
// login) the page loads, its calls and its event stream are accepted, and the agent shows
// OK without console errors.
//
// Environment: CNINFRA_UI_BASE, CNINFRA_UI_USER, CNINFRA_UI_PASSWORD, CNINFRA_UI_SHOTS.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../../../../tools/browser/chromium.mjs';

const base = process.env.CNINFRA_UI_BASE;
const username = process.env.CNINFRA_UI_USER;
const password = process.env.CNINFRA_UI_PASSWORD;
const shots = process.env.CNINFRA_UI_SHOTS;
mkdirSync(shots, { recursive: true });

console.log('--> without credentials: 401');
const anonymous = await launch();
try {
  // A navigation without credentials ends in the browser's login prompt, which headless
  // Chromium refuses (ERR_INVALID_AUTH_CREDENTIALS): the answers are checked as requests.
  for (const path of ['/ui/', '/ui/assets/app.js', '/ui/api/agent', '/ui/events']) {
    const response = await anonymous.request.get(`${base}${path}`);
    assert.equal(response.status(), 401, path);
    assert.match(response.headers()['www-authenticate'] ?? '', /^Basic/, path);
  }
} finally {
  await anonymous.close();
}

console.log('--> with the basic-auth user: the agent is OK, the events flow');
const context = await launch({ httpCredentials: { username, password } });
try {
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/ui/`);
  await page.locator('#agent-state', { hasText: 'OK' }).waitFor();
  await page.locator('#live', { hasText: 'live' }).waitFor();
  await page.goto(`${base}/ui/loggers`);
  await page.locator('#loggers tr[data-logger="example"]').waitFor();
  await page.screenshot({ path: join(shots, 'auth-loggers.png') });
  assert.deepEqual(errors, [], 'no console errors');
} finally {
  await context.close();
}
