/**
 * One row of the conversation list: platform and shop badges, the buyer, a preview, the
 * unread badge, how long the buyer has waited, the most urgent deadline in words and a
 * live countdown to the next deadline the rules give; and whether a changed conversation
 * still belongs in the list.
 */
import { h } from './dom.js';
import { t } from './i18n.js';
import { shopName } from './state.js';
import { shortTime, since, span, until } from './time.js';
import { tickUrgency, urgencyEl } from './urgency.js';

/** The row of a list item. */
/** The ten topics of customer messages (SH-TOPIC-1), in the API's names. */
export const TOPICS = ['checkout', 'order_edits', 'order_status', 'pricing_discounts', 'product_details',
  'product_interest', 'returns', 'shipping', 'store_information', 'wholesale'];

/** A conversation's topic chips: at most two, the latest first (SH-TOPIC-2). */
function topicChips(topics) {
  return (topics || []).slice(0, 2).map((k) =>
    h('span', { class: 'badge topic', dataset: { topic: k } }, t('topic.' + k)));
}

export function renderRow(item, { selected, onOpen, onAssign }) {
  const deadline = item.allowed && item.allowed.reply && item.allowed.reply.deadline;
  const refused = item.allowed && item.allowed.reply && !item.allowed.reply.allowed;
  const timer = item.allowed && item.allowed.next_timer;
  const row = h('li', {
    id: 'row-' + item.id, role: 'option', class: 'row' + (selected ? ' selected' : '') + (item.unread_count > 0 ? ' unread' : ''),
    'aria-selected': String(!!selected), dataset: { id: item.id, state: item.state, shop: item.shop_id, platform: item.platform },
    onclick: (e) => { if (!e.target.closest('button')) onOpen(); },
  },
  h('div', { class: 'row-top' },
    h('span', { class: 'badge platform', dataset: { platform: item.platform } }, item.platform),
    h('span', { class: 'badge shop' }, shopName(item.shop_id)),
    item.bot_active ? h('span', { class: 'badge bot-handling' }, t('bot.handling')) : null,
    item.flag ? h('span', { class: 'flag', dataset: { flag: item.flag }, title: t('flag.' + item.flag) }, '⚑') : null,
    ...topicChips(item.topics),
    h('time', { class: 'when', datetime: item.last_message_at }, shortTime(item.last_message_at))),
  h('div', { class: 'row-mid' },
    h('span', { class: 'row-buyer' }, item.buyer_nickname || t('chat.buyer')),
    item.unread_count > 0 ? h('span', { class: 'unread-badge', 'aria-label': t('list.unreadN', { n: item.unread_count }) }, item.unread_count) : null),
  h('div', { class: 'row-preview' }, item.preview || ''),
  h('div', { class: 'row-bottom' },
    item.allowed && item.allowed.deadlines && item.allowed.deadlines.length ? urgencyEl(item.allowed.deadlines) : null,
    item.waiting_since ? h('span', { class: 'waiting', dataset: { since: item.waiting_since } }, waitingText(item.waiting_since)) : null,
    deadline ? h('span', { class: 'deadline', dataset: { deadline } }, deadlineText(deadline)) : null,
    timer ? h('span', { class: 'timer', title: timer.rule, dataset: { timer: timer.due_at, then: timer.then } }, timerText(timer.due_at, timer.then)) : null,
    refused ? h('span', { class: 'refused', title: item.allowed.reply.refusal.message }, item.allowed.reply.refusal.rule) : null,
    item.state === 'unassigned' ? h('button', { class: 'small', onclick: onAssign }, t('list.assignToMe')) : null));
  return row;
}

function waitingText(iso) { return t('list.waiting', { span: span(since(iso)) }); }

function deadlineText(iso) {
  const left = until(iso);
  return left > 0 ? t('list.closesIn', { span: span(left) }) : t('list.closed');
}

function timerText(iso, then) {
  return t(then === 'close' ? 'list.autoClose' : 'list.autoEnd', { span: span(Math.max(0, until(iso))) });
}

/** Ticks every waiting time and countdown on the page, once a second. */
export function tick() {
  for (const el of document.querySelectorAll('[data-timer]')) el.textContent = timerText(el.dataset.timer, el.dataset.then);
  for (const el of document.querySelectorAll('[data-since]')) el.textContent = waitingText(el.dataset.since);
  for (const el of document.querySelectorAll('[data-deadline]')) {
    el.textContent = deadlineText(el.dataset.deadline);
    el.classList.toggle('urgent', until(el.dataset.deadline) < 3600 * 1000);
  }
  tickUrgency();
}
setInterval(tick, 1000);

/** Whether a conversation belongs in the list as it is filtered now. */
export function matchesRow(c, list, state) {
  const open = c.state === 'unassigned' || c.state === 'in_progress';
  if (list.tab === 'all' && !open) return false;
  if (list.tab === 'progress' && !(open && c.assignee_id === state.me.id)) return false;
  if (list.tab === 'unassigned' && (c.state !== 'unassigned' || c.bot_active)) return false;
  if (list.tab === 'history' && c.state !== 'ended') return false;
  if (list.tab === 'closed' && c.state !== 'closed') return false;
  if (state.scope.shop && c.shop_id !== state.scope.shop) return false;
  if (state.scope.platform && c.platform !== state.scope.platform) return false;
  const f = list.filters;
  if (f.unread && !(c.unread_count > 0)) return false;
  if (f.unreplied && !c.waiting_since) return false;
  if (f.has_order && !c.has_order) return false;
  if (f.flag && c.flag !== f.flag) return false;
  if (f.topic && !(c.topics || []).slice(0, 2).includes(f.topic)) return false;
  return true;
}
