/**
 * The quick-reply picker of the reply box (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1). Typing
 * `/` at the start of the box or after a space opens a list of the agent's own quick
 * replies and the shop's, grouped, filtered by what follows the `/`; ↑/↓ move, Enter or
 * Tab choose, Esc closes. Choosing asks the daemon to render the reply for this
 * conversation (the buyer's language, variables filled) and puts the text in the box,
 * editable: nothing is sent. A variable the conversation could not fill stays as
 * `{name}`, is selected in the box and named in a warning, and the box does not send
 * while one is left (the daemon refuses it too: `unfilled_variable`).
 */
import { ApiError, get } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';

/** The variables a quick reply may hold, as `{name}`. */
export const VARIABLES = ['buyer_name', 'order_id', 'order_status', 'tracking_number', 'product_name', 'shop_name', 'agent_nickname'];

const PLACEHOLDER = new RegExp(`\\{(${VARIABLES.join('|')})\\}`, 'g');

/** The variables still written as placeholders in `value`, once each. */
export function placeholders(value) {
  return [...new Set([...value.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** Whether a quick reply matches what was typed after `/` (case-insensitive, partial). */
function matches(reply, query) {
  if (!query) return true;
  const q = query.toLowerCase();
  return [reply.title, reply.group, reply.text, ...reply.translations.map((x) => x.text)]
    .some((s) => s && s.toLowerCase().includes(q));
}

/**
 * Attaches the picker to the reply box's `textarea`; `conversation()` names the
 * conversation replies are rendered for. Create it before the box's own key handler,
 * so the picker's keys come first.
 */
export function quickReplyPicker(text, conversation) {
  const list = h('ul', { class: 'qr-picker', role: 'listbox', id: 'qr-picker', 'aria-label': t('qr.picker'), hidden: true });
  const info = h('p', { class: 'qr-info', role: 'status' });
  const warning = h('p', { class: 'qr-unfilled', role: 'alert', hidden: true });
  const el = h('div', { class: 'qr' }, list, info, warning);
  let replies = [];
  let loading = null;
  let shown = [];
  let active = 0;
  let token = null;

  text.setAttribute('aria-controls', 'qr-picker');
  text.addEventListener('keydown', onKey);
  text.addEventListener('input', () => { follow(); check(); });
  text.addEventListener('blur', () => setTimeout(close, 150));

  /** The `/query` the caret is in: its start, end and query, or null. */
  function slashToken() {
    const caret = text.selectionStart;
    if (caret !== text.selectionEnd) return null;
    const m = /(^|\s)\/([^\s/]*)$/.exec(text.value.slice(0, caret));
    return m ? { start: caret - m[2].length - 1, end: caret, query: m[2] } : null;
  }

  async function follow() {
    const next = slashToken();
    if (!next) { close(); return; }
    if (!token) loading = null; // each opening asks again: the sets may have changed
    token = next;
    if (!loading) {
      list.hidden = false;
      fill(list, h('li', { class: 'muted' }, t('data.loading')));
      const c = conversation();
      loading = get(`/quick_replies?shop_id=${c.shop_id}`).catch(() => []);
    }
    replies = await loading;
    if (token) paint();
  }

  function paint() {
    shown = replies.filter((r) => matches(r, token.query));
    active = Math.min(active, Math.max(shown.length - 1, 0));
    const items = [];
    let heading = null;
    shown.forEach((r, i) => {
      const set = r.shop_id ? t('qr.shopSet') : t('qr.ownSet');
      const group = `${set}${r.group ? ' · ' + r.group : ''}`;
      if (group !== heading) { heading = group; items.push(h('li', { class: 'qr-group', role: 'presentation' }, group)); }
      items.push(h('li', {
        role: 'option', id: `qr-option-${i}`, class: 'qr-option', 'aria-selected': i === active ? 'true' : 'false',
        dataset: { id: r.id }, onmousedown: (e) => { e.preventDefault(); choose(r); },
      }, h('strong', {}, r.title), h('span', { class: 'qr-text' }, r.text)));
    });
    fill(list, items.length ? items : h('li', { class: 'muted' }, t('qr.none')));
    list.hidden = false;
    text.setAttribute('aria-activedescendant', shown.length ? `qr-option-${active}` : '');
    const option = list.querySelector('[aria-selected="true"]');
    if (option) option.scrollIntoView({ block: 'nearest' });
  }

  function close() {
    token = null;
    active = 0;
    list.hidden = true;
    text.removeAttribute('aria-activedescendant');
  }

  function onKey(e) {
    if (!token || e.isComposing) return;
    const keys = {
      ArrowDown: () => { active = (active + 1) % Math.max(shown.length, 1); paint(); },
      ArrowUp: () => { active = (active - 1 + shown.length) % Math.max(shown.length, 1); paint(); },
      Enter: () => { if (shown[active]) choose(shown[active]); else close(); },
      Tab: () => { if (shown[active]) choose(shown[active]); else close(); },
      Escape: close,
    };
    const act = keys[e.key];
    if (!act || (e.key === 'Enter' && e.shiftKey)) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    act();
  }

  async function choose(reply) {
    const at = token;
    close();
    if (!at) return;
    const c = conversation();
    let rendered;
    try {
      rendered = await get(`/conversations/${c.id}/quick_replies/${reply.id}/render`);
    } catch (e) {
      info.textContent = e instanceof ApiError ? e.message : t('error.network');
      return;
    }
    const before = text.value.slice(0, at.start);
    text.value = before + rendered.text + text.value.slice(at.end);
    const end = before.length + rendered.text.length;
    text.focus();
    info.textContent = rendered.language ? t('qr.version', { language: rendered.language }) : '';
    check();
    // Select the first unfilled variable, so typing replaces it.
    const first = rendered.unfilled.length ? text.value.indexOf(`{${rendered.unfilled[0]}}`, before.length) : -1;
    if (first >= 0) text.setSelectionRange(first, first + rendered.unfilled[0].length + 2);
    else text.setSelectionRange(end, end);
  }

  function check() {
    const left = placeholders(text.value);
    warning.hidden = !left.length;
    text.classList.toggle('qr-has-unfilled', left.length > 0);
    fill(warning, left.length ? [t('qr.unfilled'), ' ', left.map((n) => h('code', { class: 'qr-var' }, `{${n}}`))] : []);
  }

  return {
    el,
    /** Whether the box still holds a placeholder (then it must not send). */
    blocks() { check(); return !warning.hidden; },
    /** Forgets the loaded replies and the warnings (another conversation, a sent reply). */
    reset() { loading = null; info.textContent = ''; close(); check(); },
  };
}
