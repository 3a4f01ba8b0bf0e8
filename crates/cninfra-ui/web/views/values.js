// `/ui/values`: the KVScheduler's values with state, last operation, error and details;
// filtered by model (descriptor), state and text; a PENDING value links the dependencies
// it waits for.

import { get, q } from '../api.js';
import { badge, fill, h, json, link } from '../dom.js';
import { build } from '../layout.js';

export const title = 'Values';
export const topics = ['values'];

const STATES = ['CONFIGURED', 'OBTAINED', 'DISCOVERED', 'PENDING', 'FAILED', 'INVALID',
  'RETRYING', 'UNIMPLEMENTED', 'REMOVED', 'NONEXISTENT'];

export function mount(root, ctx) {
  const p = ctx.params;
  const text = h('input', { type: 'search', placeholder: 'filter by text', id: 'value-filter', value: p.get('q') ?? '' });
  const state = h('select', { id: 'value-state', 'aria-label': 'state' },
    h('option', { value: '' }, 'any state'),
    STATES.map((s) => h('option', { value: s, selected: s === p.get('state') }, s)));
  const model = h('select', { id: 'value-model', 'aria-label': 'model' }, h('option', { value: '' }, 'any model'));
  const count = h('span', { class: 'muted' });
  const rows = h('tbody');
  const open = new Set();
  let statuses = [];
  let graph = { nodes: new Map(), edges: [] };

  fill(root, h('h1', {}, 'Values'),
    h('div', { class: 'toolbar' }, text, model, state, count),
    h('table', { class: 'grid', id: 'values' },
      h('thead', {}, h('tr', {}, ['key', 'model', 'state', 'last operation', 'error', 'details']
        .map((t) => h('th', {}, t)))),
      rows));

  /** The keys a value's missing dependency (its label) stands for. */
  function depKeys(key, label) {
    const node = graph.nodes.get(key);
    const target = node?.targets.find((t) => t.relation === 'depends-on' && t.label === label);
    return target?.keys ?? [];
  }

  function details(s) {
    if (!s.details?.length) return '';
    if (s.state !== 'PENDING') return s.details.join(', ');
    return h('span', { class: 'missing' }, 'missing: ', s.details.map((label, i) => {
      const keys = depKeys(s.key, label);
      const shown = keys.length
        ? keys.map((k) => {
          const a = link(`/ui/graph?${q({ key: k })}`, keys.length > 1 ? `${label} (${k})` : label);
          a.title = k;
          a.classList.add('dependency');
          return a;
        })
        : [label];
      return [i ? ', ' : '', shown];
    }));
  }

  function row(status, derived = false) {
    const s = status;
    const node = graph.nodes.get(s.key);
    const tr = h('tr', { class: derived ? 'derived' : '', dataset: { key: s.key, state: s.state } },
      h('td', { class: 'key' }, derived ? '↳ ' : '', link(`/ui/graph?${q({ key: s.key })}`, s.key)),
      h('td', {}, node?.descriptor ?? ''),
      h('td', {}, badge(s.state)),
      h('td', {}, s.lastOperation ?? ''),
      h('td', { class: 'error' }, s.error ?? ''),
      h('td', {}, details(s)));
    tr.addEventListener('click', (event) => {
      if (event.target.closest('a')) return;
      if (open.has(s.key)) open.delete(s.key);
      else open.add(s.key);
      render();
    });
    const out = [tr];
    if (open.has(s.key)) {
      out.push(h('tr', { class: 'expanded' }, h('td', { colspan: 6 },
        node?.value != null ? json(node.value) : h('span', { class: 'muted' }, 'no value'))));
    }
    return out;
  }

  function render() {
    const t = text.value.trim().toLowerCase();
    const st = state.value;
    const m = model.value;
    const url = new URL(location.href);
    for (const [name, value] of [['q', text.value], ['state', st], ['model', m]]) {
      if (value) url.searchParams.set(name, value);
      else url.searchParams.delete(name);
    }
    history.replaceState(null, '', url);
    const keep = (s) => (!st || s.state === st)
      && (!m || (graph.nodes.get(s.key)?.descriptor ?? '') === m)
      && (!t || s.key.toLowerCase().includes(t) || (s.error ?? '').toLowerCase().includes(t));
    const out = [];
    let n = 0;
    for (const base of statuses) {
      const derived = (base.derivedValues ?? []).filter(keep);
      if (!keep(base.value) && !derived.length) continue;
      n += 1;
      out.push(row(base.value));
      for (const d of derived) out.push(row(d, true));
    }
    fill(count, `${n} of ${statuses.length} values`);
    fill(rows, out);
  }

  text.addEventListener('input', render);
  state.addEventListener('change', render);
  model.addEventListener('change', render);

  return {
    async refresh() {
      const [list, records] = await Promise.all([
        get('/scheduler/status'),
        get('/scheduler/graph?format=raw'),
      ]);
      statuses = list.sort((a, b) => a.value.key.localeCompare(b.value.key));
      graph = build(records);
      const models = [...new Set([...graph.nodes.values()].map((n) => n.descriptor).filter(Boolean))].sort();
      const chosen = model.value || p.get('model') || '';
      fill(model, h('option', { value: '' }, 'any model'),
        models.map((d) => h('option', { value: d, selected: d === chosen }, d)));
      render();
    },
  };
}
