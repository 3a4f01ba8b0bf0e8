// `/ui/programs`: the supervisor's programs with state and restarts; start, stop, restart.

import { get, post } from '../api.js';
import { duration, fill, h } from '../dom.js';

export const title = 'Programs';
export const topics = ['programs'];

export function mount(root, ctx) {
  const body = h('div');
  const note = h('span', { class: 'muted', id: 'program-note' });
  fill(root, h('h1', {}, 'Programs'), h('div', { class: 'toolbar' }, note), body);

  const action = (name, verb) => h('button', {
    type: 'button',
    dataset: { action: verb },
    onclick: async () => {
      try {
        await post(`/supervisor/programs/${encodeURIComponent(name)}/${verb}`);
        fill(note, `${verb}: ${name}`);
      } catch (error) {
        fill(note, error.message);
      }
      ctx.refresh();
    },
  }, verb);

  return {
    async refresh() {
      const { parts } = await get('/ui/api/agent');
      if (!parts.supervisor) {
        fill(body, h('p', { class: 'muted' },
          'The supervisor does not run in this agent (it starts with a supervisor.conf).'));
        return;
      }
      const programs = await get('/supervisor/programs');
      fill(body, h('table', { class: 'grid', id: 'programs' },
        h('thead', {}, h('tr', {}, ['program', 'state', 'status', 'pid', 'restarts', 'uptime',
          'last exit', ''].map((t) => h('th', {}, t)))),
        h('tbody', {}, programs.map((p) => h('tr', { dataset: { program: p.name } },
          h('td', {}, p.name),
          h('td', {}, h('span', { class: `state program-${String(p.state).toLowerCase()}` },
            p.state)),
          h('td', {}, typeof p.status === 'string' ? p.status : JSON.stringify(p.status)),
          h('td', {}, p.pid ?? ''),
          h('td', {}, p.restarts),
          h('td', {}, p.uptime_secs == null ? '' : duration(p.uptime_secs)),
          h('td', {}, p.last_exit ?? ''),
          h('td', { class: 'actions' }, action(p.name, 'start'), action(p.name, 'stop'),
            action(p.name, 'restart')))))));
    },
  };
}
