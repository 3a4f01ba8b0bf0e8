// Small DOM helpers: elements from tags, attributes and children (text is never parsed as HTML).

/** An element: `h('a', {href: '/ui/'}, 'Agent')`; `on*` attributes become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Escapes text for an SVG/HTML string built by hand (the graph, for speed). */
export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A state badge: `<span class="state state-pending">PENDING</span>`. */
export function badge(state) {
  const name = String(state || 'NONEXISTENT');
  return h('span', { class: `state state-${name.toLowerCase()}` }, name);
}

/** A link inside the page (routed without reloading). */
export function link(href, ...children) {
  return h('a', { href, 'data-nav': true }, ...children);
}

/** `12 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const parts = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  const out = [];
  let rest = s;
  for (const [unit, name] of parts) {
    if (rest >= unit || (unit === 1 && out.length === 0)) {
      out.push(`${Math.floor(rest / unit)} ${name}`);
      rest %= unit;
    }
    if (out.length === 2) break;
  }
  return out.join(' ');
}

/** A local date and time from Unix seconds or an RFC 3339 text. */
export function when(time) {
  const date = typeof time === 'number' ? new Date(time * 1000) : new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toLocaleString();
}

/** Pretty JSON in a `<pre>`. */
export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}
