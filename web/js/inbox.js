/**
 * The inbox: the conversation list (In progress, Unassigned, History, Closed) with every
 * filter and its count, both sorts, search, endless scroll over the API's cursors, and
 * live updates from the stream; beside it the chat window and the workbench.
 */
import { ApiError, get, post, query } from './api.js';
import { announce, fill, h } from './dom.js';
import { t } from './i18n.js';
import { openChat, closeChat } from './chat.js';
import { renderRow, matchesRow, TOPICS } from './rows.js';
import { chatAccounts, emit, isOwner, on, state } from './state.js';
import { historyBar, historyParams } from './history_filters.js';

const PAGE = 50;
/** The most rows a list keeps as live updates add them. */
const MAX_ROWS = 300;
const FLAGS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'];

const list = {
  tab: null, sort: 'latest', q: '',
  filters: { unread: false, unreplied: false, expiring: false, has_order: false, flag: '', topic: '' },
  items: new Map(), order: [], cursor: null, loading: false, done: false, generation: 0,
  selected: null, counts: null, mine: null,
};
let els = null;
let unsubscribe = [];

/** Shows the inbox in `main`. */
export function showInbox(main) {
  list.tab = list.tab || (isOwner() ? 'all' : 'progress');
  els = {
    tabs: h('div', { class: 'tabs', role: 'tablist', 'aria-label': t('list.lists') }),
    filters: h('div', { class: 'filters', role: 'group', 'aria-label': t('list.filters') }),
    history: h('div', { class: 'history-bar' }),
    rows: h('ul', { class: 'rows', role: 'listbox', 'aria-label': t('list.conversations'), tabindex: 0 }),
    sentinel: h('li', { class: 'sentinel', 'aria-hidden': 'true' }),
    empty: h('p', { class: 'empty muted' }),
    chat: h('section', { class: 'chat-pane', 'aria-label': t('chat.label') }),
    bench: h('aside', { class: 'bench-pane', 'aria-label': t('bench.label') }),
  };
  const search = h('input', { type: 'search', id: 'search', placeholder: t('list.search'), 'aria-label': t('list.search'), value: list.q });
  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { list.q = search.value.trim(); reload(); }, 250);
  });
  const sort = h('select', { 'aria-label': t('list.sort') },
    h('option', { value: 'latest', selected: list.sort === 'latest' }, t('list.sortLatest')),
    h('option', { value: 'waiting', selected: list.sort === 'waiting' }, t('list.sortWaiting')),
    h('option', { value: 'urgent', selected: list.sort === 'urgent' }, t('list.sortUrgent')));
  sort.addEventListener('change', () => { list.sort = sort.value; reload(); });
  els.rows.addEventListener('keydown', listKeys);
  fill(main, h('div', { class: 'inbox' },
    h('section', { class: 'list-pane', 'aria-label': t('list.label') },
      els.tabs, h('div', { class: 'searchbar' }, search, sort), els.filters, els.history, els.empty, els.rows),
    els.chat, els.bench));
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { root: els.rows, rootMargin: '400px' }).observe(els.sentinel);
  unsubscribe.forEach((f) => f());
  unsubscribe = [on('event', onEvent), on('scope', reload), on('resync', reload), on('leave', leave)];
  closeChat(els.chat, els.bench);
  reload();
}

function leave() { unsubscribe.forEach((f) => f()); unsubscribe = []; }

function params(cursor) {
  const p = { sort: list.sort, q: list.q, limit: PAGE, cursor, shop_id: state.scope.shop, platform: state.scope.platform };
  if (list.tab === 'progress') Object.assign(p, { mine: true });
  if (list.tab === 'unassigned') Object.assign(p, { unassigned: true });
  if (list.tab === 'history') p.status = 'history';
  if (list.tab === 'closed') p.status = 'closed';
  for (const [k, v] of Object.entries(list.filters)) if (v) p[k] = v;
  return list.tab === 'history' ? historyParams(p) : p;
}

/** Reads the list again from its first page. */
export async function reload() {
  list.generation += 1;
  list.items.clear();
  list.order = [];
  list.cursor = null;
  list.done = false;
  fill(els.rows, els.sentinel);
  await loadMore();
}

async function loadMore() {
  if (list.loading || list.done || !els) return;
  list.loading = true;
  const generation = list.generation;
  try {
    const page = await get('/conversations' + query(params(list.cursor)));
    if (generation !== list.generation) return; // a newer reload asks again (below)
    list.counts = page.counts;
    list.mine = page.mine;
    for (const item of page.items) {
      if (list.items.has(item.id)) continue;
      list.items.set(item.id, item);
      list.order.push(item.id);
      els.rows.insertBefore(rowOf(item), els.sentinel);
    }
    list.cursor = page.next_cursor;
    list.done = !page.next_cursor;
    paintCounts();
    emit('counts', page);
  } catch (e) {
    announce(e.message);
    list.done = true;
  } finally {
    list.loading = false;
    if (generation !== list.generation) setTimeout(loadMore);
  }
  els.empty.textContent = list.order.length ? '' : t('list.empty');
  if (list.selected === null && list.order.length) select(list.order[0], false);
}

function rowOf(item) {
  return renderRow(item, {
    selected: item.id === list.selected,
    onOpen: () => open(item.id),
    onAssign: () => assignToMe(item.id),
  });
}

function paintCounts() {
  const c = list.counts || {}, m = list.mine || {};
  const showUnassigned = !state.scope.shop || chatAccounts(state.scope.shop) > 1;
  const tabs = [isOwner() && ['all', t('list.allOpen'), c.open], ['progress', t('list.inProgress'), m.in_progress],
    showUnassigned && ['unassigned', t('list.unassigned'), c.unassigned],
    ['history', t('list.history')], ['closed', t('list.closedTab')]].filter(Boolean);
  if (!showUnassigned && list.tab === 'unassigned') { list.tab = 'progress'; reload(); }
  fill(els.tabs, tabs.map(([id, label, n]) => h('button', {
    role: 'tab', 'aria-selected': String(list.tab === id), class: 'tab', dataset: { tab: id },
    onclick: () => { list.tab = id; reload(); },
  }, label, n !== undefined ? h('span', { class: 'count' }, n) : null)));
  const counts = list.tab === 'progress' ? m : c;
  els.tabs.dataset.tab = list.tab;
  const chip = (key, label) => h('button', {
    class: 'chip', 'aria-pressed': String(!!list.filters[key]), dataset: { filter: key },
    onclick: () => { list.filters[key] = !list.filters[key]; reload(); },
  }, label, h('span', { class: 'count' }, counts[key] ?? 0));
  const flag = h('select', { 'aria-label': t('list.flag'), class: 'flag-filter' },
    h('option', { value: '' }, t('list.flagAny', { n: counts.flagged ?? 0 })),
    FLAGS.map((f) => h('option', { value: f, selected: list.filters.flag === f },
      `${t('flag.' + f)} (${(counts.flags || {})[f] ?? 0})`)));
  flag.addEventListener('change', () => { list.filters.flag = flag.value; reload(); });
  // SH-TOPIC-2: the list filtered by a topic its conversations show.
  const topic = h('select', { 'aria-label': t('list.topic'), class: 'topic-filter' },
    h('option', { value: '' }, t('list.topicAny')),
    TOPICS.map((k) => h('option', { value: k, selected: list.filters.topic === k }, t('topic.' + k))));
  topic.addEventListener('change', () => { list.filters.topic = topic.value; reload(); });
  fill(els.filters, chip('unread', t('list.unread')), chip('unreplied', t('list.unreplied')),
    chip('expiring', t('list.expiring')), chip('has_order', t('list.hasOrder')), flag, topic);
  historyBar(els.history, list.tab === 'history', reload);
}

/** Selects a row (and opens it when `openIt`). */
function select(id, openIt) {
  const previous = els.rows.querySelector('.row.selected');
  if (previous) { previous.classList.remove('selected'); previous.setAttribute('aria-selected', 'false'); }
  list.selected = id;
  const row = document.getElementById('row-' + id);
  if (row) {
    row.classList.add('selected');
    row.setAttribute('aria-selected', 'true');
    els.rows.setAttribute('aria-activedescendant', row.id);
    row.scrollIntoView({ block: 'nearest' });
  }
  if (openIt) open(id);
}

function open(id) {
  select(id, false);
  const item = list.items.get(id);
  openChat(els.chat, els.bench, id, item);
}

async function assignToMe(id) {
  try {
    await post(`/conversations/${id}/assign`, { agent_id: state.me.id });
    announce(t('list.assigned'));
    open(id);
  } catch (e) {
    announce(e instanceof ApiError ? e.message : t('error.network'));
  }
}

function listKeys(event) {
  if (event.target !== els.rows) return;
  const index = list.order.indexOf(list.selected);
  const move = (to) => { event.preventDefault(); if (list.order[to]) select(list.order[to], false); };
  if (event.key === 'ArrowDown' || event.key === 'j') move(Math.min(index + 1, list.order.length - 1));
  else if (event.key === 'ArrowUp' || event.key === 'k') move(Math.max(index - 1, 0));
  else if (event.key === 'Enter' && list.selected) {
    event.preventDefault();
    const item = list.items.get(list.selected);
    if (item && item.state === 'unassigned') assignToMe(item.id); else open(list.selected);
  }
}

/** Applies a live event to the list. */
function onEvent(event) {
  if (event.type === 'breach_soon') {
    document.getElementById('row-' + event.conversation_id)?.classList.add('breach-soon');
    return;
  }
  if (event.type !== 'conversation_updated') return;
  const conversation = event.conversation;
  const known = list.items.get(conversation.id);
  if (known) {
    const item = { ...known, ...conversation };
    if (!matchesRow(item, list, state)) return removeRow(conversation.id);
    list.items.set(item.id, item);
    placeRow(item);
    refreshAllowed(item.id);
  } else if (matchesRow(conversation, list, state) && !list.q && !list.filters.expiring) {
    addFetched(conversation.id);
  }
  scheduleCounts();
}

async function addFetched(id) {
  try {
    const detail = await get('/conversations/' + id);
    const item = { ...detail.conversation, buyer_nickname: detail.buyer.nickname, allowed: detail.allowed };
    if (list.items.has(id) || !matchesRow(item, list, state)) return;
    list.items.set(id, item);
    placeRow(item);
  } catch { /* gone or hidden meanwhile */ }
}

const refreshing = new Map();
function refreshAllowed(id) {
  clearTimeout(refreshing.get(id));
  refreshing.set(id, setTimeout(async () => {
    refreshing.delete(id);
    try {
      const detail = await get('/conversations/' + id);
      const item = list.items.get(id);
      if (!item) return;
      item.allowed = detail.allowed;
      placeRow(item);
    } catch { /* gone */ }
  }, 300));
}

function sortKey(item) {
  // Most urgent first: the earliest next breach, then the rest newest first (as the API).
  if (list.sort === 'urgent') return item.next_breach_at ? -new Date(item.next_breach_at).getTime() : new Date(item.last_message_at).getTime() - 4e15;
  if (list.sort === 'waiting') return item.waiting_since ? -new Date(item.waiting_since).getTime() : -Infinity;
  return new Date(item.last_message_at).getTime();
}

/** Puts a row where the sort wants it (a new or changed conversation). */
function placeRow(item) {
  list.order = list.order.filter((id) => id !== item.id);
  const key = sortKey(item);
  let at = list.order.findIndex((id) => sortKey(list.items.get(id)) < key);
  if (at < 0) at = list.order.length;
  if (at === list.order.length && !list.done) { list.items.delete(item.id); document.getElementById('row-' + item.id)?.remove(); return; }
  list.order.splice(at, 0, item.id);
  document.getElementById('row-' + item.id)?.remove();
  const next = list.order[at + 1] ? document.getElementById('row-' + list.order[at + 1]) : els.sentinel;
  els.rows.insertBefore(rowOf(item), next);
  els.empty.textContent = '';
  if (list.sort === 'latest' && list.order.length > MAX_ROWS) trim(MAX_ROWS - PAGE);
}

/**
 * Drops the oldest rows of a list grown by live updates, so a tab left open all day
 * keeps a bounded page; scrolling down reads them again from the API's cursor.
 */
function trim(keep) {
  for (const id of list.order.splice(keep)) {
    list.items.delete(id);
    document.getElementById('row-' + id)?.remove();
  }
  const last = list.items.get(list.order[list.order.length - 1]);
  list.cursor = `${new Date(last.last_message_at).getTime()}.${last.id}`;
  list.done = false;
}

function removeRow(id) {
  list.items.delete(id);
  list.order = list.order.filter((x) => x !== id);
  document.getElementById('row-' + id)?.remove();
}

let countsTimer = null;
function scheduleCounts() {
  if (countsTimer) return;
  countsTimer = setTimeout(async () => {
    countsTimer = null;
    try {
      const page = await get('/conversations' + query({ ...params(null), limit: 1 }));
      list.counts = page.counts;
      list.mine = page.mine;
      paintCounts();
      emit('counts', page);
    } catch { /* next event retries */ }
  }, 1000);
}

/** Focus the list (Esc from the reply box). */
export function focusList() { els && els.rows.focus(); }

/** The list's state, for the keyboard module. */
export function selectedConversation() { return list.selected; }
