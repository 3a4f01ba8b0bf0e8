// `/ui/history`: the KVScheduler's transactions, newest first, with operations and errors.

import { get, q } from '../api.js';
import { badge, fill, h, link, when } from '../dom.js';

export const title = 'History';
export const topics = ['values'];

/** How many transactions the timeline shows. */
const SHOWN = 200;

function op(o) {
  const flags = ['isDerived', 'isRevert', 'isRetry', 'isRecreate', 'noop']
    .filter((f) => o[f]).map((f) => f.replace(/^is/, '').toLowerCase());
  return h('li', { class: o.newErrMsg ? 'op failed' : 'op' },
    h('code', {}, o.operation), ' ',
    link(`/ui/graph?${q({ key: o.key })}`, o.key), ' ',
    o.prevState ? badge(o.prevState) : '', o.prevState ? ' → ' : '', badge(o.newState),
    flags.length ? h('span', { class: 'muted' }, ` (${flags.join(', ')})`) : '',
    o.newErrMsg ? h('div', { class: 'error' }, o.newErrMsg) : '');
}

function txn(t) {
  const ms = (new Date(t.stop) - new Date(t.start)) || 0;
  const failed = t.executed.some((o) => o.newErrMsg);
  return h('li', { class: failed ? 'txn failed' : 'txn', dataset: { seq: t.seqNum } },
    h('div', { class: 'txn-head' },
      h('strong', {}, `#${t.seqNum}`), ' ',
      h('span', { class: 'muted' }, when(t.start)), ' ',
      h('code', {}, t.txnType), t.resyncType ? h('code', {}, ` ${t.resyncType}`) : '', ' ',
      t.description ?? '', ' ',
      h('span', { class: 'muted' }, `${t.values.length} values, ${t.executed.length} operations, ${ms} ms`),
      ' ', link(`/ui/graph?${q({ txn: t.seqNum })}`, 'show in graph')),
    t.executed.length ? h('ul', { class: 'ops' }, t.executed.map(op)) : '');
}

export function mount(root) {
  const list = h('ol', { class: 'timeline', id: 'txns' });
  const note = h('p', { class: 'muted' });
  fill(root, h('h1', {}, 'Transaction history'), note, list);
  return {
    async refresh() {
      const txns = await get('/scheduler/txn-history');
      const shown = txns.slice(-SHOWN).reverse();
      fill(note, `${txns.length} transactions recorded${txns.length > SHOWN ? `, the last ${SHOWN} shown` : ''}.`);
      fill(list, shown.map(txn));
    },
  };
}
