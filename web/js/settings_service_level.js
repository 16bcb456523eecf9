/**
 * A shop's service-level target in the settings (main account): its first reply within
 * N minutes and how long before a miss the agents are warned, saved into the shop's
 * settings as `service_level` (the other settings kept; empty minutes remove the
 * target), with the breaches of the last 7 days (`GET /service-levels`).
 */
import { ApiError, get, put } from './api.js';
import { announce, field, fill, h } from './dom.js';
import { t } from './i18n.js';
import { state } from './state.js';

/** The service-level part of a shop's settings card. */
export function serviceLevelSettings(shop) {
  const body = h('div', { class: 'settings-sub service-level-settings', dataset: { shop: shop.id } });
  const paint = async () => {
    let fresh; let report;
    try {
      [fresh, report] = await Promise.all([get(`/shops/${shop.id}`), get(`/service-levels?shop_id=${shop.id}`)]);
    } catch (e) { body.textContent = e instanceof ApiError ? e.message : t('error.network'); return; }
    const target = (fresh.settings || {}).service_level || {};
    const minutes = h('input', { type: 'number', min: 1, max: 1440, name: 'sla-minutes', class: 'narrow-text', value: target.first_reply_minutes ?? '' });
    const warn = h('input', { type: 'number', min: 0, max: 3600, name: 'sla-warn', class: 'narrow-text', value: target.warn_before_seconds ?? 120 });
    const note = h('span', { class: 'muted', role: 'status' });
    const line = report.shops.find((s) => s.shop_id === shop.id);
    const save = async (e) => {
      e.preventDefault();
      note.textContent = '';
      try {
        const latest = await get(`/shops/${shop.id}`);
        const settings = { ...(latest.settings || {}) };
        if (minutes.value === '') delete settings.service_level;
        else settings.service_level = { first_reply_minutes: Number(minutes.value), warn_before_seconds: Number(warn.value || 0) };
        const saved = await put(`/shops/${shop.id}/settings`, settings);
        state.shops.set(saved.id, saved);
        announce(t('common.saved'));
        paint();
      } catch (err) { note.textContent = err instanceof ApiError ? err.message : t('error.network'); }
    };
    fill(body, h('h3', {}, t('sla.title')), h('p', { class: 'muted small-text' }, t('sla.hint')),
      h('form', { class: 'inline-form', onsubmit: save },
        field(t('sla.minutes'), minutes, t('sla.minutesHint')), field(t('sla.warn'), warn),
        h('button', { type: 'submit', class: 'small' }, t('common.save')), note),
      h('p', { class: 'muted', dataset: { slaBreaches: '' } }, line
        ? t('sla.breaches', { n: line.breaches, of: line.denominator })
        : t('sla.none')));
  };
  paint();
  return body;
}
