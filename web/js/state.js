/**
 * What the page knows: the signed-in agent, the shops and colleagues, the scope the
 * agent chose, and the agent's preferences (language, time zone, sound, desktop
 * notifications; kept in this browser per agent). Modules talk through `on`/`emit`.
 */

export const state = {
  /** The signed-in agent (`Agent` JSON). */
  me: null,
  /** Shops the agent sees, by id. */
  shops: new Map(),
  /** Shops the agent may chat in. */
  chatShops: new Set(),
  /** Colleagues (with their grants), by id. */
  agents: new Map(),
  /** The list's scope: all shops, one platform or one shop. */
  scope: { platform: null, shop: null },
  /** The agent's preferences. */
  prefs: { lang: null, zone: null, sound: false, desktop: false },
};

const handlers = new Map();

/** Calls `fn(payload)` on every `emit(name, payload)`; returns a function that stops it. */
export function on(name, fn) {
  if (!handlers.has(name)) handlers.set(name, new Set());
  handlers.get(name).add(fn);
  return () => handlers.get(name).delete(fn);
}

/** Tells every handler of `name`. */
export function emit(name, payload) {
  for (const fn of handlers.get(name) || []) {
    try { fn(payload); } catch (error) { console.error(error); }
  }
}

function prefsKey() { return 'shopmux.prefs.' + state.me.id; }

/** Reads the agent's preferences from this browser. */
export function loadPrefs() {
  try {
    Object.assign(state.prefs, JSON.parse(localStorage.getItem(prefsKey()) || '{}'));
  } catch { /* a damaged entry: keep the defaults */ }
}

/** Keeps the agent's preferences in this browser. */
export function savePrefs() {
  localStorage.setItem(prefsKey(), JSON.stringify(state.prefs));
}

/** Whether the signed-in agent is the main account. */
export function isOwner() { return state.me && state.me.role === 'owner'; }

/** A shop's display name. */
export function shopName(id) {
  const shop = state.shops.get(id);
  return shop ? shop.name : '?';
}

/** A colleague's nickname. */
export function agentName(id) {
  const agent = state.agents.get(id);
  return agent ? agent.nickname : '';
}

/** The platforms of the visible shops, sorted. */
export function platforms() {
  return [...new Set([...state.shops.values()].map((s) => s.platform))].sort();
}

/** How many agents may chat in a shop (the main account counts when no one else may). */
export function chatAccounts(shopId) {
  let n = 0;
  for (const agent of state.agents.values()) {
    if (agent.role === 'owner') continue;
    if ((agent.shops || []).some((g) => g.shop_id === shopId && g.can_chat)) n += 1;
  }
  return Math.max(n, 1);
}
