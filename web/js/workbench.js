/**
 * The workbench beside the chat: the customer panel (SH-PROFILE-1), the buyer's orders
 * and the shop's products as the platform tells them (TT-WB-1), product search to share
 * one in the reply (DY-PROD-1), and the internal notes on the buyer (SH-NOTE-1), never
 * shown to the buyer.
 */
import { del, get, post, put, query } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { agentName, emit } from './state.js';
import { dateTime } from './time.js';

/** Shows the workbench of a conversation (`detail` from the API) in `pane`. */
export async function showWorkbench(pane, detail) {
  const customer = h('section', { class: 'bench-part', 'aria-label': t('bench.customer') }, h('h3', {}, t('bench.customer')));
  const orders = h('section', { class: 'bench-part', 'aria-label': t('bench.orders') }, h('h3', {}, t('bench.orders')));
  const products = h('section', { class: 'bench-part', 'aria-label': t('bench.products') }, h('h3', {}, t('bench.products')));
  const notes = h('section', { class: 'bench-part', 'aria-label': t('bench.notes') }, h('h3', {}, t('bench.notes')));
  fill(pane, customer, orders, products, notes);
  const id = detail.conversation.id;
  get(`/conversations/${id}/customer`).then((c) => paintCustomer(customer, c), (e) => problem(customer, e.message));
  get(`/conversations/${id}/workbench`).then((w) => { paintOrders(orders, w); paintProducts(products, detail, w.products); }, (e) => problem(orders, e.message));
  paintNotes(notes, detail.buyer);
}

function problem(section, message) { section.append(h('p', { class: 'muted' }, message)); }

function row(label, value) {
  return value === null || value === undefined || value === '' ? null : h('div', { class: 'kv' }, h('dt', {}, label), h('dd', {}, value));
}

function paintCustomer(section, c) {
  section.append(h('dl', {},
    row(t('bench.name'), c.buyer.nickname),
    row(t('bench.kind'), c.returning ? t('bench.returning') : t('bench.new')),
    row(t('bench.email'), c.buyer.email),
    row(t('bench.phone'), c.phone),
    row(t('bench.location'), c.location),
    row(t('bench.localTime'), c.local_time ? new Date(c.local_time).toLocaleTimeString([], { timeZone: c.time_zone || undefined, timeStyle: 'short' }) : null),
    row(t('bench.language'), c.buyer.language),
    row(t('bench.since'), c.customer_since ? dateTime(c.customer_since) : null),
    row(t('bench.spent'), c.total_spent),
    row(t('bench.ordersCount'), c.orders_count),
    row(t('bench.entry'), c.entry_point ? t('entry.' + c.entry_point) : null)));
}

function paintOrders(section, w) {
  section.append(h('p', { class: 'muted small-text' }, t('bench.source.' + w.orders_source)));
  if (!w.orders.length) section.append(h('p', { class: 'muted' }, t('bench.noOrders')));
  section.append(h('ul', { class: 'orders' }, w.orders.map((o) => h('li', {},
    h('strong', {}, o.name || o.external_id), ' ', o.status ? h('span', { class: 'status' }, o.status) : null,
    o.total ? h('span', {}, ' · ', o.total) : null,
    o.created_at_ms ? h('small', {}, ' · ', dateTime(new Date(o.created_at_ms).toISOString())) : null,
    o.reverse_in_progress ? h('span', { class: 'badge warn' }, t('bench.reverse')) : null))));
  for (const p of w.problems || []) problem(section, `${p.part}: ${p.message}`);
}

function paintProducts(section, detail, initial) {
  const list = h('ul', { class: 'products' });
  const search = h('input', { type: 'search', placeholder: t('bench.productSearch'), 'aria-label': t('bench.productSearch') });
  const show = (items) => fill(list, items.length ? items.map((p) => h('li', {},
    p.image_url ? h('img', { src: p.image_url, alt: '', loading: 'lazy', class: 'thumb' }) : null,
    h('span', { class: 'title' }, p.title), p.price ? h('small', {}, ' ', p.price) : null,
    h('button', { class: 'small', onclick: () => emit('share-product', { product_id: p.external_id, title: p.title, ...(p.url ? { url: p.url } : {}), ...(p.image_url ? { image_url: p.image_url } : {}), ...(p.price ? { price: p.price } : {}) }) }, t('bench.share'))))
    : h('li', { class: 'muted' }, t('bench.noProducts')));
  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const page = await get(`/shops/${detail.conversation.shop_id}/products` + query({ q: search.value.trim(), limit: 20 }));
        show(page.products);
      } catch (e) { fill(list, h('li', { class: 'muted' }, e.message)); }
    }, 300);
  });
  section.append(search, list);
  show(initial || []);
}

async function paintNotes(section, buyer) {
  const list = h('ul', { class: 'notes' });
  const input = h('textarea', { rows: 2, 'aria-label': t('bench.newNote'), placeholder: t('bench.newNote') });
  const add = h('button', { class: 'small', onclick: async () => {
    if (!input.value.trim()) return;
    await post(`/buyers/${buyer.id}/notes`, { body: input.value.trim() });
    input.value = '';
    load();
  } }, t('bench.addNote'));
  section.append(list, input, add);
  async function load() {
    const notes = await get(`/buyers/${buyer.id}/notes`).catch(() => []);
    fill(list, notes.map((n) => h('li', {}, h('p', {}, n.body),
      h('small', {}, agentName(n.author_id), ' · ', dateTime(n.updated_at)),
      h('button', { class: 'link', onclick: async () => { const body = prompt(t('bench.editNote'), n.body); if (body) { await put(`/buyers/${buyer.id}/notes/${n.id}`, { body }); load(); } } }, t('bench.edit')),
      h('button', { class: 'link', onclick: async () => { await del(`/buyers/${buyer.id}/notes/${n.id}`); load(); } }, t('bench.delete')))));
  }
  load();
}
