// `/ui/`: the agent's state, build, uptime and each plugin's state.

import { get } from '../api.js';
import { duration, fill, h, when } from '../dom.js';

export const title = 'Agent';
export const topics = ['agent'];

/** The status check's states (numbers in the JSON, as upstream). */
export const STATES = ['INIT', 'OK', 'ERROR'];
const stateName = (n) => STATES[n] ?? String(n);

export function mount(root) {
  const summary = h('section', { class: 'summary' });
  const plugins = h('tbody');
  fill(root,
    h('h1', {}, 'Agent'),
    summary,
    h('h2', {}, 'Plugins'),
    h('table', { class: 'grid', id: 'plugins' },
      h('thead', {}, h('tr', {}, h('th', {}, 'plugin'), h('th', {}, 'state'),
        h('th', {}, 'since'), h('th', {}, 'error'))),
      plugins));
  let started = null;
  let skew = 0;
  const uptime = h('span', { id: 'uptime' });
  const tick = () => {
    if (started !== null) uptime.textContent = duration(Date.now() / 1000 + skew - started);
  };
  const clock = setInterval(tick, 1000);

  async function refresh() {
    const { status, plugins: names, now } = await get('/ui/api/agent');
    started = status.start_time;
    skew = now - Date.now() / 1000;
    tick();
    const state = stateName(status.state);
    fill(summary,
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'state'),
        h('div', { id: 'agent-state', class: `big state agent-${state.toLowerCase()}` }, state)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'uptime'),
        h('div', { class: 'big' }, uptime)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'build'),
        h('div', {}, status.build_version || '-'),
        h('div', { class: 'muted' }, `${status.commit_hash || ''} ${status.build_date || ''}`)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'started'),
        h('div', {}, when(status.start_time)),
        h('div', { class: 'muted' }, `last change ${when(status.last_change)}`)));
    // Plugins that report a status first (their state counts for the agent's), then the
    // others of the agent, which report none.
    const reported = new Set(status.plugins.map((p) => p.name));
    fill(plugins, status.plugins.map((p) => {
      const s = stateName(p.state);
      return h('tr', { dataset: { plugin: p.name } },
        h('td', {}, p.name),
        h('td', {}, h('span', { class: `state agent-${s.toLowerCase()}` }, s)),
        h('td', {}, when(p.last_change)),
        h('td', { class: 'error' }, p.error ?? ''));
    }), names.filter((n) => !reported.has(n)).map((n) => h('tr', { dataset: { plugin: n } },
      h('td', {}, n), h('td', { class: 'muted' }, 'no status reported'), h('td', {}), h('td', {}))));
  }

  return { refresh, unmount: () => clearInterval(clock) };
}
