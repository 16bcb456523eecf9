/**
 * Service data: the agent's own reception figures as far as the daemon computes them
 * today — load against capacity, whether automatic assignment can pick the agent, and
 * the counts of the agent's own conversations, the agent's own figures as its platforms
 * define them (TT-DATA-*, DY-QA-*: `service_data.js`), and for the main account the
 * Service data page (per shop and agent, a chart, the rating list).
 */
import { get } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { isOwner } from './state.js';
import { myFigures, serviceDataPage } from './service_data.js';

/** Shows the figures in `main`. */
export async function showReception(main) {
  fill(main, h('section', { class: 'page' }, h('h2', {}, t('data.title')), h('p', { class: 'muted' }, t('data.loading'))));
  const [presence, page, team] = await Promise.all([
    get('/me/presence'), get('/conversations?mine=true&limit=1'),
    isOwner() ? get('/team/presence') : Promise.resolve(null),
  ]);
  const m = page.mine;
  const figure = (label, value) => h('div', { class: 'figure' }, h('span', { class: 'figure-value' }, value), h('span', { class: 'figure-label' }, label));
  fill(main, h('section', { class: 'page' },
    h('h2', {}, t('data.title')),
    h('div', { class: 'figures' },
      figure(t('data.load'), `${presence.load} / ${presence.capacity}`),
      figure(t('data.available'), presence.available ? t('common.yes') : t('common.no')),
      figure(t('data.inProgress'), m.in_progress),
      figure(t('data.unread'), m.unread),
      figure(t('data.unreadMessages'), m.unread_messages),
      figure(t('data.unreplied'), m.unreplied),
      figure(t('data.expiring'), m.expiring)),
    myFigures(),
    team ? teamTable(team) : null,
    isOwner() ? await serviceDataPage() : null));
}

/** The team's presence and load, as a table. */
export function teamTable(team) {
  return h('table', { class: 'grid' },
    h('caption', {}, t('data.team')),
    h('thead', {}, h('tr', {}, [t('data.nickname'), t('presence.status'), t('data.connected'), t('data.load'), t('data.available')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, team.map((p) => h('tr', {},
      h('td', {}, p.nickname), h('td', {}, t('presence.' + p.status)),
      h('td', {}, p.connected ? t('common.yes') : t('common.no')),
      h('td', {}, `${p.load} / ${p.capacity}`), h('td', {}, p.available ? t('common.yes') : t('common.no'))))));
}
