/**
 * Settings → Webhooks (main account): the seller's outbound webhook endpoints. Add one
 * with the events it wants (its signing secret is shown once, right after), see each
 * endpoint's status (active or paused, failures in a row, last success), pause, resume,
 * ping, rotate the secret, delete, and its latest deliveries with their last attempt,
 * each of which can be sent again. A paused endpoint shows a banner here, and the live
 * stream's `webhook_endpoint_paused` shows one on any page.
 */
import { ApiError, del, get, post, query } from './api.js';
import { announce, field, fill, h } from './dom.js';
import { t } from './i18n.js';
import { isOwner, on } from './state.js';
import { dateTime } from './time.js';

const EVENTS = ['message.created', 'conversation.assigned', 'conversation.ended', 'conversation.closed', 'rating.received', 'bot.handoff'];

/** The Webhooks section of the settings. */
export function webhooksSection() {
  const list = h('div', { class: 'webhooks' }, h('p', { class: 'muted' }, t('data.loading')));
  const paint = () => get('/webhook-endpoints').then(
    (endpoints) => fill(list, endpoints.length ? endpoints.map((e) => endpointCard(e, paint)) : h('p', { class: 'muted' }, t('webhooks.none'))),
    (e) => fill(list, e.message));
  paint();
  return h('section', { class: 'settings-part', 'aria-label': t('webhooks.title') }, h('h2', {}, t('webhooks.title')),
    h('p', { class: 'muted small-text' }, t('webhooks.hint')), list, newEndpointForm(paint));
}

function failed(note) {
  return (e) => { note.textContent = e instanceof ApiError ? e.message : t('error.network'); };
}

function newEndpointForm(repaint) {
  const url = h('input', { type: 'url', required: true, placeholder: 'https://', class: 'wide' });
  const email = h('input', { type: 'email', autocomplete: 'off' });
  const boxes = EVENTS.map((name) => h('label', { class: 'switch' }, h('input', { type: 'checkbox', value: name, checked: name === 'message.created' }), name));
  const note = h('span', { class: 'muted', role: 'status' });
  const shown = h('div', { class: 'webhook-secret', hidden: true });
  return h('form', { class: 'inline-form webhook-new', onsubmit: (e) => {
    e.preventDefault();
    const events = boxes.map((b) => b.firstChild).filter((b) => b.checked).map((b) => b.value);
    const body = { url: url.value.trim(), events };
    if (email.value.trim()) body.notify_email = email.value.trim();
    note.textContent = '';
    post('/webhook-endpoints', body).then((created) => {
      showSecret(shown, created.secret);
      e.target.querySelector('input[type=url]').value = '';
      repaint();
    }, failed(note));
  } }, h('h3', {}, t('webhooks.add')), field(t('webhooks.url'), url), h('div', { class: 'webhook-events' }, boxes),
  field(t('webhooks.notifyEmail'), email, t('webhooks.notifyHint')),
  h('button', { type: 'submit', class: 'small' }, t('settings.create')), note, shown);
}

/** Shows a secret once, with the advice to keep it. */
function showSecret(box, secret) {
  fill(box, h('strong', {}, t('webhooks.secretOnce')), h('code', { class: 'code' }, secret));
  box.hidden = false;
  announce(t('webhooks.secretOnce'));
}

function endpointCard(e, repaint) {
  const note = h('span', { class: 'muted', role: 'status' });
  const secret = h('div', { class: 'webhook-secret', hidden: true });
  const deliveries = h('div', { class: 'webhook-deliveries' });
  const act = (promise) => promise.then(repaint, failed(note));
  const paused = e.status === 'paused';
  const card = h('details', { class: 'card webhook' + (paused ? ' paused' : ''), dataset: { endpoint: e.id } },
    h('summary', {}, `${e.url} · ${t('webhooks.status.' + e.status)}`),
    paused ? h('p', { class: 'webhook-banner', role: 'alert' }, t(e.pause_reason === 'failing' ? 'webhooks.pausedFailing' : 'webhooks.pausedManual', { since: e.failing_since ? dateTime(e.failing_since) : '—', pending: e.pending })) : null,
    h('p', { class: 'muted small-text' }, t('webhooks.state', {
      events: e.events.join(', '), failures: e.consecutive_failures, pending: e.pending,
      success: e.last_success_at ? dateTime(e.last_success_at) : '—',
    })),
    h('div', { class: 'inline-form' },
      paused ? h('button', { class: 'small', onclick: () => act(post(`/webhook-endpoints/${e.id}/resume`)) }, t('webhooks.resume'))
        : h('button', { class: 'small', onclick: () => act(post(`/webhook-endpoints/${e.id}/pause`)) }, t('webhooks.pause')),
      h('button', { class: 'small', onclick: () => post(`/webhook-endpoints/${e.id}/ping`).then(() => loadDeliveries(e, deliveries), failed(note)) }, t('webhooks.ping')),
      h('button', { class: 'small', onclick: () => post(`/webhook-endpoints/${e.id}/secret`).then((s) => showSecret(secret, s.secret), failed(note)) }, t('webhooks.rotate')),
      h('button', { class: 'small danger', onclick: () => { if (confirm(t('webhooks.confirmDelete'))) act(del(`/webhook-endpoints/${e.id}`)); } }, t('webhooks.delete')),
      note),
    secret, deliveries);
  card.addEventListener('toggle', () => { if (card.open) loadDeliveries(e, deliveries); });
  return card;
}

function loadDeliveries(e, box) {
  get(`/webhook-endpoints/${e.id}/deliveries${query({ limit: 50 })}`).then((rows) => {
    // Pending deliveries change by themselves: look again while the card is open.
    clearTimeout(box.refresh);
    if (rows.some((d) => d.status === 'pending')) {
      box.refresh = setTimeout(() => { if (box.isConnected && box.closest('details').open) loadDeliveries(e, box); }, 2000);
    }
    return rows;
  }).then((rows) => fill(box, rows.length
    ? h('table', { class: 'grid webhook-table' },
      h('thead', {}, h('tr', {}, [t('webhooks.event'), t('webhooks.deliveryStatus'), t('webhooks.attempts'), t('webhooks.lastAttempt'), t('webhooks.next'), ''].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows.map((d) => h('tr', { dataset: { delivery: d.id } },
        h('td', {}, d.event),
        h('td', { class: 'status-' + d.status }, t('webhooks.delivery.' + d.status)),
        h('td', {}, String(d.attempts)),
        h('td', {}, d.last_attempt_at ? `${dateTime(d.last_attempt_at)} · ${d.last_status_code ?? '—'}${d.last_error ? ' · ' + d.last_error : ''}` : '—'),
        h('td', {}, d.next_attempt_at && d.attempts ? dateTime(d.next_attempt_at) : '—'),
        h('td', {}, h('button', { class: 'small', onclick: () => post(`/webhook-endpoints/${e.id}/deliveries/${d.id}/retry`).then(() => loadDeliveries(e, box), () => {}) }, t('webhooks.sendAgain')))))))
    : h('p', { class: 'muted' }, t('webhooks.noDeliveries'))), (err) => fill(box, err.message));
}

// A paused endpoint is told on the owner's stream: a banner on any page.
on('event', (event) => {
  if (event.type !== 'webhook_endpoint_paused' || !isOwner()) return;
  const banner = h('div', { class: 'webhook-banner global', role: 'alert' },
    t('webhooks.pausedLive', { url: event.endpoint.url }), h('button', { class: 'small', onclick: () => banner.remove() }, '×'));
  document.body.prepend(banner);
});
