/**
 * The chat window: the conversation's header with its actions (assign to me, transfer by
 * nickname, flag, mark unread, end, close, reopen, start a new chat), the messages with
 * their delivery status and retry, older pages on demand, and live messages; the reply
 * box below ([`reply.js`]) and the workbench beside ([`workbench.js`]).
 */
import { originalLabel, translationOf } from './translation.js';
import { ApiError, del, get, post, put, query } from './api.js';
import { announce, fill, h } from './dom.js';
import { t } from './i18n.js';
import { renderContent } from './content.js';
import { replyBox } from './reply.js';
import { agentName, on, shopName, state } from './state.js';
import { dateTime, shortTime } from './time.js';
import { showWorkbench } from './workbench.js';
import { policyBadge, rememberOverrides } from './compliance.js';
import { urgencyEl } from './urgency.js';

const FLAGS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple'];
let chat = null;
let stop = [];

/** Empties the chat window and the workbench. */
export function closeChat(pane, bench) {
  stop.forEach((f) => f());
  stop = [];
  if (chat && chat.reply) chat.reply.destroy();
  chat = null;
  fill(pane, h('p', { class: 'empty muted' }, t('chat.none')));
  fill(bench);
}

/** Opens conversation `id` in `pane`, its workbench in `bench`. */
export async function openChat(pane, bench, id) {
  closeChat(pane, bench);
  const me = { id, pane, bench, detail: null, messages: new Map(), data: new Map(), log: null, reply: null, prev: null };
  chat = me;
  try {
    const [detail, page] = await Promise.all([get('/conversations/' + id), get(`/conversations/${id}/messages?limit=50`)]);
    if (chat !== me) return;
    me.detail = detail;
    render(me, page);
    showWorkbench(bench, detail);
    if (detail.conversation.unread_count > 0) post(`/conversations/${id}/read`).catch(() => {});
  } catch (e) {
    fill(pane, h('p', { class: 'form-error', role: 'alert' }, e.message));
    return;
  }
  stop.push(on('event', (event) => onEvent(me, event)));
}

function render(me, page) {
  me.log = h('div', { class: 'messages', role: 'log', 'aria-label': t('chat.messages'), tabindex: 0 });
  me.prev = page.prev_cursor;
  me.older = h('button', { class: 'link older', onclick: () => loadOlder(me) }, t('chat.older'));
  me.older.hidden = !me.prev;
  me.log.append(me.older);
  rememberOverrides(page.policy_overrides);
  for (const m of page.items) appendMessage(me, m);
  me.reply = replyBox(me.detail, (message) => appendMessage(me, message));
  me.head = h('header', { class: 'chat-head', dataset: { id: me.id } });
  paintHead(me);
  fill(me.pane, me.head, me.log, me.reply.el);
  me.log.scrollTop = me.log.scrollHeight;
}

function paintHead(me) {
  const { conversation: c, buyer } = me.detail;
  fill(me.head,
    h('div', { class: 'chat-title' },
      h('h2', {}, buyer.nickname),
      buyer.language ? h('span', { class: 'badge lang', title: t('lang.buyer'), dataset: { lang: buyer.language } }, buyer.language) : null,
      h('span', { class: 'badge platform', dataset: { platform: c.platform } }, c.platform),
      h('span', { class: 'badge shop' }, shopName(c.shop_id)),
      h('span', { class: 'state', dataset: { state: c.state } }, t('state.' + c.state)),
      c.bot_active ? h('span', { class: 'badge bot-handling' }, t('bot.handling')) : null,
      c.assignee_id ? h('span', { class: 'assignee' }, t('chat.heldBy', { name: agentName(c.assignee_id) })) : null,
      me.detail.reply_route ? h('span', { class: 'route', dataset: { route: me.detail.reply_route } }, t('route.' + me.detail.reply_route)) : null,
      urgencyEl(me.detail.allowed && me.detail.allowed.deadlines)),
    h('div', { class: 'chat-actions', role: 'toolbar', 'aria-label': t('chat.actions') }, actions(me)));
}

function actions(me) {
  const c = me.detail.conversation;
  const act = (label, path, body, method = post) => h('button', { class: 'small', dataset: { action: path }, onclick: () => run(me, method, `/conversations/${c.id}/${path}`, body) }, label);
  const open = c.state === 'unassigned' || c.state === 'in_progress';
  const out = [];
  if (c.state === 'unassigned' || (open && c.assignee_id !== state.me.id)) out.push(act(t('chat.assignToMe'), 'assign', { agent_id: state.me.id }));
  if (open && c.assignee_id) out.push(transfer(me));
  out.push(flagMenu(me));
  out.push(act(t('chat.markUnread'), 'unread'));
  if (open) out.push(act(t('chat.end'), 'end'));
  if (c.state !== 'closed') out.push(act(t('chat.close'), 'close'));
  if (!open) out.push(act(t('chat.reopen'), 'reopen'));
  if (!open && me.detail.allowed.initiate.allowed) out.push(h('button', { class: 'small', onclick: () => me.reply.startNew() }, t('chat.startNew')));
  return out;
}

function transfer(me) {
  const c = me.detail.conversation;
  const listId = 'colleagues-' + c.id;
  const input = h('input', { list: listId, placeholder: t('chat.transferTo'), 'aria-label': t('chat.transferTo'), class: 'narrow-text' });
  const colleagues = [...state.agents.values()].filter((a) => a.id !== c.assignee_id && a.role !== 'operator');
  const go = () => input.value.trim() && run(me, post, `/conversations/${c.id}/transfer`, { nickname: input.value.trim() });
  input.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); go(); } });
  return h('span', { class: 'transfer' }, input,
    h('datalist', { id: listId }, colleagues.map((a) => h('option', { value: a.nickname }))),
    h('button', { class: 'small', onclick: go }, t('chat.transfer')));
}

function flagMenu(me) {
  const c = me.detail.conversation;
  const select = h('select', { 'aria-label': t('chat.flag') },
    h('option', { value: '' }, t('chat.noFlag')),
    FLAGS.map((f) => h('option', { value: f, selected: c.flag === f }, t('flag.' + f))));
  select.addEventListener('change', () => {
    if (select.value) run(me, put, `/conversations/${c.id}/flag`, { colour: select.value });
    else run(me, del, `/conversations/${c.id}/flag`);
  });
  return select;
}

async function run(me, method, path, body) {
  try {
    const conversation = await method(path, body);
    if (conversation && conversation.id === me.id) updateConversation(me, conversation);
    announce(t('chat.done'));
  } catch (e) {
    announce(e instanceof ApiError ? e.message : t('error.network'));
    me.reply.showError(e);
  }
}

async function updateConversation(me, conversation) {
  me.detail.conversation = { ...me.detail.conversation, ...conversation };
  try {
    const detail = await get('/conversations/' + me.id);
    if (chat !== me) return;
    me.detail = detail;
  } catch { /* keep what we have */ }
  paintHead(me);
  me.reply.update(me.detail);
}

async function loadOlder(me) {
  if (!me.prev) return;
  const page = await get(`/conversations/${me.id}/messages` + query({ before: me.prev, limit: 50 }));
  me.prev = page.prev_cursor;
  me.older.hidden = !me.prev;
  rememberOverrides(page.policy_overrides);
  const anchor = me.older.nextSibling;
  for (const m of page.items) if (!me.messages.has(m.id)) me.log.insertBefore(bubble(m, me), anchor);
}

function appendMessage(me, message, retried) {
  const known = me.data.get(message.id);
  // The stream may tell how a delivery ended before the reply's own answer says
  // "pending"; only a retry starts a settled delivery over.
  const settled = known && (known.delivery_status === 'delivered' || known.delivery_status === 'failed');
  if (settled && message.delivery_status === 'pending' && !retried) return;
  me.data.set(message.id, message);
  const existing = me.messages.get(message.id);
  const el = bubble(message, me);
  if (existing) existing.replaceWith(el); else me.log.append(el);
  me.messages.set(message.id, el);
  const nearBottom = me.log.scrollHeight - me.log.scrollTop - me.log.clientHeight < 200;
  if (nearBottom || message.direction === 'out') me.log.scrollTop = me.log.scrollHeight;
}

function bubble(m, me) {
  const who = m.sender_kind === 'agent' ? agentName(m.sender_agent_id) || t('sender.agent') : t('sender.' + m.sender_kind);
  return h('article', { class: `msg ${m.direction} ${m.sender_kind}`, id: 'msg-' + m.id, dataset: { kind: m.content.type, delivery: m.delivery_status || '' } },
    h('div', { class: 'msg-meta' }, h('span', { class: 'sender' }, who), h('time', { datetime: m.created_at, title: dateTime(m.created_at) }, shortTime(m.created_at)), policyBadge(m.id), langBadge(m)),
    h('div', { class: 'msg-meta' }, h('span', { class: 'sender' }, who), h('time', { datetime: m.created_at, title: dateTime(m.created_at) }, shortTime(m.created_at)), policyBadge(m.id)),
    originalLabel(m),
    renderContent(m.content),
    translationOf(m),
    m.direction === 'out' && m.delivery_status ? delivery(m, me) : null);
}

/** The language detected in a buyer's message, and its topic label (SH-TOPIC-1). */
function langBadge(m) {
  if (m.direction !== 'in') return null;
  const lang = m.detected_language
    ? h('span', { class: 'badge lang', title: t('lang.detected', { p: Math.round((m.language_confidence || 0) * 100) }), dataset: { lang: m.detected_language } }, m.detected_language)
    : null;
  const topic = m.topic ? h('span', { class: 'badge topic', dataset: { topic: m.topic } }, t('topic.' + m.topic)) : null;
  return lang || topic ? h('span', { class: 'msg-tags' }, lang, topic) : null;
}

function delivery(m, me) {
  const status = h('span', { class: 'delivery', dataset: { status: m.delivery_status } }, t('delivery.' + m.delivery_status));
  if (m.delivery_status !== 'failed') return h('div', { class: 'msg-status' }, status);
  const retry = h('button', { class: 'small', onclick: async () => {
    try { appendMessage(me, await post(`/conversations/${me.id}/messages/${m.id}/retry`), true); } catch (e) { me.reply.showError(e); }
  } }, t('delivery.retry'));
  return h('div', { class: 'msg-status' }, status, h('span', { class: 'delivery-error', role: 'alert' }, m.delivery_error || ''), retry);
}

function onEvent(me, event) {
  if (chat !== me) return;
  if ((event.type === 'message_created' || event.type === 'message_updated') && event.message.conversation_id === me.id) {
    appendMessage(me, event.message);
    // The conversation_updated event that follows refreshes the header and reply box.
    if (event.type === 'message_created' && event.message.direction === 'in' && document.visibilityState === 'visible') {
      post(`/conversations/${me.id}/read`).catch(() => {});
    }
  } else if (event.type === 'conversation_updated' && event.conversation.id === me.id) {
    updateConversation(me, event.conversation);
  }
}

/** Focuses the reply box of the open conversation. */
export function focusReply() { if (chat && chat.reply) chat.reply.focus(); }

/** Ends the open conversation (Shift+E). */
export function endOpen() {
  const c = chat && chat.detail && chat.detail.conversation;
  if (c && (c.state === 'unassigned' || c.state === 'in_progress')) run(chat, post, `/conversations/${c.id}/end`);
}
