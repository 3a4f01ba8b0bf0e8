// The dependency graph: nodes and edges from the scheduler's records, a layered layout
// (every dependency to the left of what depends on it, derived values to the right of
// their base) and an SVG rendering. Pure functions of the data, so the bench and the page
// run the same code.

import { esc } from './dom.js';

/** Column and row pitch, node box size (px, before zoom). */
export const GEOMETRY = { column: 300, row: 30, width: 240, height: 22 };
/** At most this many edges from one dependency on key prefixes (an any-of dependency). */
const MAX_PREFIX_MATCHES = 16;

function flagsOf(record) {
  const flags = {};
  for (const f of record.flags ?? []) flags[f.name] = f.value;
  return flags;
}

/** The first index of `sorted` whose key is not below `key` (binary search). */
function lowerBound(sorted, key) {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The graph of `/scheduler/graph?format=raw` records: `nodes` (key → node) and `edges`
 * (`from` depends on `to`, or `from` derives `to`). A dependency on a key that has no
 * value is a `ghost` node in state MISSING, so that what a PENDING value waits for shows.
 */
export function build(records) {
  const nodes = new Map();
  for (const record of records) {
    const flags = flagsOf(record);
    nodes.set(record.key, {
      key: record.key,
      state: flags['value-state'] || 'NONEXISTENT',
      descriptor: flags.descriptor ?? '',
      error: flags.error ?? '',
      derived: 'derived' in flags,
      value: record.value,
      targets: record.targets ?? [],
      ghost: false,
    });
  }
  const sorted = [...nodes.keys()].sort();
  const edges = [];
  for (const node of [...nodes.values()]) {
    for (const target of node.targets) {
      const kind = target.relation === 'derives' ? 'derives' : 'depends';
      for (const key of target.keys) {
        if (nodes.has(key)) {
          edges.push({ from: node.key, to: key, kind, label: target.label });
          continue;
        }
        if (kind === 'derives') continue;
        // An any-of dependency names key prefixes.
        let matched = 0;
        for (let i = lowerBound(sorted, key); i < sorted.length && sorted[i].startsWith(key) &&
          matched < MAX_PREFIX_MATCHES; i += 1, matched += 1) {
          edges.push({ from: node.key, to: sorted[i], kind, label: target.label });
        }
        if (matched > 0) continue;
        if (!nodes.has(key)) {
          nodes.set(key, {
            key, state: 'MISSING', descriptor: '', error: '', derived: false, value: null,
            targets: [], ghost: true,
          });
        }
        edges.push({ from: node.key, to: key, kind, label: target.label });
      }
    }
  }
  return { nodes, edges };
}

/** For each key: the keys placed before it (its dependencies, its base) and after it. */
export function adjacency(graph) {
  const before = new Map();
  const after = new Map();
  for (const key of graph.nodes.keys()) {
    before.set(key, []);
    after.set(key, []);
  }
  for (const e of graph.edges) {
    const [first, second] = e.kind === 'depends' ? [e.to, e.from] : [e.from, e.to];
    before.get(second).push(first);
    after.get(first).push(second);
  }
  return { before, after };
}

/** The keys within `depth` steps of `key`, either direction. */
export function neighbourhood(graph, key, depth) {
  const { before, after } = adjacency(graph);
  const seen = new Set([key]);
  let frontier = [key];
  for (let d = 0; d < depth && frontier.length; d += 1) {
    const next = [];
    for (const k of frontier) {
      for (const n of [...(before.get(k) ?? []), ...(after.get(k) ?? [])]) {
        if (!seen.has(n)) {
          seen.add(n);
          next.push(n);
        }
      }
    }
    frontier = next;
  }
  return seen;
}

/** The subgraph of `keys`. */
export function subgraph(graph, keys) {
  const nodes = new Map();
  for (const k of keys) if (graph.nodes.has(k)) nodes.set(k, graph.nodes.get(k));
  return { nodes, edges: graph.edges.filter((e) => nodes.has(e.from) && nodes.has(e.to)) };
}

/**
 * Layers (longest path from the values that depend on nothing; cycles are cut where met),
 * then order within layers by the barycenter of neighbours (four sweeps), then positions.
 * Returns `{pos: key → {x, y}, width, height}`.
 */
export function layout(graph) {
  const { before, after } = adjacency(graph);
  const keys = [...graph.nodes.keys()].sort();
  const rank = new Map();
  const onStack = new Set();
  for (const start of keys) {
    if (rank.has(start)) continue;
    const stack = [[start, 0]];
    onStack.add(start);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const deps = before.get(top[0]);
      if (top[1] < deps.length) {
        const dep = deps[top[1]];
        top[1] += 1;
        if (!rank.has(dep) && !onStack.has(dep)) {
          onStack.add(dep);
          stack.push([dep, 0]);
        }
        continue;
      }
      let r = 0;
      for (const dep of deps) if (rank.has(dep)) r = Math.max(r, rank.get(dep) + 1);
      rank.set(top[0], r);
      onStack.delete(top[0]);
      stack.pop();
    }
  }
  const layers = [];
  for (const key of keys) {
    const r = rank.get(key);
    (layers[r] ??= []).push(key);
  }
  for (let i = 0; i < layers.length; i += 1) layers[i] ??= [];
  const index = new Map();
  const place = () => {
    for (const layer of layers) layer.forEach((k, i) => index.set(k, i / Math.max(1, layer.length)));
  };
  place();
  const sweep = (from, to, step, neighbours) => {
    for (let l = from; step > 0 ? l < to : l > to; l += step) {
      const layer = layers[l];
      const weight = new Map();
      for (const k of layer) {
        const ns = neighbours.get(k);
        let sum = 0;
        let n = 0;
        for (const m of ns) {
          sum += index.get(m);
          n += 1;
        }
        weight.set(k, n ? sum / n : index.get(k));
      }
      layer.sort((a, b) => weight.get(a) - weight.get(b));
      layer.forEach((k, i) => index.set(k, i / Math.max(1, layer.length)));
    }
  };
  for (let i = 0; i < 2; i += 1) {
    sweep(1, layers.length, 1, before);
    sweep(layers.length - 2, -1, -1, after);
  }
  const tallest = Math.max(1, ...layers.map((l) => l.length));
  const pos = new Map();
  layers.forEach((layer, l) => {
    const offset = ((tallest - layer.length) * GEOMETRY.row) / 2;
    layer.forEach((k, i) => pos.set(k, { x: l * GEOMETRY.column, y: offset + i * GEOMETRY.row }));
  });
  return {
    pos,
    width: Math.max(1, layers.length - 1) * GEOMETRY.column + GEOMETRY.width,
    height: tallest * GEOMETRY.row,
  };
}

/** A key shortened from the left to fit a node box. */
export function shortLabel(key, max = 34) {
  return key.length <= max ? key : `…${key.slice(key.length - max + 1)}`;
}

/** The SVG markup of the edges and nodes (one string: fastest for thousands of nodes). */
export function svgMarkup(graph, placed) {
  const { width: w, height: ht } = GEOMETRY;
  const parts = ['<g class="edges">'];
  for (const e of graph.edges) {
    const a = placed.pos.get(e.from);
    const b = placed.pos.get(e.to);
    if (!a || !b) continue;
    // From the right edge of the earlier box to the left edge of the later one.
    const [p, q] = a.x <= b.x ? [a, b] : [b, a];
    const x1 = p.x + w;
    const y1 = p.y + ht / 2;
    const x2 = q.x;
    const y2 = q.y + ht / 2;
    const mid = (x1 + x2) / 2;
    parts.push(`<path class="edge ${e.kind}" data-from="${esc(e.from)}" data-to="${esc(e.to)}" d="M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}"/>`);
  }
  parts.push('</g><g class="nodes">');
  for (const node of graph.nodes.values()) {
    const p = placed.pos.get(node.key);
    const state = node.state.toLowerCase();
    parts.push(`<g class="node state-${state}${node.ghost ? ' ghost' : ''}${node.derived ? ' derived' : ''}" data-key="${esc(node.key)}" data-state="${esc(node.state)}" transform="translate(${p.x} ${p.y})"><title>${esc(node.key)} (${esc(node.state)})</title><rect width="${w}" height="${ht}" rx="4"/><text x="6" y="15">${esc(shortLabel(node.key))}</text></g>`);
  }
  parts.push('</g>');
  return parts.join('');
}
