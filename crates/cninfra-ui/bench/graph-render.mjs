// The dashboard bench: serves the page's files (CNINFRA_UI_WEB, the files named in
// CNINFRA_UI_ASSETS) the way the agent does, with a synthetic KVScheduler graph of N
// values (interfaces, bridge domains, FIB entries, derived addresses; 5% PENDING on a
// missing bridge domain), opens `/ui/graph` in headless Chromium and reads the time from
// navigation start until the first frame with the graph painted (`window.cninfraGraph`).
// Prints the embedded assets' sizes (raw, gzipped) and a table of medians.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch } from '../../../tools/browser/chromium.mjs';
import { records } from './synthetic.mjs';

const web = process.env.CNINFRA_UI_WEB;
const assets = (process.env.CNINFRA_UI_ASSETS ?? '').split(',').filter(Boolean);
const RUNS = 5;

// ===== sizes =====
let raw = 0;
let gz = 0;
for (const path of assets) {
  const body = readFileSync(join(web, path));
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
console.log(`embedded assets: ${assets.length} files, ${(raw / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped (goal < 500 KB)`);

// ===== the server =====
const types = { html: 'text/html', css: 'text/css', js: 'text/javascript', svg: 'image/svg+xml' };
let graph = '[]';
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const send = (type, body) => {
    res.writeHead(200, { 'content-type': type });
    res.end(body);
  };
  if (url.pathname.startsWith('/ui/assets/')) {
    const path = url.pathname.slice('/ui/assets/'.length);
    if (!assets.includes(path)) {
      res.writeHead(404);
      res.end();
      return;
    }
    send(types[path.split('.').pop()], readFileSync(join(web, path)));
  } else if (url.pathname === '/ui/events') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('event: hello\ndata: hello\n\n');
  } else if (url.pathname === '/scheduler/graph') {
    send('application/json', graph);
  } else if (url.pathname === '/scheduler/txn-history' || url.pathname === '/scheduler/status') {
    send('application/json', '[]');
  } else if (url.pathname.startsWith('/ui')) {
    send('text/html', readFileSync(join(web, 'index.html')));
  } else {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

// ===== the runs =====
const context = await launch();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(n, query = '') {
  const data = records(n);
  graph = JSON.stringify(data);
  const times = [];
  let last = null;
  for (let run = 0; run < RUNS; run += 1) {
    const page = await context.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/ui/graph${query}`);
    last = await page.waitForFunction(() => window.cninfraGraph, null, { timeout: 60000 })
      .then((h) => h.jsonValue())
      .catch(async (error) => {
        const banner = await page.textContent('#banner').catch(() => '');
        throw new Error(`${error.message}; page errors: ${errors.join('; ')}; banner: ${banner}`);
      });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    times.push(last.paintedAt);
    await page.close();
  }
  return { n, query, shown: last.nodes, edges: last.edges, first: median(times), layout: last.layoutMs, dom: last.domMs, graphBytes: graph.length };
}

const rows = [];
rows.push(await measure(10));
rows.push(await measure(1000));
rows.push(await measure(2000));
const big = records(10000);
rows.push(await measure(10000, `?key=${encodeURIComponent(big[5].key)}`));
await context.close();
server.close();

const baseline = rows[0].first;
console.log(`time to first render of /ui/graph, headless Chromium, median of ${RUNS} page loads:`);
console.log('values | shown nodes | edges | JSON KiB | first render ms | ratio to 10 values | layout ms | DOM ms');
for (const r of rows) {
  console.log(`${r.n}${r.query ? ' (neighbourhood)' : ''} | ${r.shown} | ${r.edges} | ${(r.graphBytes / 1024).toFixed(0)} | ${r.first.toFixed(0)} | ${(r.first / baseline).toFixed(2)} | ${r.layout.toFixed(1)} | ${r.dom.toFixed(1)}`);
}
