// The graph's layout (web/layout.js, the code the page runs) on a synthetic graph of 1,000
// values and on a cycle: every dependency left of what depends on it, every derived value
// right of its base, one place per node, a ghost per missing dependency, neighbourhoods.

import assert from 'node:assert/strict';
import { build, layout, neighbourhood, subgraph, svgMarkup } from '../web/layout.js';
import { records } from '../bench/synthetic.mjs';

const recs = records(1000);
const graph = build(recs);
const placed = layout(graph);

const pending = recs.filter((r) => r.flags.some((f) => f.value === 'PENDING'));
const ghosts = [...graph.nodes.values()].filter((n) => n.ghost);
assert.equal(ghosts.length, pending.length, 'a ghost per missing bridge domain');
assert.ok(ghosts.every((g) => g.state === 'MISSING'));
assert.equal(graph.nodes.size, recs.length + ghosts.length);

for (const e of graph.edges) {
  const from = placed.pos.get(e.from);
  const to = placed.pos.get(e.to);
  if (e.kind === 'depends') assert.ok(from.x > to.x, `${e.from} right of its dependency ${e.to}`);
  else assert.ok(to.x > from.x, `derived ${e.to} right of its base ${e.from}`);
}
const spots = new Set([...placed.pos.values()].map((p) => `${p.x},${p.y}`));
assert.equal(spots.size, graph.nodes.size, 'one place per node');
for (const p of placed.pos.values()) {
  assert.ok(p.x >= 0 && p.y >= 0 && p.x <= placed.width && p.y <= placed.height);
}

const fib = pending[0].key;
const near = neighbourhood(graph, fib, 1);
const deps = graph.edges.filter((e) => e.from === fib).map((e) => e.to);
assert.deepEqual([...near].sort(), [fib, ...deps].sort(), 'depth 1: the value and its dependencies');
const sub = subgraph(graph, near);
assert.equal(sub.edges.length, deps.length);
const markup = svgMarkup(sub, layout(sub));
assert.equal((markup.match(/class="node /g) ?? []).length, near.size);

// A cycle is cut where it is met: every node still gets a place.
const cycle = build([
  { key: 'a', flags: [], targets: [{ relation: 'depends-on', label: 'b', keys: ['b'] }] },
  { key: 'b', flags: [], targets: [{ relation: 'depends-on', label: 'a', keys: ['a'] }] },
]);
assert.equal(layout(cycle).pos.size, 2);

// Markup escapes keys.
const odd = build([{ key: 'x/<script>"&', flags: [], targets: [] }]);
assert.ok(!svgMarkup(odd, layout(odd)).includes('<script>'));
console.log(`layout ok: ${graph.nodes.size} nodes, ${graph.edges.length} edges`);
