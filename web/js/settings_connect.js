/**
 * Settings → Shops: connecting a store in one click. Each platform the daemon can
 * connect gets a "Connect a … store" form (a Shopify store also names its
 * `{name}.myshopify.com` address); the browser goes to the platform's authorization
 * page and comes back to `/?connected=…` or `/?connect_error=…`, shown here once. A
 * connected shop shows its connection's status and a Reconnect button that runs the
 * same flow again.
 */
import { get, post } from './api.js';
import { announce, field, fill, h } from './dom.js';
import { t } from './i18n.js';

/** How each platform's stores are called on the buttons. */
const NAMES = { tiktok: 'TikTok Shop', douyin: 'Douyin shop', aliexpress: 'AliExpress store', shopify: 'Shopify store', lazada: 'Lazada store' };

/** Why an authorization was refused, by the callback's code. */
const REASONS = {
  bad_signature: 'connect.error.signature',
  stale: 'connect.error.stale',
  bad_state: 'connect.error.state',
  wrong_shop: 'connect.error.shop',
  invalid_shop: 'connect.error.shop',
};

let connectable = null;

/** The platforms the daemon can connect (asked once per page). */
export function connectablePlatforms() {
  connectable = connectable || get('/connect').catch(() => []);
  return connectable;
}

/** Goes to the platform's authorization page for `shop` (a store address, or none). */
export async function startConnect(platform, shop) {
  const started = await post(`/connect/${encodeURIComponent(platform)}`, shop ? { shop } : {});
  location.assign(started.authorize_url);
}

/** The "Connect a … store" forms. */
export function connectForms() {
  const body = h('div', { class: 'connect-forms' });
  connectablePlatforms().then((list) => fill(body, list.filter((p) => p.ready).map(connectForm)));
  return body;
}

function connectForm(p) {
  const shop = h('input', { name: 'shop', autocomplete: 'off', placeholder: t('connect.shopPlaceholder'), dataset: { platform: p.platform } });
  const note = h('span', { class: 'muted', role: 'status' });
  const label = t('connect.button', { store: NAMES[p.platform] || p.platform });
  return h('form', { class: 'inline-form', dataset: { connect: p.platform }, onsubmit: (e) => {
    e.preventDefault();
    note.textContent = '';
    startConnect(p.platform, shop.value.trim()).catch((err) => { note.textContent = err.message; announce(note.textContent); });
  } }, field(t('connect.shop'), shop, t('connect.shopHint')), h('button', { type: 'submit', class: 'small' }, label), note);
}

/** A Reconnect button for a shop whose platform connects in one click. */
export function reconnectButton(shop) {
  const holder = h('span', {});
  const note = h('span', { class: 'muted', role: 'status' });
  connectablePlatforms().then((list) => {
    if (!list.some((p) => p.platform === shop.platform && p.ready)) return;
    fill(holder, h('button', { type: 'button', class: 'small', dataset: { reconnect: shop.id }, onclick: () => {
      startConnect(shop.platform, shop.external_id).catch((err) => { note.textContent = err.message; });
    } }, t('connect.reconnect')), note);
  });
  return holder;
}

/** What the last authorization did, when the page was sent back from one (shown once). */
export function connectResult() {
  const query = new URLSearchParams(location.search);
  const connected = query.get('connected');
  const error = query.get('connect_error');
  if (!connected && !error) return null;
  history.replaceState(null, '', location.pathname);
  const text = connected
    ? t('connect.done', { store: NAMES[connected] || connected, n: query.get('shops') || '0' })
    : t('connect.failed', { reason: t(REASONS[error] || 'connect.error.other', { code: error }) });
  return h('p', { class: connected ? 'notice ok' : 'notice error', role: 'status', id: 'connect-result' }, text);
}

/** Whether the page came back from an authorization (Settings opens first then). */
export function backFromConnect() {
  const query = new URLSearchParams(location.search);
  return query.has('connected') || query.has('connect_error');
}
