/**
 * The reply box. It knows before the agent types what the rules allow: a refused reply
 * disables it and shows the rule ID, the reason in plain words and when the window
 * closed; an open window shows when it closes. It sends text, images, products (several
 * at once where the platform shares lists, at most its limit) and coupons where the
 * shop's rules allow those kinds, and starts a new chat where the rules allow one.
 */
import { ApiError, get, post } from './api.js';
import { h, fill } from './dom.js';
import { t } from './i18n.js';
import { on } from './state.js';
import { dateTime, span, until } from './time.js';
import { focusList } from './inbox.js';
import { ratingButton } from './rating.js';
import { quickReplyPicker } from './quick_replies.js';
import { complianceGuard } from './compliance.js';
import { translationBar } from './translation.js';

const rulesOf = new Map();

/** The effective rules of a shop, asked once. */
function shopRules(shopId) {
  if (!rulesOf.has(shopId)) rulesOf.set(shopId, get(`/shops/${shopId}/rules`).then((r) => r.rules).catch(() => null));
  return rulesOf.get(shopId);
}

/** A reply box for a conversation; `onSent(message)` gets each stored reply. */
export function replyBox(detail, onSent) {
  let current = detail;
  let rules = null;
  let mode = 'reply';
  const products = [];
  const text = h('textarea', { id: 'reply', rows: 3, 'aria-label': t('reply.label'), placeholder: t('reply.placeholder') });
  const picker = quickReplyPicker(text, () => current.conversation);
  const notice = h('p', { class: 'reply-notice', role: 'status' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const chips = h('div', { class: 'attachments' });
  const tools = h('div', { class: 'reply-tools' });
  const send = h('button', { class: 'primary', onclick: submit }, t('reply.send'));
  const guard = complianceGuard(text, () => current.conversation.id);
  const translate = translationBar(text, detail.conversation.id);
  const el = h('footer', { class: 'reply' }, notice, chips, text, translate.el, picker.el, h('div', { class: 'reply-bar' }, tools, error, send), guard.el);
  const stopShare = on('share-product', addProduct);

  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    if (e.key === 'Escape') { e.preventDefault(); focusList(); }
  });
  shopRules(detail.conversation.shop_id).then((r) => { rules = r; paintTools(); });
  paint();

  function permission() {
    return mode === 'new' ? current.allowed.initiate : current.allowed.reply;
  }

  function paint() {
    const p = permission();
    const blocked = !p.allowed;
    text.disabled = blocked;
    send.disabled = blocked;
    el.classList.toggle('blocked', blocked);
    if (blocked) {
      const r = p.refusal || {};
      fill(notice, h('strong', { class: 'rule' }, r.rule || ''), ' ', r.message || t('reply.refused'),
        r.window_closed_at ? h('span', { class: 'closed-at' }, ' ', t('reply.closedAt', { date: dateTime(r.window_closed_at) })) : null);
    } else if (p.deadline) {
      fill(notice, t('reply.openUntil', { date: dateTime(p.deadline), span: span(until(p.deadline)) }));
    } else {
      fill(notice, mode === 'new' ? t('reply.newChat') : '');
    }
  }

  function allows(kind) {
    const k = rules && rules.outbound_kinds;
    return !k || k.allowed.includes(kind);
  }

  function maxProducts() {
    const limit = rules && rules.limits && rules.limits.products_per_share;
    return limit ? limit : null;
  }

  function paintTools() {
    const out = [];
    if (allows('image')) out.push(h('button', { class: 'small', dataset: { tool: 'image' }, onclick: () => askUrl('image') }, t('reply.image')));
    if (allows('coupon_card')) out.push(h('button', { class: 'small', dataset: { tool: 'coupon' }, onclick: askCoupon }, t('reply.coupon')));
    if (allows('product_card') || allows('product_list')) out.push(h('span', { class: 'muted small-text' }, t('reply.productsHint')));
    out.push(ratingButton(() => current, rules, onSent, showError));
    fill(tools, out);
  }

  function addProduct(product) {
    error.textContent = '';
    const limit = maxProducts();
    if (!allows('product_list') && products.length >= 1) products.length = 0;
    if (limit && products.length >= limit.max) {
      error.textContent = t('reply.tooManyProducts', { max: limit.max, rule: limit.rule });
      return;
    }
    if (!products.some((p) => p.product_id === product.product_id)) products.push(product);
    paintChips();
    text.focus();
  }

  function paintChips() {
    fill(chips, products.map((p, i) => h('span', { class: 'chip' }, p.title,
      h('button', { class: 'link', 'aria-label': t('reply.remove', { title: p.title }), onclick: () => { products.splice(i, 1); paintChips(); } }, '×'))));
  }

  function askUrl(kind) {
    const url = prompt(t('reply.imageUrl'));
    if (url) deliver({ type: kind, url: url.trim() });
  }

  function askCoupon() {
    const code = prompt(t('reply.couponCode'));
    if (code) deliver({ type: 'coupon_card', code: code.trim() });
  }

  function content() {
    const words = text.value.trim();
    if (products.length > 1 || (products.length === 1 && allows('product_list') && !allows('product_card'))) {
      return { type: 'product_list', products: [...products], ...(words ? { text: words } : {}) };
    }
    if (products.length === 1) return { type: 'product_card', ...products[0] };
    return words ? { type: 'text', text: words } : null;
  }

  async function submit() {
    const body = content();
    if (!body || send.disabled || picker.blocks()) return;
    const sent = await deliver(body);
    if (sent && products.length === 1 && body.type === 'product_card' && text.value.trim()) await deliver({ type: 'text', text: text.value.trim() });
    if (sent) { text.value = ''; products.length = 0; paintChips(); picker.reset(); guard.reset(); translate.reset(); }
  }

  async function deliver(body) {
    error.textContent = '';
    send.disabled = true;
    try {
      const c = current.conversation;
      if (mode === 'new') {
        const outreach = await post(`/shops/${c.shop_id}/buyers/${c.buyer_id}/conversations`, { content: body, ...guard.fields() });
        outreach.messages.forEach((m) => { guard.sent(m); onSent(m); });
        mode = 'reply';
      } else {
        const translated = body.type === 'text' ? translate.fields() : {};
        const message = await post(`/conversations/${c.id}/messages`, { content: body, ...guard.fields(), ...translated });
        guard.sent(message);
        onSent(message);
      }
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.code === 'policy_warning') { guard.refused(e.findings || [], submit); return false; }
      showError(e);
      return false;
    } finally {
      paint();
    }
  }

  function showError(e) {
    if (!(e instanceof ApiError)) { error.textContent = t('error.network'); return; }
    error.textContent = e.rule ? `${e.rule}: ${e.message}` : e.message;
  }

  return {
    el,
    focus() { if (!text.disabled) text.focus(); else notice.focus(); },
    update(next) { current = next; paint(); },
    showError,
    startNew() { mode = 'new'; paint(); text.focus(); },
    destroy: stopShare,
  };
}
