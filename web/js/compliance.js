/**
 * The pre-send compliance check in the reply box. While the agent types (300 ms after
 * the last change) the draft is checked against the shop's contact policies and a
 * warning under the box names each policy ID with a short explanation and the words
 * that break it, highlighted. A reply the server refuses with `policy_warning` asks
 * "Send anyway"; confirming sends it with the acknowledged policy IDs, and messages sent
 * despite a warning carry a small badge naming them.
 */
import { post } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';

/** Message id → the policy IDs it was sent despite. */
const overridden = new Map();

/** Remembers the overrides a message page lists (`policy_overrides`). */
export function rememberOverrides(list) {
  for (const o of list || []) overridden.set(o.message_id, o.policies);
}

/** The badge of a message sent despite a warning, or null. */
export function policyBadge(messageId) {
  const ids = overridden.get(messageId);
  if (!ids || !ids.length) return null;
  const text = t('compliance.badge', { ids: ids.join(', ') });
  return h('span', { class: 'policy-badge', title: text, dataset: { policies: ids.join(' ') } }, text);
}

/** The draft around a finding, the finding itself marked. */
function excerpt(chars, f) {
  const from = Math.max(0, f.start - 16);
  const to = Math.min(chars.length, f.end + 16);
  return h('q', { class: 'compliance-excerpt' },
    from > 0 ? '…' : '', chars.slice(from, f.start).join(''),
    h('mark', {}, chars.slice(f.start, f.end).join('')),
    chars.slice(f.end, to).join(''), to < chars.length ? '…' : '');
}

/**
 * The check of one reply box's `textarea`, for the conversation `conversationId()`
 * names. Its `el` goes under the box.
 */
export function complianceGuard(textarea, conversationId) {
  const el = h('div', { class: 'compliance-warning', role: 'status', 'aria-live': 'polite', hidden: true });
  let timer = null;
  let asked = 0;
  let acknowledged = [];

  textarea.addEventListener('input', () => {
    acknowledged = [];
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });

  async function check() {
    const draft = textarea.value;
    const mine = ++asked;
    if (!draft.trim()) { show([], draft); return; }
    try {
      const answer = await post(`/conversations/${conversationId()}/compliance`, { text: draft });
      if (mine === asked) show(answer.findings, draft);
    } catch { /* the live check is advice; sending checks again */ }
  }

  function show(findings, draft, onSendAnyway) {
    el.hidden = !findings.length;
    el.classList.toggle('confirming', !!onSendAnyway);
    if (!findings.length) { fill(el); return; }
    const chars = Array.from(draft);
    const byPolicy = new Map();
    for (const f of findings) byPolicy.set(f.policy, [...(byPolicy.get(f.policy) || []), f]);
    const items = [...byPolicy.values()].map((list) => h('li', { dataset: { policy: list[0].policy, kind: list[0].kind } },
      h('strong', { class: 'rule' }, list[0].policy), ' ', t('compliance.explain.' + list[0].kind), ' ',
      list.map((f) => excerpt(chars, f))));
    const button = onSendAnyway
      ? h('button', { class: 'small danger send-anyway', onclick: onSendAnyway }, t('compliance.sendAnyway'))
      : null;
    fill(el, h('p', { class: 'compliance-title' }, t('compliance.title')), h('ul', {}, items),
      onSendAnyway ? h('p', { class: 'compliance-confirm' }, t('compliance.confirm'), ' ', button) : null);
    if (button) button.focus();
  }

  return {
    el,
    /** The body fields a send carries: the acknowledged policy IDs, when any. */
    fields() { return acknowledged.length ? { acknowledged_policies: [...acknowledged] } : {}; },
    /** A refusal listed `findings`: shows them with "Send anyway", which calls `send`. */
    refused(findings, send) {
      clearTimeout(timer);
      asked++;
      const ids = [...new Set(findings.map((f) => f.policy))];
      show(findings, textarea.value, () => { acknowledged = ids; send(); });
    },
    /** A message was sent: it gets its badge if it went despite a warning. */
    sent(message) {
      const c = message.content || {};
      if (!acknowledged.length || !(c.text || c.title)) return;
      overridden.set(message.id, [...acknowledged]);
      // The stream may have shown the message already: badge it there too.
      const meta = document.querySelector(`#msg-${message.id} .msg-meta`);
      if (meta && !meta.querySelector('.policy-badge')) meta.append(policyBadge(message.id));
    },
    /** The box was emptied after sending. */
    reset() {
      clearTimeout(timer);
      asked++;
      acknowledged = [];
      show([], '');
    },
  };
}
