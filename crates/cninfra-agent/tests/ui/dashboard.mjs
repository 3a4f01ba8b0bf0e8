// The dashboard in headless Chromium against a running agent (started by agent_ui.rs):
// every view loads without console errors, the agent is OK, a logger level changed on the
// page is seen over REST, a FIB entry put with etcdctl shows PENDING with its missing
// dependencies (as links) in the values table and the graph, then CONFIGURED once they
// are put, without reloading the page; its transaction is in the history; the supervised
// program restarts from its button. A screenshot of each view goes to CNINFRA_UI_SHOTS.
//
// Environment: CNINFRA_UI_BASE (http://127.0.0.1:port), CNINFRA_UI_ETCD (host:port),
// CNINFRA_UI_PREFIX (the agent's key prefix, `/vnf-agent/<label>/`), CNINFRA_UI_SHOTS.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch } from '../../../../tools/browser/chromium.mjs';

const base = process.env.CNINFRA_UI_BASE;
const etcd = process.env.CNINFRA_UI_ETCD;
const prefix = process.env.CNINFRA_UI_PREFIX;
const shots = process.env.CNINFRA_UI_SHOTS;
mkdirSync(shots, { recursive: true });

const FIB = 'config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a';
const BD = 'config/vpp/l2/v2/bridge-domain/bd1';
const TAP = 'config/vpp/v2/interfaces/tap1';
// The bridge domain's derived value for its member tap1: what `bridged-interface` needs.
const BRIDGED = 'vpp/bd/bd1/interface/tap1';
const TIMEOUT = 30000;

const step = (text) => console.log(`--> ${text}`);
const etcdctl = (...args) => execFileSync('etcdctl', [`--endpoints=${etcd}`, ...args],
  { env: { ...process.env, ETCDCTL_API: '3' } });
const rest = async (path) => {
  const response = await fetch(`${base}${path}`);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
};
const node = (key) => `#graph g.node[data-key="${key}"]`;
const row = (key) => `#values tr[data-key="${key}"]`;

const context = await launch();
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => errors.push(`page: ${e}`));
const shot = async (name) => page.screenshot({ path: join(shots, `${name}.png`) });

try {
  step('agent view: state OK, build, plugins');
  await page.goto(`${base}/ui/`);
  await page.locator('#agent-state', { hasText: 'OK' }).waitFor();
  await page.locator('#plugins tr[data-plugin="etcd"] .agent-ok').waitFor();
  await page.locator('#plugins tr[data-plugin="kvscheduler"]').waitFor();
  await page.locator('#live', { hasText: 'live' }).waitFor();
  await shot('agent');

  step('loggers view: a level changed on the page is seen over REST');
  await page.click('nav a[data-view="loggers"]');
  assert.equal(new URL(page.url()).pathname, '/ui/loggers');
  const select = page.locator('#loggers tr[data-logger="example"] select');
  await select.waitFor();
  const before = (await rest('/log/list')).find((l) => l.logger === 'example');
  const wanted = before.level === 'debug' ? 'trace' : 'debug';
  await select.selectOption(wanted);
  await page.locator('#logger-note', { hasText: `example: ${wanted}` }).waitFor();
  const after = (await rest('/log/list')).find((l) => l.logger === 'example');
  assert.equal(after.level, wanted, 'the level over REST');
  await shot('loggers');

  step('values view: a FIB entry put with etcdctl shows PENDING with its missing dependencies');
  await page.goto(`${base}/ui/values`);
  await page.locator('#values').waitFor();
  etcdctl('put', `${prefix}${FIB}`,
    '{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}');
  // No reload: the page hears the change over server-sent events.
  await page.locator(`${row(FIB)}[data-state="PENDING"]`).waitFor();
  const links = page.locator(`${row(FIB)} a.dependency`);
  await links.first().waitFor();
  const missing = await links.evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(missing.map(([text]) => text).sort(), ['bridge-domain', 'bridged-interface']);
  assert.ok(missing.some(([, href]) => href === `/ui/graph?key=${encodeURIComponent(BD)}`), JSON.stringify(missing));
  assert.ok(missing.some(([, href]) => href === `/ui/graph?key=${encodeURIComponent(BRIDGED)}`), JSON.stringify(missing));
  await page.selectOption('#value-state', 'PENDING');
  await shot('values-pending');

  step('graph view: a missing dependency link focuses it; the FIB entry is PENDING');
  await page.click(`${row(FIB)} a.dependency:text("bridge-domain")`);
  assert.equal(new URL(page.url()).pathname, '/ui/graph');
  await page.locator(`${node(BD)}[data-state="MISSING"]`).waitFor();
  await page.locator(`${node(BRIDGED)}[data-state="MISSING"]`).waitFor();
  await page.locator(`${node(FIB)}[data-state="PENDING"]`).waitFor();
  await page.locator('#node-panel h3', { hasText: BD }).waitFor();
  await page.click(node(FIB));
  await page.locator('#node-panel h3', { hasText: FIB }).waitFor();
  await page.locator('#node-panel', { hasText: 'missing: bridge-domain, bridged-interface' }).waitFor();
  await shot('graph-pending');

  step('graph view: the dependencies put with etcdctl make it CONFIGURED, live');
  etcdctl('put', `${prefix}${BD}`, '{"name":"bd1","interfaces":[{"name":"tap1"}]}');
  etcdctl('put', `${prefix}${TAP}`, '{"name":"tap1","type":"TAP","enabled":true}');
  await page.locator(`${node(FIB)}[data-state="CONFIGURED"]`).waitFor();
  await page.locator(`${node(BD)}[data-state="CONFIGURED"]`).waitFor();
  await page.locator(`${node(TAP)}[data-state="CONFIGURED"]`).waitFor();
  await page.locator(`${node(BRIDGED)}.derived`).waitFor();
  // Zoom and pan work on the drawing.
  const transform = () => page.getAttribute('#viewport', 'transform');
  const start = await transform();
  await page.mouse.move(500, 500);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((t) => document.querySelector('#viewport').getAttribute('transform') !== t, start);
  await page.click('button:text("fit")');
  await shot('graph');

  step('values view: CONFIGURED');
  await page.goto(`${base}/ui/values?q=${encodeURIComponent(FIB)}`);
  await page.locator(`${row(FIB)}[data-state="CONFIGURED"]`).waitFor();
  await page.goto(`${base}/ui/values`);
  await page.locator(`${row(TAP)}[data-state="CONFIGURED"]`).waitFor();
  await shot('values');

  step('history view: the transaction that created the FIB entry');
  await page.goto(`${base}/ui/history`);
  const txn = page.locator('#txns li.txn', { has: page.locator(`li.op:has-text("CREATE") a:text-is("${FIB}")`) });
  await txn.first().waitFor();
  await shot('history');
  await txn.first().locator('a:text("show in graph")').click();
  await page.locator(`#graph.highlighting g.node.hl[data-key="${FIB}"]`).waitFor();
  await shot('graph-txn');

  step('programs view: the supervised program restarts from its button');
  await page.goto(`${base}/ui/programs`);
  const program = page.locator('#programs tr[data-program="napper"]');
  await program.waitFor();
  const pid = await program.locator('td:nth-child(4)').textContent();
  await program.locator('button[data-action="restart"]').click();
  await page.waitForFunction(([sel, old]) => {
    const td = document.querySelector(`${sel} td:nth-child(4)`);
    return td && td.textContent !== '' && td.textContent !== old;
  }, ['#programs tr[data-program="napper"]', pid]);
  await shot('programs');

  assert.deepEqual(errors, [], 'no console errors');
  console.log(`screenshots in ${shots}`);
} catch (error) {
  await shot('failure').catch(() => {});
  console.error(`errors seen by the page: ${JSON.stringify(errors)}`);
  throw error;
} finally {
  await context.close();
}
