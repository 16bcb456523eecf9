/**
 * Ratings in the web inbox (DY-RATE-1): the reply area's "Request rating" action, which
 * sends the buyer a rating card with no score chosen. Where the shop's platform does not
 * carry rating cards the action is shown disabled with the rule that says so; the API
 * refuses it there too. Rating cards in the message list are drawn by `content.js`.
 */
import { post } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';

/**
 * The "Request rating" button for the conversation `current()` returns, or a disabled
 * one naming the rule where the platform's `rules` do not carry rating cards.
 */
export function ratingButton(current, rules, onSent, showError) {
  const kinds = rules && rules.outbound_kinds;
  const refused = kinds && !kinds.allowed.includes('rating_card');
  const button = h('button', {
    class: 'small', type: 'button', dataset: { tool: 'rating' },
    disabled: !!refused,
    title: refused ? t('rating.unsupported', { rule: kinds.rule }) : t('rating.requestHint'),
    onclick: async () => {
      button.disabled = true;
      try {
        onSent(await post(`/conversations/${current().conversation.id}/rating_invitation`));
      } catch (e) {
        showError(e);
      } finally {
        button.disabled = false;
      }
    },
  }, t('rating.request'));
  return button;
}
