// `/ui/graph`: the KVScheduler's values and their dependencies, laid out in layers and
// coloured by state, with pan and zoom; `?key=` focuses a value (and shows only its
// neighbourhood in a large graph or with `hood=1`), `?txn=` highlights a transaction.

import { get, q } from '../api.js';
import { badge, fill, h, json, link } from '../dom.js';
import { build, GEOMETRY, layout, neighbourhood, subgraph, svgMarkup } from '../layout.js';

export const title = 'Graph';
export const topics = ['values'];

/** Above this many nodes the graph shows one value's neighbourhood. */
export const FULL_GRAPH_LIMIT = 2500;
const SVG_NS = 'http://www.w3.org/2000/svg';

/** The first rendering of this page load, for the bench: `window.cninfraGraph`. */
let firstRender = null;

export function mount(root, ctx) {
  const params = ctx.params;
  let focus = params.get('key');
  let txn = params.get('txn');
  let hood = params.get('hood') === '1';
  let depth = Number(params.get('depth') ?? 2) || 2;
  let view = null; // { k, x, y }
  let placed = null;
  let shown = null;
  let whole = null;

  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.id = 'graph';
  svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L8 4L0 8z"/></marker></defs><g id="viewport"></g>';
  const viewport = svg.querySelector('#viewport');
  const panel = h('aside', { class: 'panel', id: 'node-panel' },
    h('p', { class: 'muted' }, 'Click a value to see it.'));
  const info = h('span', { class: 'muted', id: 'graph-info' });
  const search = h('input', { type: 'search', placeholder: 'find a key (Enter)', id: 'graph-search' });
  const hoodBox = h('input', { type: 'checkbox', id: 'graph-hood', checked: hood });
  const depthSelect = h('select', { id: 'graph-depth', 'aria-label': 'neighbourhood depth' },
    [1, 2, 3, 4, 6].map((d) => h('option', { value: d, selected: d === depth }, `depth ${d}`)));
  const txnSelect = h('select', { id: 'graph-txn', 'aria-label': 'highlight a transaction' },
    h('option', { value: '' }, 'highlight a transaction…'));
  const picker = h('div', { class: 'picker', hidden: true });

  const setParams = () => {
    const url = new URL(location.href);
    const set = (name, value) => (value ? url.searchParams.set(name, value) : url.searchParams.delete(name));
    set('key', focus);
    set('txn', txn);
    set('hood', hood ? '1' : '');
    set('depth', depth !== 2 ? String(depth) : '');
    history.replaceState(null, '', url);
  };

  fill(root,
    h('div', { class: 'toolbar' },
      h('h1', {}, 'Graph'), search,
      h('label', {}, hoodBox, ' neighbourhood of the focused value'), depthSelect, txnSelect,
      h('button', { type: 'button', onclick: () => fit() }, 'fit'),
      h('button', { type: 'button', onclick: () => zoom(1.25) }, '+'),
      h('button', { type: 'button', onclick: () => zoom(0.8) }, '−'),
      info),
    h('div', { class: 'legend' }, ['CONFIGURED', 'OBTAINED', 'PENDING', 'FAILED', 'INVALID',
      'RETRYING', 'UNIMPLEMENTED', 'REMOVED', 'MISSING'].map((s) => badge(s)),
    h('span', { class: 'muted' }, ' dependencies left of what needs them, derived values right of their base')),
    picker,
    h('div', { class: 'graph-area' }, svg, panel));

  // ===== pan and zoom =====
  const apply = () => viewport.setAttribute('transform', `translate(${view.x} ${view.y}) scale(${view.k})`);
  function fit() {
    if (!placed) return;
    const box = svg.getBoundingClientRect();
    const k = Math.min(2, Math.max(0.02, Math.min(box.width / (placed.width + 40), box.height / (placed.height + 40))));
    view = { k, x: (box.width - placed.width * k) / 2, y: Math.max(10, (box.height - placed.height * k) / 2) };
    apply();
  }
  function zoom(factor, cx, cy) {
    if (!view) return;
    const box = svg.getBoundingClientRect();
    const px = cx ?? box.width / 2;
    const py = cy ?? box.height / 2;
    const k = Math.min(8, Math.max(0.01, view.k * factor));
    view = { k, x: px - ((px - view.x) * k) / view.k, y: py - ((py - view.y) * k) / view.k };
    apply();
  }
  function center(key) {
    const p = placed?.pos.get(key);
    if (!p) return;
    const box = svg.getBoundingClientRect();
    const k = Math.max(view?.k ?? 1, 0.8);
    view = { k, x: box.width / 2 - (p.x + GEOMETRY.width / 2) * k, y: box.height / 2 - (p.y + GEOMETRY.height / 2) * k };
    apply();
  }
  svg.addEventListener('wheel', (event) => {
    event.preventDefault();
    const box = svg.getBoundingClientRect();
    zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - box.left, event.clientY - box.top);
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (event) => {
    if (event.target.closest('.node') || !view) return;
    drag = { x: event.clientX, y: event.clientY, vx: view.x, vy: view.y };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag) return;
    view = { ...view, x: drag.vx + event.clientX - drag.x, y: drag.vy + event.clientY - drag.y };
    apply();
  });
  svg.addEventListener('pointerup', () => { drag = null; });

  // ===== selection =====
  async function select(key, { scroll = false } = {}) {
    focus = key;
    setParams();
    for (const el of viewport.querySelectorAll('.node.selected')) el.classList.remove('selected');
    const el = [...viewport.querySelectorAll('.node')].find((n) => n.dataset.key === key);
    el?.classList.add('selected');
    if (scroll) center(key);
    const node = whole?.nodes.get(key);
    if (!node) {
      fill(panel, h('p', {}, `No value with key ${key}.`));
      return;
    }
    const deps = whole.edges.filter((e) => e.from === key);
    const users = whole.edges.filter((e) => e.to === key);
    const go = (k) => h('a', { href: `/ui/graph?${q({ key: k })}`, onclick: (ev) => { ev.preventDefault(); focusOn(k); } }, k);
    let status = null;
    if (!node.ghost) {
      try {
        [status] = await get(`/scheduler/status?${q({ key })}`);
      } catch {
        status = null;
      }
    }
    const value = status?.value;
    fill(panel,
      h('h3', {}, node.key),
      h('p', {}, badge(node.state), ' ', node.descriptor ? h('code', {}, node.descriptor) : '',
        node.derived ? ' derived' : '', value?.lastOperation ? ` last operation ${value.lastOperation}` : ''),
      node.ghost ? h('p', { class: 'error' }, 'No value with this key: what depends on it waits.') : '',
      node.error || value?.error ? h('p', { class: 'error' }, node.error || value.error) : '',
      value?.details?.length ? h('p', {}, `${node.state === 'PENDING' ? 'missing' : 'details'}: ${value.details.join(', ')}`) : '',
      deps.length ? h('div', {}, h('h4', {}, 'depends on / derives'),
        h('ul', {}, deps.map((e) => h('li', {}, `${e.label} `, go(e.to), ' ', badge(whole.nodes.get(e.to)?.state))))) : '',
      users.length ? h('div', {}, h('h4', {}, 'needed by / derived from'),
        h('ul', {}, users.map((e) => h('li', {}, `${e.label} `, go(e.from))))) : '',
      node.value !== null && node.value !== undefined ? [h('h4', {}, 'value'), json(node.value)] : '',
      h('p', {}, link(`/ui/values?${q({ q: node.key })}`, 'in the values table')));
  }
  function focusOn(key) {
    focus = key;
    if (hood || whole.nodes.size > FULL_GRAPH_LIMIT) {
      setParams();
      draw();
    }
    select(key, { scroll: true });
  }

  search.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !whole) return;
    const text = search.value.trim();
    const key = whole.nodes.has(text) ? text : [...whole.nodes.keys()].find((k) => k.includes(text));
    if (key) focusOn(key);
  });
  hoodBox.addEventListener('change', () => { hood = hoodBox.checked; setParams(); view = null; draw(); });
  depthSelect.addEventListener('change', () => { depth = Number(depthSelect.value); setParams(); view = null; draw(); });
  txnSelect.addEventListener('change', async () => { txn = txnSelect.value || null; setParams(); await highlight(); });
  viewport.addEventListener('click', (event) => {
    const el = event.target.closest('.node');
    if (el) select(el.dataset.key);
  });

  async function highlight() {
    svg.classList.toggle('highlighting', Boolean(txn));
    for (const el of viewport.querySelectorAll('.node.hl')) el.classList.remove('hl');
    if (!txn) return;
    let record;
    try {
      record = await get(`/scheduler/txn-history?${q({ 'seq-num': txn })}`);
    } catch (error) {
      fill(info, error.message);
      return;
    }
    const keys = new Set(record.executed.map((o) => o.key));
    for (const el of viewport.querySelectorAll('.node')) el.classList.toggle('hl', keys.has(el.dataset.key));
  }

  /** Lays out and renders what is shown: the whole graph, or a neighbourhood. */
  function draw() {
    const started = performance.now();
    const large = whole.nodes.size > FULL_GRAPH_LIMIT;
    picker.hidden = true;
    if ((hood || large) && focus && whole.nodes.has(focus)) {
      shown = subgraph(whole, neighbourhood(whole, focus, depth));
    } else if (large) {
      shown = { nodes: new Map(), edges: [] };
      picker.hidden = false;
      fill(picker, h('p', {}, `${whole.nodes.size} values: more than ${FULL_GRAPH_LIMIT}, so the graph shows the neighbourhood of one value. Find one above, or pick:`),
        h('ul', {}, [...whole.nodes.keys()].slice(0, 50).map((k) => h('li', {},
          h('a', { href: `/ui/graph?${q({ key: k })}`, onclick: (ev) => { ev.preventDefault(); focusOn(k); } }, k)))));
    } else {
      shown = whole;
    }
    placed = layout(shown);
    const laidOut = performance.now();
    viewport.innerHTML = svgMarkup(shown, placed);
    const rendered = performance.now();
    svg.dataset.nodes = String(shown.nodes.size);
    fill(info, `${shown.nodes.size} of ${whole.nodes.size} values, ${shown.edges.length} edges`);
    if (!view) {
      if (focus && placed.pos.has(focus)) center(focus);
      else fit();
    } else {
      apply();
    }
    if (focus && whole.nodes.has(focus)) select(focus);
    if (!firstRender) {
      firstRender = { nodes: shown.nodes.size, edges: shown.edges.length, layoutMs: laidOut - started, domMs: rendered - laidOut };
      // Two frames: the second callback runs once the first frame with the graph painted.
      requestAnimationFrame(() => requestAnimationFrame(() => {
        firstRender.paintedAt = performance.now();
        window.cninfraGraph = firstRender;
      }));
    }
  }

  return {
    async refresh() {
      const [records, txns] = await Promise.all([
        get('/scheduler/graph?format=raw'),
        get('/scheduler/txn-history'),
      ]);
      whole = build(records);
      const recent = txns.slice(-50).reverse();
      fill(txnSelect, h('option', { value: '' }, 'highlight a transaction…'),
        recent.map((t) => h('option', { value: t.seqNum, selected: String(t.seqNum) === txn },
          `#${t.seqNum} ${t.txnType} ${t.description ?? ''} (${t.executed.length} ops)`)));
      draw();
      await highlight();
    },
  };
}
