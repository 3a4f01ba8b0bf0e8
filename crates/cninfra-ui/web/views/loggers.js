// `/ui/loggers`: every logger with its level, changeable here (`PUT /log/{logger}/{level}`).

import { get, put } from '../api.js';
import { fill, h } from '../dom.js';

export const title = 'Loggers';
export const topics = [];

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'];

export function mount(root, ctx) {
  const rows = h('tbody');
  const filter = h('input', {
    type: 'search', placeholder: 'filter loggers', id: 'logger-filter',
    value: ctx.params.get('q') ?? '',
  });
  const note = h('span', { class: 'muted', id: 'logger-note' });
  let loggers = [];

  function render() {
    const text = filter.value.trim().toLowerCase();
    fill(rows, loggers.filter((l) => l.logger.toLowerCase().includes(text)).map((l) => {
      const select = h('select', {
        'aria-label': `level of ${l.logger}`,
        onchange: async () => {
          try {
            const answer = await put(
              `/log/${encodeURIComponent(l.logger)}/${encodeURIComponent(select.value)}`);
            l.level = answer.level;
            fill(note, `${answer.logger}: ${answer.level}`);
          } catch (error) {
            fill(note, error.message);
            select.value = l.level;
          }
        },
      }, LEVELS.map((level) => h('option', { value: level, selected: level === l.level }, level)));
      return h('tr', { dataset: { logger: l.logger } }, h('td', {}, l.logger), h('td', {}, select));
    }));
  }
  filter.addEventListener('input', () => {
    const url = new URL(location.href);
    if (filter.value) url.searchParams.set('q', filter.value);
    else url.searchParams.delete('q');
    history.replaceState(null, '', url);
    render();
  });

  fill(root, h('h1', {}, 'Loggers'), h('div', { class: 'toolbar' }, filter, note),
    h('table', { class: 'grid', id: 'loggers' },
      h('thead', {}, h('tr', {}, h('th', {}, 'logger'), h('th', {}, 'level'))), rows));

  return {
    async refresh() {
      loggers = await get('/log/list');
      loggers.sort((a, b) => a.logger.localeCompare(b.logger));
      render();
    },
  };
}
