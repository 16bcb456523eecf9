/**
 * What a reply is worth: the most urgent deadline a conversation still has — a
 * platform's service-figure mark (DY-QA-1's 30 seconds and 10 minutes, TT-DATA-1's
 * 24 hours), the shop's first-reply target, the reply window, a lifecycle timer — in
 * words, counting down: "Reply within 4 m to keep it inside DY-QA-1's 10 m mark".
 */
import { h } from './dom.js';
import { t } from './i18n.js';
import { span, until } from './time.js';

/** The first deadline not yet missed, or null. */
export function nextDeadline(deadlines) {
  return (deadlines || []).find((d) => until(d.at) >= 0) || null;
}

/** A deadline in words, as of now. */
export function urgencyText(d) {
  const left = span(Math.max(0, until(d.at)));
  const mark = d.within_seconds != null ? span(d.within_seconds * 1000) : '';
  switch (d.kind) {
    case 'reply_target': return t('urgency.target', { span: left, rule: d.rule, mark });
    case 'service_level': return t('urgency.serviceLevel', { span: left, mark });
    case 'window_close': return t('urgency.window', { span: left, rule: d.rule });
    case 'auto_close': return t('urgency.autoClose', { span: left, rule: d.rule });
    default: return t('urgency.autoEnd', { span: left, rule: d.rule });
  }
}

/** The element showing the most urgent deadline of `deadlines` (kept current by `tickUrgency`). */
export function urgencyEl(deadlines) {
  const el = h('span', { class: 'urgency', dataset: { deadlines: JSON.stringify(deadlines || []) } });
  paint(el);
  return el;
}

function paint(el) {
  const d = nextDeadline(JSON.parse(el.dataset.deadlines));
  el.hidden = !d;
  el.textContent = d ? urgencyText(d) : '';
  el.title = d && d.what ? d.what : '';
  if (d) { el.dataset.kind = d.kind; el.classList.toggle('urgent', until(d.at) < 5 * 60 * 1000); }
}

/** Counts every shown deadline down (once a second, from the rows' ticker). */
export function tickUrgency() {
  for (const el of document.querySelectorAll('.urgency[data-deadlines]')) paint(el);
}
