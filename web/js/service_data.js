/**
 * Service data (issue 17): the platforms' own figures (TT-DATA-*, DY-QA-*) as the daemon
 * computes them. `myFigures` is the reception panel's part (the agent's own figures
 * today, re-read when the live stream says they changed); `serviceDataPage` is the main
 * account's page: per shop or per agent, day / week / month, a chart over the last 14
 * days drawn as inline SVG from the daily series, and the rating list with its filters.
 * Every figure shows its rule ID and its numerator / denominator.
 */
import { get } from './api.js';
import { fill, h } from './dom.js';
import { t } from './i18n.js';
import { agentName, on, shopName, state } from './state.js';

const SVG = 'http://www.w3.org/2000/svg';

/** A figure's value as people read it. */
export function formatFigure(f) {
  if (f.value === null || f.value === undefined) return '—';
  if (f.unit === 'ratio') return `${(f.value * 100).toFixed(1)}%`;
  if (f.unit === 'milliseconds') return `${(f.value / 1000).toFixed(1)} s`;
  return String(f.value);
}

/** A table of figure rows: one line per figure, with its rule and fraction. */
function figureTable(report, caption) {
  const rows = report.rows.flatMap((row) => row.figures.map((f) => h('tr', { dataset: { kind: f.kind, rule: f.rule, shop: row.shop_id || '', agent: row.agent_id || '' } },
    h('td', {}, row.shop_id ? shopName(row.shop_id) : row.platform),
    h('td', {}, row.agent_id ? agentName(row.agent_id) : '—'),
    h('td', {}, t('sd.kind.' + f.kind)),
    h('td', { class: 'figure-value' }, formatFigure(f)),
    h('td', { class: 'muted' }, `${f.numerator} / ${f.denominator}`),
    h('td', { class: 'muted' }, f.rule))));
  return h('table', { class: 'grid service-figures' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, [t('sd.shop'), t('sd.agent'), t('sd.figure'), t('sd.value'), t('sd.fraction'), t('sd.rule')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('sd.none')))));
}

/**
 * The agent's own figures today, kept current from the live stream (reception panel):
 * re-read when it says they changed, after it resynchronised (events may have been
 * missed), and again a little later when a read failed.
 */
export function myFigures() {
  const box = h('section', { class: 'my-service-data', 'aria-live': 'polite' }, h('p', { class: 'muted' }, t('data.loading')));
  let timer = null;
  let left = false;
  const later = (ms) => { clearTimeout(timer); timer = setTimeout(load, ms); };
  const load = async () => {
    if (left) return;
    try {
      const report = await get('/me/service-data?period=day');
      fill(box, figureTable(report, t('sd.myToday')));
    } catch (error) {
      console.error(error);
      later(5000);
    }
  };
  // Subscribed until the view is left. (Not until the panel leaves the document: it is
  // built before the page holding it is in place, and events come in meanwhile.)
  const stops = [
    on('event', (event) => {
      if (event.type !== 'service_data_changed') return;
      if (event.agent_id && event.agent_id !== state.me.id) return;
      later(300);
    }),
    on('resync', () => later(300)),
    on('leave', () => {
      left = true;
      clearTimeout(timer);
      stops.forEach((stop) => stop());
    }),
  ];
  load();
  return box;
}

/** A line chart of one figure per day, as inline SVG. */
export function chart(series, kind) {
  const values = series.figures.map((day) => {
    const f = day.find((x) => x.kind === kind);
    return f && f.value !== null ? f.value : 0;
  });
  const w = 560, ht = 160, pad = 24;
  const max = Math.max(1e-9, ...values);
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(1, values.length - 1);
  const y = (v) => ht - pad - (v / max) * (ht - 2 * pad);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${ht}`);
  svg.setAttribute('class', 'service-chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', t('sd.chartOf', { figure: t('sd.kind.' + kind) }));
  const el = (tag, attrs) => {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    svg.append(e);
    return e;
  };
  el('line', { x1: pad, y1: ht - pad, x2: w - pad, y2: ht - pad, class: 'axis' });
  el('polyline', { points: values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '), fill: 'none', class: 'series' });
  values.forEach((v, i) => {
    const dot = el('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3, class: 'point' });
    const title = document.createElementNS(SVG, 'title');
    title.textContent = `${series.days[i]}: ${v}`;
    dot.append(title);
  });
  return svg;
}

function isoDay(d) { return d.toISOString().slice(0, 10); }

/** The main account's Service data page. */
export async function serviceDataPage() {
  const shops = [...state.shops.values()];
  const controls = { period: 'day', group: 'shop', date: isoDay(new Date()) };
  const tableBox = h('div', {});
  const chartBox = h('div', { class: 'chart-box' });
  const ratingsBox = h('div', {});
  const select = (name, options, onchange) => h('select', { name, 'aria-label': t('sd.' + name), onchange },
    options.map(([v, label]) => h('option', { value: v, selected: controls[name] === v }, label)));
  const loadTable = async () => {
    const q = new URLSearchParams({ period: controls.period, group: controls.group, date: controls.date });
    fill(tableBox, figureTable(await get('/service-data?' + q), t('sd.figures')));
  };
  const chartShop = select('shop', shops.map((s) => [s.id, s.name]), () => loadChart());
  const chartKind = select('kind', [], () => loadChart());
  const loadChart = async () => {
    if (!chartShop.value) return;
    const to = new Date();
    const from = new Date(to.getTime() - 13 * 86400000);
    const series = await get(`/service-data/series?shop_id=${chartShop.value}&from=${isoDay(from)}&to=${isoDay(to)}`);
    const kinds = (series.figures[0] || []).map((f) => f.kind);
    if (!kinds.includes(chartKind.value)) {
      fill(chartKind, kinds.map((k) => h('option', { value: k }, t('sd.kind.' + k))));
    }
    if (!kinds.length) { fill(chartBox, h('p', { class: 'muted' }, t('sd.none'))); return; }
    fill(chartBox, chart(series, chartKind.value || kinds[0]),
      h('p', { class: 'muted' }, `${series.days[0]} – ${series.days[series.days.length - 1]}`));
  };
  const ratingAgent = h('select', { name: 'rating_agent', 'aria-label': t('sd.ratingAgent'), onchange: () => loadRatings() },
    h('option', { value: '' }, t('sd.allAgents')),
    [...state.agents.values()].map((a) => h('option', { value: a.id }, a.nickname)));
  const ratingSource = select('source', [['', t('sd.allSources')], ['storefront', 'storefront'], ['platform', 'platform'], ['api_channel', 'api_channel']], () => loadRatings());
  const ratingScore = select('score', [['', t('sd.allScores')], ...[5, 4, 3, 2, 1].map((n) => [String(n), '★'.repeat(n)])], () => loadRatings());
  const loadRatings = async () => {
    const q = new URLSearchParams({ limit: '50' });
    if (ratingAgent.value) q.set('agent_id', ratingAgent.value);
    if (ratingSource.value) q.set('source', ratingSource.value);
    if (ratingScore.value) q.set('score', ratingScore.value);
    const page = await get('/ratings?' + q);
    fill(ratingsBox, h('table', { class: 'grid rating-list' },
      h('caption', {}, t('sd.ratings')),
      h('thead', {}, h('tr', {}, [t('sd.when'), t('sd.shop'), t('sd.agent'), t('sd.score'), t('sd.source'), t('sd.comment')].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, page.items.length ? page.items.map((r) => h('tr', { dataset: { agent: r.agent_id || '' } },
        h('td', {}, new Date(r.created_at).toLocaleString()), h('td', {}, shopName(r.shop_id)),
        h('td', {}, r.agent_id ? agentName(r.agent_id) : '—'), h('td', {}, String(r.score)),
        h('td', {}, r.source), h('td', {}, r.comment || ''))) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, t('sd.none'))))));
  };
  const page = h('section', { class: 'service-data-page' },
    h('h3', {}, t('sd.pageTitle')),
    h('div', { class: 'toolbar' },
      select('period', [['day', t('sd.day')], ['week', t('sd.week')], ['month', t('sd.month')]], (e) => { controls.period = e.target.value; loadTable(); }),
      select('group', [['shop', t('sd.byShop')], ['agent', t('sd.byAgent')], ['platform', t('sd.byPlatform')]], (e) => { controls.group = e.target.value; loadTable(); }),
      h('input', { type: 'date', name: 'date', value: controls.date, 'aria-label': t('sd.date'), onchange: (e) => { controls.date = e.target.value; loadTable(); } }),
      h('a', { href: '#', onclick: (e) => { e.preventDefault(); window.open('/api/v1/service-data/export?' + new URLSearchParams(controls), '_blank'); } }, t('sd.csv'))),
    tableBox,
    h('h3', {}, t('sd.overTime')),
    h('div', { class: 'toolbar' }, chartShop, chartKind),
    chartBox,
    h('div', { class: 'toolbar' }, ratingAgent, ratingSource, ratingScore),
    ratingsBox);
  await Promise.all([loadTable(), loadChart(), loadRatings()]);
  return page;
}
