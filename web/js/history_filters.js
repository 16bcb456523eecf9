/**
 * The history filter bar (DY-HIST-1): in the History list, a date range (the
 * conversations going on within it), an agent (the main account picks any colleague, an
 * agent only themself) and a buyer's name or id, combined with the list's other filters
 * and search, with the number of conversations matching.
 */
import { h } from './dom.js';
import { t } from './i18n.js';
import { isOwner, on, state } from './state.js';

const chosen = { from: '', to: '', agent: '', buyer: '' };
let bar = null;
let count = null;
let reloadList = () => {};

/** A date input's day as the start of that day in the agent's browser, RFC 3339. */
function dayStart(day, plusDays = 0) {
  if (!day) return null;
  const d = new Date(day + 'T00:00:00');
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

/**
 * The list query `base` with the history filters. The daemon counts the matches (a
 * query) only when something narrows the list; otherwise the count is its counter.
 */
export function historyParams(base) {
  const p = {
    ...base,
    from: dayStart(chosen.from),
    // The `to` day is included: the range ends at the start of the next day.
    to: dayStart(chosen.to, 1),
    agent_id: chosen.agent || null,
    buyer: chosen.buyer.trim() || null,
  };
  const narrowed = ['q', 'unread', 'unreplied', 'expiring', 'has_order', 'flag', 'from', 'to', 'agent_id', 'buyer']
    .some((k) => p[k]);
  return narrowed ? { ...p, total: true } : p;
}

function agentOptions() {
  const agents = isOwner() ? [...state.agents.values()] : [state.me];
  return [h('option', { value: '' }, t('history.anyAgent')),
    ...agents.filter(Boolean).map((a) => h('option', { value: a.id, selected: chosen.agent === a.id }, a.nickname))];
}

function build() {
  let timer;
  const later = () => { clearTimeout(timer); timer = setTimeout(() => reloadList(), 300); };
  const input = (key, attrs) => {
    const el = h('input', { ...attrs, value: chosen[key], dataset: { history: key } });
    el.addEventListener(attrs.type === 'date' ? 'change' : 'input', () => {
      chosen[key] = el.value;
      if (attrs.type === 'date') reloadList(); else later();
    });
    return el;
  };
  const agent = h('select', { 'aria-label': t('history.agent'), dataset: { history: 'agent' } }, agentOptions());
  agent.addEventListener('change', () => { chosen.agent = agent.value; reloadList(); });
  count = h('span', { class: 'history-count', role: 'status', 'aria-live': 'polite' });
  const clear = h('button', { class: 'small', type: 'button', onclick: () => {
    Object.assign(chosen, { from: '', to: '', agent: '', buyer: '' });
    bar = null;
    reloadList();
  } }, t('history.clear'));
  return h('div', { class: 'history-filters', role: 'group', 'aria-label': t('history.label') },
    h('label', {}, t('history.from'), ' ', input('from', { type: 'date', 'aria-label': t('history.from') })),
    h('label', {}, t('history.to'), ' ', input('to', { type: 'date', 'aria-label': t('history.to') })),
    agent,
    input('buyer', { type: 'search', placeholder: t('history.buyer'), 'aria-label': t('history.buyer'), maxlength: 200 }),
    count, clear);
}

/**
 * Shows the filter bar in `container` while `shown` (the History list), built once so
 * typing keeps its focus across reloads; `reload` reads the list again.
 */
export function historyBar(container, shown, reload) {
  reloadList = reload;
  if (!shown) { container.replaceChildren(); return; }
  if (!bar) bar = build();
  if (bar.parentNode !== container) container.replaceChildren(bar);
}

on('counts', (page) => {
  if (!count) return;
  const n = page.total ?? (page.counts && page.counts.history);
  const key = page.total_more ? 'history.count_more' : 'history.count';
  count.textContent = n === undefined || n === null ? '' : t(key, { n });
});
