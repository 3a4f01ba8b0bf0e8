// The page: routes `/ui/<view>` to a view module, refreshes the view when the agent says
// that its data changed (server-sent events), shows sign-in and error banners.

import { AuthError, follow } from './api.js';
import { fill, h } from './dom.js';
import * as agent from './views/agent.js';
import * as loggers from './views/loggers.js';
import * as values from './views/values.js';
import * as graph from './views/graph.js';
import * as txnHistory from './views/history.js';
import * as programs from './views/programs.js';

const VIEWS = { agent, loggers, values, graph, history: txnHistory, programs };

/** The view of a path: `/ui/` is the agent, `/ui/<name>` the others. */
function viewOf(pathname) {
  const name = pathname.replace(/^\/ui\/?/, '').replace(/\/$/, '') || 'agent';
  return VIEWS[name] ? name : 'agent';
}

const root = document.getElementById('view');
const banner = document.getElementById('banner');
const live = document.getElementById('live');

let current = null; // { name, module, handle }
let refreshing = null;
let again = false;
let timer = null;
let refreshes = 0;

function showError(error) {
  if (error instanceof AuthError && error.status === 401) {
    fill(banner, 'This agent asks for credentials. ',
      h('a', { href: '/auth/login' }, 'Sign in'),
      ' (token authorization), or reload to enter the basic-auth user.');
  } else {
    fill(banner, error.message || String(error));
  }
  banner.hidden = false;
}

/** Refreshes the current view; calls while one runs coalesce into one more. */
async function refresh() {
  if (!current) return;
  if (refreshing) {
    again = true;
    return refreshing;
  }
  const { handle } = current;
  refreshing = (async () => {
    try {
      await handle.refresh();
      banner.hidden = true;
      refreshes += 1;
      document.body.dataset.refreshes = String(refreshes);
    } catch (error) {
      showError(error);
    } finally {
      refreshing = null;
    }
    if (again) {
      again = false;
      await refresh();
    }
  })();
  return refreshing;
}

/** A refresh soon: changes come in bursts (a transaction changes many values). */
function refreshSoon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, 100);
}

function navigate(href, { replace = false } = {}) {
  const url = new URL(href, location.href);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route();
}

function route() {
  const name = viewOf(location.pathname);
  current?.handle.unmount?.();
  const module = VIEWS[name];
  document.title = `${module.title} · cninfra agent`;
  document.body.dataset.view = name;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.dataset.view === name);
  }
  fill(root);
  const ctx = {
    params: new URLSearchParams(location.search),
    navigate,
    refresh,
  };
  current = { name, module, handle: module.mount(root, ctx) };
  refresh();
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[data-nav]');
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
    event.shiftKey || event.altKey) {
    return;
  }
  event.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', route);

follow((topic) => {
  if (topic === 'hello' || current?.module.topics.includes(topic)) refreshSoon();
}, (up) => {
  live.textContent = up ? 'live' : 'reconnecting';
  live.classList.toggle('up', up);
});

route();
