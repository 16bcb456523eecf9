/**
 * Every kind of message content, rendered: text, emoji, image, video, product and
 * product-list cards, order and coupon cards, cart events, rating cards, system notices
 * and automatic replies with their quick actions. Links open only over http(s).
 */
import { h } from './dom.js';
import { t } from './i18n.js';

function safeUrl(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  } catch { return null; }
}

function link(url, label) {
  const href = url && safeUrl(url);
  return href ? h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label) : h('span', {}, label);
}

const RENDER = {
  text: (c) => h('p', { class: 'text' }, c.text),
  emoji: (c) => h('p', { class: 'emoji', 'aria-label': t('content.emoji') }, c.code),
  image: (c) => { const src = safeUrl(c.url); return src ? h('a', { href: src, target: '_blank', rel: 'noopener noreferrer' }, h('img', { src, alt: t('content.image'), loading: 'lazy' })) : h('p', {}, t('content.image')); },
  video: (c) => { const src = safeUrl(c.url); return src ? h('video', { src, controls: true, preload: 'metadata' }) : h('p', {}, t('content.video')); },
  product_card: (c) => card('product', t('content.product'), link(c.url, c.title), h('small', {}, c.product_id)),
  product_list: (c) => card('products', t('content.products'), c.text ? h('p', {}, c.text) : null,
    h('ul', {}, c.products.map((p) => h('li', {}, link(p.url, p.title))))),
  order_card: (c) => card('order', t('content.order'), h('strong', {}, c.order_id), c.status ? h('span', { class: 'status' }, c.status) : null),
  coupon_card: (c) => card('coupon', t('content.coupon'), h('strong', {}, c.code), c.title ? h('span', {}, c.title) : null,
    c.scope ? h('small', {}, t('content.scope.' + c.scope)) : null),
  cart_event: (c) => card('cart', t('content.cart.' + c.action), h('ul', {}, c.lines.map((l) => h('li', {}, `${l.quantity}× ${l.product_name || t('content.unnamed')}`))),
    h('span', {}, t('content.subtotal', { amount: c.subtotal }))),
  rating_card: (c) => card('rating', t('content.rating'), c.score === undefined || c.score === null
    ? h('span', {}, t('content.ratingInvite')) : h('span', { 'aria-label': t('content.score', { score: c.score }) }, '★'.repeat(c.score) + '☆'.repeat(Math.max(0, 5 - c.score))),
    c.comment ? h('p', { class: 'rating-comment' }, c.comment) : null),
  system_notice: (c) => h('p', { class: 'notice' }, c.text),
  auto_reply: (c) => card('auto', t('content.autoReply'), h('p', {}, c.text),
    c.actions.length ? h('ul', { class: 'quick' }, c.actions.map((a) => h('li', {}, `${a.title} (${a.type})`))) : null),
};

function card(kind, title, ...body) {
  return h('div', { class: 'card', dataset: { card: kind } }, h('div', { class: 'card-title' }, title), ...body);
}

/** The element of a message's content. */
export function renderContent(content) {
  const render = RENDER[content.type];
  return render ? render(content) : h('p', { class: 'muted' }, t('content.unknown', { type: content.type }));
}
