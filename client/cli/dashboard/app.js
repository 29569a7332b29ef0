// DIN dashboard: a hash-routed page over the `din dashboard` JSON API (docs/dashboard.md).
// Everything that comes from the chain (accounts, CIDs, event fields) is untrusted, so the DOM
// is only ever built with createElement/textContent, never innerHTML.
'use strict';

const POLL_MS = 1500;
const FETCH_TIMEOUT_MS = 10000;
const SVG_NS = 'http://www.w3.org/2000/svg';
const EVENT_LOG_SIZE = 200;
const PHASES = ['Registration', 'Training', 'AggregationCommit', 'AggregationReveal',
  'GlobalCommit', 'GlobalReveal', 'Scoring', 'Rewarding', 'Finished', 'Cancelled'];
// One colour per phase, shared by the list badges and the timeline so they read alike.
const PHASE_COLORS = {
  Registration: '#64748b', Training: '#2563eb', AggregationCommit: '#7c3aed',
  AggregationReveal: '#a855f7', GlobalCommit: '#b45309', GlobalReveal: '#ea580c',
  Scoring: '#059669', Rewarding: '#0d9488', Finished: '#374151', Cancelled: '#dc2626',
};
const TERMINAL = new Set(['Finished', 'Cancelled']);
const SHORT_PHASE = {
  Registration: 'Reg', Training: 'Train', AggregationCommit: 'AggC', AggregationReveal: 'AggR',
  GlobalCommit: 'GlobC', GlobalReveal: 'GlobR', Scoring: 'Score', Rewarding: 'Reward',
};
const NATIVE_DEFAULT = { id: null, symbol: 'DIN', decimals: 12 };

// ---------------------------------------------------------------- DOM helpers

function h(tag, attrs, ...kids) { return build(document.createElement(tag), attrs, kids); }
function s(tag, attrs, ...kids) { return build(document.createElementNS(SVG_NS, tag), attrs, kids); }

// Strings become text nodes (append never parses markup), so chain data stays inert.
function build(el, attrs, kids) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') {
      for (const [p, x] of Object.entries(v)) el.style.setProperty(p, x);
    } else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
  return el;
}

const $ = (sel, root = document) => root.querySelector(sel);

function shortAddr(a) { a = String(a ?? ''); return a.length > 14 ? `${a.slice(0, 6)}…${a.slice(-4)}` : a; }
function shortCid(c) { c = String(c ?? ''); return c.length > 18 ? `${c.slice(0, 8)}…${c.slice(-6)}` : c; }
function accountLink(ss58) {
  return h('a', { class: 'mono', href: `#/account/${encodeURIComponent(ss58)}`, title: ss58 }, shortAddr(ss58));
}
function taskLink(n, text) { return h('a', { href: `#/task/${n}` }, text ?? `Task ${n}`); }

// Aggregation and scoring rules may arrive as strings or as objects; show either compactly.
function text(v) {
  if (v == null || v === '') return '–';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function phaseBadge(phase, attrs = {}) {
  const color = PHASE_COLORS[phase] || '#6b7280';
  return h('span', { class: 'badge', style: { '--phase': color }, ...attrs }, phase);
}

// A table that always exists (tests and users find it by its testid), with a placeholder row when empty.
function table(attrs, headers, rows, empty) {
  const body = rows.length ? rows
    : [h('tr', { class: 'empty' }, h('td', { colspan: headers.length }, empty))];
  return h('table', attrs, h('thead', {}, h('tr', {}, headers.map((x) => h('th', {}, x)))), h('tbody', {}, body));
}

// replaceChildren would print a skipped (null) part as the text "null".
function fill(el, ...kids) { el.replaceChildren(...kids.flat().filter((k) => k != null && k !== false)); }

function section(title, ...kids) { return h('section', { class: 'card' }, h('h2', {}, title), kids); }

function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// ---------------------------------------------------------------- amounts

// Up to 4 significant fraction digits (truncated, trailing zeros trimmed): readable at a glance;
// the exact value goes in a title via exactAmount.
function formatAmount(raw, decimals, symbol) {
  let v;
  try { v = BigInt(raw); } catch { return `${raw ?? '–'}${symbol ? ' ' + symbol : ''}`; }
  decimals = Number(decimals) || 0;
  const neg = v < 0n; if (neg) v = -v;
  const one = 10n ** BigInt(decimals);
  let out = (v / one).toString();
  const frac = v % one;
  if (frac > 0n) {
    const digits = frac.toString().padStart(decimals, '0');
    const lead = digits.search(/[1-9]/);
    const kept = digits.slice(0, lead + 4).replace(/0+$/, '');
    if (kept) out += '.' + kept;
  }
  return `${neg ? '-' : ''}${out}${symbol ? ' ' + symbol : ''}`;
}

function exactAmount(raw, decimals, symbol) {
  try {
    const v = BigInt(raw), one = 10n ** BigInt(Number(decimals) || 0);
    const frac = (v % one).toString().padStart(Number(decimals) || 0, '0').replace(/0+$/, '');
    return `${v / one}${frac ? '.' + frac : ''} ${symbol || ''}`.trim();
  } catch { return String(raw); }
}

function amountCell(raw, unit, attrs = {}) {
  const u = unit || NATIVE_DEFAULT;
  return h('td', { class: 'num', title: exactAmount(raw, u.decimals, u.symbol), ...attrs },
    formatAmount(raw, u.decimals, u.symbol));
}

// Exact decimal → smallest units, as the CLI's Denomination::parse does: no floats anywhere.
function parseDecimal(str, decimals) {
  const m = /^\s*(\d*)(?:\.(\d*))?\s*$/.exec(String(str));
  if (!m || (!m[1] && !m[2])) throw new Error(`"${str}" is not an amount like 100 or 0.5`);
  const frac = m[2] || '';
  if (frac.length > decimals) throw new Error(`"${str}": at most ${decimals} decimals`);
  return BigInt(m[1] || '0') * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

function pct(x) { return x == null || !Number.isFinite(x) ? '–' : `${x.toFixed(1)}%`; }

// ---------------------------------------------------------------- API and polling

async function getJSON(path, init = {}) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const res = await fetch(path, { ...init, signal: ctl.signal, headers: { accept: 'application/json', ...(init.headers || {}) } });
    const body = await res.text();
    let json = null;
    try { json = body ? JSON.parse(body) : null; } catch { /* reported below */ }
    if (!res.ok) throw new Error(`${path}: ${(json && json.error) || `${res.status} ${res.statusText}`}`);
    if (json === null) throw new Error(`${path}: the answer is not JSON`);
    return json;
  } catch (e) {
    if (e.name === 'AbortError') throw new Error(`${path}: no answer in ${FETCH_TIMEOUT_MS / 1000} s`);
    throw e;
  } finally { clearTimeout(timer); }
}

const app = { gen: 0, timer: 0, overview: null, route: null, lastKey: null };

function native() { return (app.overview && app.overview.native) || NATIVE_DEFAULT; }

function showError(msg) {
  const el = $('[data-testid="error"]');
  el.hidden = !msg;
  el.textContent = msg ? `${msg}${app.lastKey ? ' (showing the last data received)' : ''}` : '';
}

// Each page names what it polls and how to draw it; the fund page polls nothing of its own
// so that polling never touches its form.
const PAGES = {
  tasks: { load: () => null, render: renderTasks, title: () => 'Tasks' },
  task: { load: (r) => getJSON(`api/tasks/${r.id}`), render: renderTask, title: (r) => `Task ${r.id}` },
  accounts: { load: () => getJSON('api/accounts'), render: renderAccounts, title: () => 'Accounts' },
  account: { load: (r) => getJSON(`api/accounts/${encodeURIComponent(r.id)}`), render: renderAccount, title: (r) => shortAddr(r.id) },
  validators: { load: () => getJSON('api/validators'), render: renderValidators, title: () => 'Validators' },
  fund: { load: () => null, render: null, title: () => 'Fund a task' },
  notfound: { load: () => null, render: (main) => fill(main, h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the tasks'))), title: () => 'Not found' },
};

function parseRoute(hash) {
  let parts;
  try { parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent); } catch { return { page: 'notfound' }; }
  const [head, arg] = parts;
  if (!head) return { page: 'tasks' };
  if (head === 'task' && /^\d+$/.test(arg || '') && parts.length === 2) return { page: 'task', id: arg };
  if (head === 'accounts' && parts.length === 1) return { page: 'accounts' };
  if (head === 'validators' && parts.length === 1) return { page: 'validators' };
  if (head === 'account' && arg && parts.length === 2) return { page: 'account', id: arg };
  if (head === 'fund' && parts.length === 1) return { page: 'fund' };
  return { page: 'notfound' };
}

function navigate() {
  const route = parseRoute(location.hash);
  app.route = route;
  app.gen += 1; // a tick of the previous page sees the new generation and drops its answer
  clearTimeout(app.timer);
  app.lastKey = null;
  showError('');
  const page = PAGES[route.page];
  document.title = `${page.title(route)} · DIN`;
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === route.page || (a.dataset.nav === 'tasks' && route.page === 'task')
      || (a.dataset.nav === 'accounts' && route.page === 'account'));
  }
  const main = $('#app');
  if (route.page === 'fund') renderFund(main);
  else fill(main, h('p', { class: 'muted' }, 'Loading…'));
  tick(app.gen, route);
}

// One request chain at a time per page: the next tick is scheduled only once this one is
// answered, so a slow node never piles requests up.
async function tick(gen, route) {
  const page = PAGES[route.page];
  const [ov, data] = await Promise.allSettled([getJSON('api/overview'), page.load(route)]);
  if (gen !== app.gen) return;
  const errors = [ov, data].filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (ov.status === 'fulfilled') {
    app.overview = ov.value;
    $('[data-testid="finalized"]').textContent = String(ov.value.finalized ?? '–');
  }
  if (page.render && data.status === 'fulfilled' && app.overview) {
    const key = JSON.stringify([data.value, app.overview]);
    if (key !== app.lastKey) { // unchanged data: keep the DOM (and the reader's selection) as it is
      app.lastKey = key;
      try { page.render($('#app'), data.value, route); } catch (e) { errors.push(`drawing the page: ${e.message}`); console.error(e); }
    }
  }
  if (page.render && data.status === 'rejected' && app.lastKey === null) {
    fill($('#app'), h('h1', {}, page.title(route)), h('p', { class: 'muted' }, 'Nothing to show: see the error above. Retrying…'));
  }
  showError(errors.join('; '));
  app.timer = setTimeout(() => tick(gen, route), POLL_MS);
}

// ---------------------------------------------------------------- #/ tasks

function renderTasks(main) {
  const tasks = app.overview.tasks || [];
  const rows = tasks.map((t) => {
    const unit = t.reward_asset || native();
    return h('tr', { 'data-task': t.task },
      h('td', { 'data-field': 'task' }, taskLink(t.task)),
      h('td', { 'data-field': 'owner' }, accountLink(t.owner)),
      h('td', { 'data-field': 'phase' }, phaseBadge(t.phase)),
      h('td', { 'data-field': 'round', class: 'num' }, `${Number(t.round) + 1}/${t.rounds}`),
      h('td', { 'data-field': 'pool', class: 'num', title: exactAmount(t.pool, unit.decimals, unit.symbol) }, t.pool_formatted ?? formatAmount(t.pool, unit.decimals, unit.symbol)),
      h('td', { 'data-field': 'remaining', class: 'num', title: exactAmount(t.remaining, unit.decimals, unit.symbol) }, t.remaining_formatted ?? formatAmount(t.remaining, unit.decimals, unit.symbol)),
      h('td', { 'data-field': 'aggregation' }, text(t.aggregation)),
      h('td', { 'data-field': 'scoring' }, text(t.scoring)),
      h('td', { 'data-field': 'participants', class: 'num' }, String(t.participants ?? '–')));
  });
  fill(main,
    h('h1', {}, 'Tasks'),
    tasks.length ? h('div', { class: 'card scroll' }, table({ 'data-testid': 'tasks' },
      ['task', 'owner', 'phase', 'round', 'pool', 'remaining', 'aggregation', 'scoring', 'participants'], rows, ''))
      : h('p', { class: 'empty-state', 'data-testid': 'no-tasks' }, 'No tasks on this chain yet. Create one with `din task create`, or fund one on the Fund a task page.'));
}

// ---------------------------------------------------------------- #/task/N

function renderTask(main, data, route) {
  const st = data.status, events = data.events || [];
  const row = (app.overview.tasks || []).find((t) => String(t.task) === String(route.id)) || {};
  const ctx = { unit: st.reward_asset || native(), native: native(), finalized: Number(st.finalized ?? app.overview.finalized) };
  const aggregation = st.aggregation ?? row.aggregation, scoring = st.scoring ?? row.scoring;
  const complete = events.some((e) => e.event === 'RoundStarted' && e.round === 0);
  const eventsBox = $('[data-testid="events"]', main);
  const logScroll = eventsBox ? eventsBox.scrollTop : 0;
  fill(main,
    h('div', { class: 'title-row' },
      h('h1', {}, `Task ${st.task ?? route.id}`),
      phaseBadge(st.phase, { 'data-testid': 'task-phase' }),
      h('span', { 'data-testid': 'task-round', class: 'muted' }, `round ${Number(st.round) + 1} of ${st.rounds}`)),
    !complete && data.history_from > 0
      ? h('p', { class: 'note', 'data-testid': 'history-from' }, `events since block #${data.history_from}: the dashboard did not see this task's earlier events`) : null,
    section('Overview', dl([
      ['owner', h('span', {}, accountLink(st.owner), ' ', h('span', { class: 'mono muted small' }, st.owner))],
      ['model', st.model],
      aggregation != null && ['aggregation', text(aggregation)],
      scoring != null && ['scoring', text(scoring)],
      ['phase', [phaseBadge(st.phase), TERMINAL.has(st.phase) ? '' : ` until block #${st.phase_ends}`]],
      st.pool != null && ['pool', st.pool_formatted ?? formatAmount(st.pool, ctx.unit.decimals, ctx.unit.symbol)],
      ['pool remaining', h('span', { 'data-testid': 'task-remaining', title: exactAmount(st.remaining, ctx.unit.decimals, ctx.unit.symbol) }, st.remaining_formatted ?? formatAmount(st.remaining, ctx.unit.decimals, ctx.unit.symbol))],
      ['participants', h('span', { 'data-testid': 'task-participants' }, String(st.participants))],
      ['reward asset', ctx.unit.id == null ? `${ctx.unit.symbol} (native, ${ctx.unit.decimals} decimals)` : `${ctx.unit.symbol} (asset ${ctx.unit.id}, ${ctx.unit.decimals} decimals)`],
      st.deposit != null && ['storage deposit', formatAmount(st.deposit, ctx.native.decimals, ctx.native.symbol)],
      st.privacy && ['differential privacy', `clip ${st.privacy.clip_norm}, noise ×${st.privacy.noise_multiplier}, δ ${st.privacy.delta}; all rounds spend ε ${st.privacy.epsilon_of_all_rounds} of ${st.privacy.epsilon_budget}`],
    ])),
    section('Phases', timeline(events, st, ctx, data.history_from)),
    section('Rounds', h('div', { class: 'scroll' }, roundsTable(st, events))),
    section('Scores', scoresView(events, st)),
    section('Payouts', payoutsTable(events, ctx)),
    section('Slashes', slashesTable(events, ctx)),
    section('Settlement', settlementView(events, st, ctx)),
    section(`Events (${Math.min(events.length, EVENT_LOG_SIZE)} of ${events.length}, newest first)`, eventLog(events, ctx)));
  const box = $('[data-testid="events"]', main);
  if (box) box.scrollTop = logScroll;
}

// Phase occurrences from PhaseChanged, closed off by the next one; the current one runs to
// the finalized head, and a terminal phase the events missed is appended from the status.
function phaseSegments(events, st, finalized, historyFrom) {
  const changes = events.filter((e) => e.event === 'PhaseChanged').sort((a, b) => a.block - b.block);
  const segs = changes.map((e, i) => ({ phase: e.phase, round: e.round, from: e.block, to: changes[i + 1]?.block, ends: e.ends }));
  const last = segs[segs.length - 1];
  if (!last) {
    // No phase change seen: the phase began before the history; start at the first thing seen.
    const first = events.length ? events[0].block : (historyFrom ?? finalized);
    segs.push({ phase: st.phase, round: st.round, from: Math.min(first, finalized), ends: st.phase_ends });
  } else if (last.phase !== st.phase) {
    const end = events.find((e) => ['TaskFinished', 'TaskCancelled', 'TaskExpired'].includes(e.event));
    const at = end ? end.block : finalized;
    last.to = at;
    segs.push({ phase: st.phase, round: st.round, from: at, ends: st.phase_ends });
  }
  const cur = segs[segs.length - 1];
  cur.current = true;
  if (cur.to == null) cur.to = TERMINAL.has(cur.phase) ? cur.from : Math.max(finalized, cur.from);
  return segs;
}

function niceStep(span, maxTicks) {
  for (let p = 1; ; p *= 10) for (const m of [1, 2, 5]) if (span / (m * p) <= maxTicks) return m * p;
}

function timeline(events, st, ctx, historyFrom) {
  const segs = phaseSegments(events, st, ctx.finalized, historyFrom);
  const cur = segs[segs.length - 1];
  const planned = !TERMINAL.has(cur.phase) && cur.ends > cur.to ? cur.ends : null;
  const x0 = segs[0].from, x1 = Math.max(planned ?? 0, ...segs.map((g) => g.to), x0 + 1);
  const W = 1000, L = 24, R = 976, X = (b) => L + ((b - x0) / (x1 - x0)) * (R - L);
  const svg = s('svg', { 'data-testid': 'timeline', viewBox: `0 0 ${W} 110`, class: 'chart timeline', role: 'img', 'aria-label': 'phase timeline' });
  for (const g of segs) {
    const terminal = TERMINAL.has(g.phase);
    const x = X(g.from), w = terminal ? 6 : Math.max(2, X(g.to) - x);
    const label = `round ${Number(g.round) + 1} ${g.phase} blocks ${g.from}–${g.to}${g.current && !terminal ? ' (now)' : ''}`;
    svg.append(s('rect', { x, y: 26, width: w, height: 30, fill: PHASE_COLORS[g.phase] || '#999', 'data-phase': g.phase, class: g.current ? 'current' : null },
      s('title', {}, label)));
    if (w > 44 && SHORT_PHASE[g.phase]) svg.append(s('text', { x: x + w / 2, y: 45, class: 'bar-label', 'text-anchor': 'middle' }, SHORT_PHASE[g.phase]));
  }
  if (planned) {
    svg.append(s('rect', { x: X(cur.to), y: 26, width: Math.max(1, X(planned) - X(cur.to)), height: 30, fill: PHASE_COLORS[cur.phase], class: 'planned' },
      s('title', {}, `round ${Number(cur.round) + 1} ${cur.phase} planned until block ${planned}`)));
  }
  for (const e of events.filter((e) => e.event === 'RoundStarted')) {
    const x = X(e.block);
    svg.append(s('line', { x1: x, x2: x, y1: 14, y2: 60, class: 'round-mark' }, s('title', {}, `round ${e.round + 1} started at block ${e.block}`)),
      s('text', { x: x + 3, y: 20, class: 'round-label' }, `R${e.round + 1}`));
  }
  for (const e of events.filter((e) => e.event === 'PhaseClosedEarly')) {
    const x = X(e.block);
    svg.append(s('path', { d: `M${x},58 l-5,9 h10 z`, class: 'closed-early', 'data-closed-early': e.phase },
      s('title', {}, `round ${e.round + 1} ${e.phase} closed early at block ${e.block} (all in; ends at ${e.ends})`)));
  }
  const step = niceStep(x1 - x0, 10);
  svg.append(s('line', { x1: L, x2: R, y1: 74, y2: 74, class: 'axis' }));
  for (let b = Math.ceil(x0 / step) * step; b <= x1; b += step) {
    svg.append(s('line', { x1: X(b), x2: X(b), y1: 74, y2: 79, class: 'axis' }),
      s('text', { x: X(b), y: 93, 'text-anchor': 'middle', class: 'tick' }, `#${b}`));
  }
  const fx = X(ctx.finalized);
  if (ctx.finalized >= x0 && ctx.finalized <= x1) {
    svg.append(s('line', { x1: fx, x2: fx, y1: 22, y2: 74, class: 'now' }, s('title', {}, `finalized block ${ctx.finalized}`)));
  }
  const seen = PHASES.filter((p) => segs.some((g) => g.phase === p));
  const legend = h('div', { class: 'legend' }, seen.map((p) => h('span', {}, h('i', { class: 'swatch', style: { background: PHASE_COLORS[p] } }), p)),
    events.some((e) => e.event === 'PhaseClosedEarly') ? h('span', {}, h('i', { class: 'swatch tri' }), 'closed early') : null,
    h('span', {}, h('i', { class: 'swatch dash' }), 'round start'),
    planned ? h('span', {}, h('i', { class: 'swatch plan' }), 'rest of the current phase') : null);
  return [svg, legend];
}

// status.progress gives what storage holds now; the events add votes, panels and the accepted
// and invalid counts, which storage keeps only as a result.
function roundsTable(st, events) {
  const byRound = new Map();
  const at = (r) => { if (!byRound.has(r)) byRound.set(r, { accepted: 0, invalid: 0, subs: new Map(), global: null }); return byRound.get(r); };
  for (const e of events) {
    if (e.event === 'SubgroupAccepted') {
      const r = at(e.round); r.accepted += Number(e.accepted) || 0; r.invalid += Number(e.invalid) || 0;
      r.subs.set(e.subgroup, `sg${e.subgroup}: ${e.votes}/${e.panel} votes, ${e.accepted} accepted${e.invalid ? `, ${e.invalid} invalid` : ''}`);
    } else if (e.event === 'SubgroupDisputed') at(e.round).subs.set(e.subgroup, `sg${e.subgroup}: disputed`);
    else if (e.event === 'GlobalModelFixed') at(e.round).global = e;
    else if (e.event === 'GlobalDisputed') at(e.round).globalDisputed = true;
  }
  const pastTraining = !['Registration', 'Training'].includes(st.phase);
  const rows = (st.progress || []).map((p) => {
    const ev = byRound.get(p.round) || at(p.round);
    const subs = (p.subgroups || []).map((res, i) => ev.subs.get(i) || `sg${i}: ${res}`);
    for (const [i, label] of ev.subs) if (i >= (p.subgroups || []).length) subs.push(label);
    const trainingOver = p.round < st.round || pastTraining;
    const seen = ev.subs.size > 0;
    // An ended task's storage no longer lists its participants' updates; the accepted and
    // invalid ones its events counted were submitted all the same.
    const submitted = Math.max(Number(p.updates) || 0, seen ? ev.accepted + ev.invalid : 0);
    const ended = TERMINAL.has(st.phase) || Number(st.participants) === 0;
    const missing = trainingOver && !ended ? String(Math.max(0, Number(st.participants) - submitted)) : '–';
    const g = p.global_model;
    return h('tr', { 'data-round': p.round + 1 },
      h('td', { class: 'num' }, String(p.round + 1)),
      h('td', { class: 'num', 'data-field': 'updates' }, String(submitted)),
      h('td', { class: 'num', 'data-field': 'accepted' }, seen ? String(ev.accepted) : '–'),
      h('td', { class: 'num', 'data-field': 'invalid' }, seen ? String(ev.invalid) : '–'),
      h('td', { class: 'num', 'data-field': 'missing' }, missing),
      h('td', { 'data-field': 'subgroups' }, subs.length ? subs.map((x) => h('div', { class: x.includes('disputed') ? 'bad' : null }, x)) : '–'),
      h('td', { 'data-field': 'global', class: 'mono' }, g
        ? h('span', { title: `${g}${ev.global ? ` (${ev.global.votes} of ${ev.global.voters} votes)` : ''}` }, shortCid(g))
        : (ev.globalDisputed ? h('span', { class: 'bad' }, 'disputed') : '–')));
  });
  return table({ 'data-testid': 'rounds' }, ['round', 'updates', 'accepted', 'invalid', 'missing', 'subgroups', 'global model'], rows,
    st.phase === 'Registration' ? 'no rounds yet: the task is still registering participants' : 'no rounds');
}

// Scores by target, the last event winning as in the CLI's summary.
function collectScores(events) {
  const scores = new Map();
  for (const e of events) {
    let v = null;
    if (e.event === 'ScoreProven') v = { acc: e.total ? (100 * e.correct) / e.total : null, how: ['proven by ', accountLink(e.prover)], detail: `${e.correct}/${e.total}` };
    else if (e.event === 'MedianSettled') v = { acc: Number(e.accuracy), how: `median of ${e.reports}` };
    else if (e.event === 'MedianWithoutQuorum') v = { acc: null, how: `unscored: ${e.reports} of the ${e.quorum} reports a median needs` };
    if (!v) continue;
    const m = /^(.*)@(\d+)$/.exec(e.target);
    v.target = e.target;
    v.kind = e.target === 'baseline' ? 'baseline' : m && m[1] === 'global' ? 'global' : 'update';
    v.round = m ? Number(m[2]) : null;
    v.who = v.kind === 'update' ? m[1] : null;
    scores.delete(e.target);
    scores.set(e.target, v);
  }
  const order = { baseline: 0, global: 1, update: 2 };
  return [...scores.values()].sort((a, b) => order[a.kind] - order[b.kind] || (a.round ?? 0) - (b.round ?? 0));
}

function scoresView(events, st) {
  const scores = collectScores(events);
  const rows = scores.map((v) => h('tr', { 'data-target': v.target },
    h('td', { title: v.target }, v.kind === 'baseline' ? 'baseline (genesis model)'
      : v.kind === 'global' ? `global model, round ${v.round + 1}` : [accountLink(v.who), `, update of round ${v.round + 1}`]),
    h('td', { class: 'num', title: v.detail || null }, pct(v.acc)),
    h('td', {}, v.how)));
  const tbl = table({ 'data-testid': 'scores' }, ['target', 'accuracy', 'how'], rows, 'no scores yet');
  return scores.some((v) => v.acc != null) ? h('div', { class: 'split' }, h('div', {}, scoresChart(scores, st)), h('div', { class: 'scroll' }, tbl)) : tbl;
}

function scoresChart(scores, st) {
  const have = scores.filter((v) => v.acc != null);
  const T = Math.max(Number(st.rounds) || 1, ...have.map((v) => (v.round ?? 0) + 1));
  const accs = have.map((v) => v.acc);
  const lo = Math.max(0, Math.floor((Math.min(...accs) - 5) / 10) * 10), hi = Math.min(100, Math.ceil((Math.max(...accs) + 2) / 10) * 10);
  const W = 520, H = 260, L = 46, R = W - 12, TOP = 12, B = H - 34;
  const X = (r) => L + ((r + 0.5) * (R - L)) / T, Y = (a) => B - ((a - lo) / Math.max(1, hi - lo)) * (B - TOP);
  const svg = s('svg', { 'data-testid': 'scores-chart', viewBox: `0 0 ${W} ${H}`, class: 'chart scores', role: 'img', 'aria-label': 'accuracy per round' });
  const step = niceStep(hi - lo, 6);
  for (let a = lo; a <= hi; a += step) {
    svg.append(s('line', { x1: L, x2: R, y1: Y(a), y2: Y(a), class: 'grid' }), s('text', { x: L - 6, y: Y(a) + 4, 'text-anchor': 'end', class: 'tick' }, `${a}%`));
  }
  for (let r = 0; r < T; r++) svg.append(s('text', { x: X(r), y: B + 16, 'text-anchor': 'middle', class: 'tick' }, String(r + 1)));
  svg.append(s('text', { x: (L + R) / 2, y: H - 3, 'text-anchor': 'middle', class: 'axis-title' }, 'round'),
    s('line', { x1: L, x2: R, y1: B, y2: B, class: 'axis' }), s('line', { x1: L, x2: L, y1: TOP, y2: B, class: 'axis' }));
  const base = have.find((v) => v.kind === 'baseline');
  if (base) {
    svg.append(s('line', { x1: L, x2: R, y1: Y(base.acc), y2: Y(base.acc), class: 'baseline', 'data-series': 'baseline' }, s('title', {}, `baseline ${pct(base.acc)}`)),
      s('text', { x: R - 4, y: Y(base.acc) - 5, 'text-anchor': 'end', class: 'tick' }, `baseline ${pct(base.acc)}`));
  }
  have.filter((v) => v.kind === 'update').forEach((v, i) => {
    svg.append(s('circle', { cx: X(v.round) + ((i % 5) - 2) * 4, cy: Y(v.acc), r: 3, class: 'update-dot', 'data-series': 'update' },
      s('title', {}, `${shortAddr(v.who)} round ${v.round + 1}: ${pct(v.acc)}`)));
  });
  const globals = have.filter((v) => v.kind === 'global');
  if (globals.length > 1) svg.append(s('polyline', { points: globals.map((v) => `${X(v.round)},${Y(v.acc)}`).join(' '), class: 'global-line' }));
  for (const v of globals) {
    svg.append(s('circle', { cx: X(v.round), cy: Y(v.acc), r: 5, class: 'global-dot', 'data-series': 'global' },
      s('title', {}, `global model round ${v.round + 1}: ${pct(v.acc)}`)));
  }
  const legend = h('div', { class: 'legend' }, h('span', {}, h('i', { class: 'swatch gl' }), 'global model'),
    h('span', {}, h('i', { class: 'swatch dash' }), 'baseline'), h('span', {}, h('i', { class: 'swatch dot' }), "participants' updates"));
  return [svg, legend];
}

function payoutsTable(events, ctx) {
  const pay = new Map(); // one row per account, the last payout winning as in the CLI
  for (const e of events) {
    if (e.event !== 'ParticipantRewarded' && e.event !== 'EvaluatorRewarded') continue;
    pay.delete(e.who);
    pay.set(e.who, { role: e.event === 'ParticipantRewarded' ? 'participant' : 'evaluator', amount: e.amount, work: e.work, block: e.block });
  }
  const rows = [...pay].map(([who, p]) => h('tr', { 'data-payout': who, 'data-amount': p.amount },
    h('td', {}, accountLink(who)), h('td', {}, p.role), amountCell(p.amount, ctx.unit),
    h('td', { class: 'num' }, p.work != null ? String(p.work) : '–'), h('td', { class: 'num' }, `#${p.block}`)));
  return h('div', { class: 'scroll' }, table({ 'data-testid': 'payouts' }, ['account', 'role', 'amount', 'work', 'block'], rows, 'no payouts yet'));
}

function slashesTable(events, ctx) {
  const rows = events.filter((e) => e.event === 'Slashed').map((e) => h('tr', { 'data-slash': e.who },
    h('td', {}, accountLink(e.who)), h('td', {}, String(e.role).toLowerCase()), h('td', { class: 'num' }, String(Number(e.round) + 1)),
    h('td', {}, e.offence), amountCell(e.amount, ctx.native), h('td', { class: 'num' }, `#${e.block}`)));
  return h('div', { class: 'scroll' }, table({ 'data-testid': 'slashes' }, ['account', 'role', 'round', 'offence', 'amount', 'block'], rows, 'no slashes'));
}

const SETTLE_PARTS = [['participants', '#2563eb'], ['evaluators', '#7c3aed'], ['burned', '#dc2626'], ['refund', '#94a3b8']];

// The TaskSettled event if the dashboard saw it, else the settlement storage still holds.
function settlementView(events, st, ctx) {
  const ev = [...events].reverse().find((e) => e.event === 'TaskSettled');
  const set = ev ? ev.settlement : st.settlement;
  if (!set) return h('p', { class: 'muted', 'data-testid': 'settlement-pending' }, 'not settled yet');
  let sum = 0n, pool = 0n, ok = false;
  try { pool = BigInt(set.pool); for (const [k] of SETTLE_PARTS) sum += BigInt(set[k]); ok = sum === pool; } catch { ok = false; }
  const holds = ok && (!ev || ev.accounting_holds !== false);
  const f = (k) => h('span', { 'data-part': k, title: exactAmount(set[k], ctx.unit.decimals, ctx.unit.symbol) }, formatAmount(set[k], ctx.unit.decimals, ctx.unit.symbol));
  const bar = s('svg', { viewBox: '0 0 1000 24', class: 'chart stack', preserveAspectRatio: 'none', role: 'img', 'aria-label': 'where the pool went' });
  let x = 0;
  const total = pool > sum ? pool : sum;
  for (const [k, color] of SETTLE_PARTS) {
    let w = 0;
    try { w = total > 0n ? Number((BigInt(set[k]) * 1000000n) / total) / 1000 : 0; } catch { /* unreadable part: no bar */ }
    if (w > 0) bar.append(s('rect', { x, y: 0, width: w, height: 24, fill: color, 'data-part': k }, s('title', {}, `${k}: ${formatAmount(set[k], ctx.unit.decimals, ctx.unit.symbol)}`)));
    x += w;
  }
  return h('div', { 'data-testid': 'settlement', 'data-accounting': holds ? 'holds' : 'broken' },
    h('p', { class: 'equation' }, 'pool ', f('pool'), ' = participants ', f('participants'), ' + evaluators ', f('evaluators'),
      ' + burned ', f('burned'), ' + refund ', f('refund'), ' ',
      h('span', { class: holds ? 'ok-badge' : 'bad-badge' }, holds ? 'accounting holds ✓' : 'BROKEN')),
    bar,
    h('div', { class: 'legend' }, SETTLE_PARTS.map(([k, c]) => h('span', {}, h('i', { class: 'swatch', style: { background: c } }), k))),
    h('p', { class: 'muted small' }, `${set.scored ?? '–'} updates scored, ${set.slashed ?? '–'} slashed below the baseline${ev ? `; settled in block #${ev.block}` : ''}`));
}

// One line per event, worded like `din task watch`'s log (rounds 1-based).
function describe(e, ctx) {
  const R = (r) => Number(r) + 1;
  const pool = (a) => formatAmount(a, ctx.unit.decimals, ctx.unit.symbol);
  switch (e.event) {
    case 'PhaseChanged': return `round ${R(e.round)} ${e.phase} (until #${e.ends})`;
    case 'PhaseClosedEarly': return `round ${R(e.round)} ${e.phase}: all in, ends at #${e.ends}`;
    case 'RoundStarted': return `round ${R(e.round)} started`;
    case 'ParticipantJoined': return [accountLink(e.who), ' joined'];
    case 'StaleUpdateSubmitted': return [`round ${R(e.round)}: `, accountLink(e.who), ` submitted an update trained from round ${R(e.trained_from)}'s model (${e.round - e.trained_from} rounds stale)`];
    case 'SubgroupAccepted': return `round ${R(e.round)} subgroup ${e.subgroup}: ${e.accepted} updates accepted, ${e.invalid} invalid (${e.votes} of ${e.panel} votes)`;
    case 'SubgroupDisputed': return `round ${R(e.round)} subgroup ${e.subgroup} disputed`;
    case 'GlobalModelFixed': return [`round ${R(e.round)} global model `, h('span', { class: 'mono', title: e.cid }, shortCid(e.cid)), `, ${e.votes} of ${e.voters} votes`];
    case 'GlobalDisputed': return `round ${R(e.round)} global model disputed`;
    case 'GlobalModelKept': return `round ${R(e.round)}: no aggregate carried weight, the model before it holds (${e.votes} of ${e.voters} votes)`;
    case 'ScoreProven': return [`score ${e.target}: ${pct((100 * e.correct) / e.total)} (${e.correct}/${e.total}) proven by `, accountLink(e.prover)];
    case 'MedianSettled': return `score ${e.target}: ${pct(Number(e.accuracy))} (median of ${e.reports})`;
    case 'MedianWithoutQuorum': return `score ${e.target}: unscored (${e.reports} of the ${e.quorum} reports a median needs)`;
    case 'ParticipantRewarded': return ['participant ', accountLink(e.who), ` paid ${pool(e.amount)}`];
    case 'EvaluatorRewarded': return ['evaluator ', accountLink(e.who), ` paid ${pool(e.amount)} for ${e.work} work`];
    case 'Slashed': return ['slashed ', accountLink(e.who), ` (${e.role}) ${formatAmount(e.amount, ctx.native.decimals, ctx.native.symbol)} in round ${R(e.round)} for ${e.offence}`];
    case 'TaskSettled': return `settled: pool ${pool(e.settlement?.pool)} (${e.accounting_holds ? 'accounting holds' : 'BROKEN'})`;
    case 'TaskFinished': return `task finished; ${pool(e.refund)} refunded to the owner`;
    case 'TaskCancelled': return 'task cancelled';
    case 'TaskExpired': return `task expired: its first round could not start ${e.deferrals} times`;
    case 'TaskExtended': return `extended to ${e.rounds} rounds, ${pool(e.top_up)} added to the pool`;
    case 'TrainingEndsAfterRound': return `training ends after round ${R(e.round)}`;
    case 'PrivacySpent': return `round ${R(e.round)}: the rounds to here spend ε = ${Number(e.epsilon).toFixed(3)}`;
    case 'TestKeyReleased': return 'test-set key released';
    case 'TestKeyWithheld': return "test-set key withheld: settled in the participants' favour";
    case 'TestSetDisputed': return ['evaluator ', accountLink(e.who), ' disputes the test set'];
    case 'TestSetDisputeUpheld': return `test set disputed by ${e.disputes} of ${e.evaluators} evaluators`;
    default: {
      const { block, event, ...rest } = e; // an event this page does not know: show its fields
      return JSON.stringify(rest);
    }
  }
}

function eventLog(events, ctx) {
  const recent = events.slice(-EVENT_LOG_SIZE).reverse();
  return h('ol', { class: 'events', 'data-testid': 'events' }, recent.length ? recent.map((e) =>
    h('li', { 'data-event': e.event }, h('span', { class: 'blk' }, `#${e.block}`), h('span', { class: 'ev' }, e.event), h('span', {}, describe(e, ctx))))
    : h('li', { class: 'muted' }, 'no events seen yet'));
}

// ---------------------------------------------------------------- accounts

function bondCells(bond) {
  const n = native();
  if (!bond) return [h('td', { class: 'num' }, '–'), h('td', { class: 'num' }, '–'), h('td', { class: 'num' }, '–')];
  const unlocking = Array.isArray(bond.unlocking) ? bond.unlocking.length : (bond.unlocking ?? 0);
  return [amountCell(bond.active, n), amountCell(bond.locked, n), h('td', { class: 'num' }, String(unlocking))];
}

function accountsTable(list, role) {
  const rows = (list || []).map((a) => h('tr', { 'data-account': a.account },
    h('td', {}, accountLink(a.account)), bondCells(a.bond), h('td', { class: 'num' }, text(a.reputation)),
    h('td', {}, (a.tasks || []).length ? (a.tasks || []).flatMap((t, i) => [i ? ', ' : '', taskLink(t, String(t))]) : '–')));
  return h('div', { class: 'scroll' }, table({ 'data-testid': role }, ['account', 'bond active', 'locked', 'unlocking', 'reputation', 'tasks'], rows, `no ${role}`));
}

function renderAccounts(main, data) {
  fill(main, h('h1', {}, 'Accounts'),
    section('Evaluators (pool members)', accountsTable(data.evaluators, 'evaluators')),
    section('Participants (of the tasks shown)', accountsTable(data.participants, 'participants')));
}

// ---------------------------------------------------------------- #/validators

function renderValidators(main, data) {
  const n = native(), amount = (x) => h('span', { title: exactAmount(x, n.decimals, n.symbol) }, formatAmount(x, n.decimals, n.symbol));
  const has = (list, who) => (list || []).includes(who);
  const bondOf = (who) => (data.candidates || []).concat(data.leaving || []).find((c) => c.account === who)?.bond;
  const active = (data.active || []).map((who) => {
    const marks = [has(data.disabled, who) ? 'disabled (offended this session)' : null,
      has(data.planned, who) ? null : 'leaves at the next session'].filter(Boolean);
    const bond = bondOf(who);
    return h('tr', { 'data-account': who }, h('td', {}, accountLink(who)),
      h('td', {}, has(data.invulnerables, who) ? 'invulnerable' : 'candidate'),
      h('td', { class: 'num' }, bond === undefined ? '–' : amount(bond)), h('td', {}, marks.join('; ') || 'authoring'));
  });
  const joining = (data.planned || []).filter((who) => !has(data.active, who));
  const standing = (list, testid, empty) => table({ 'data-testid': testid }, ['account', 'locked bond'],
    (list || []).map((c) => h('tr', { 'data-account': c.account }, h('td', {}, accountLink(c.account)), h('td', { class: 'num' }, amount(c.bond)))), empty);
  fill(main, h('h1', {}, 'Validators'),
    h('p', { class: 'muted' }, `Session ${text(data.session)}. Invulnerables are seated by the council; candidates stand with a locked validator bond, the largest first (din validator join).`),
    section('Authoring this session', h('div', { class: 'scroll' }, table({ 'data-testid': 'active' }, ['validator', 'seat', 'locked bond', 'state'], active, 'no validators'))),
    section('Joining at the next session', joining.length ? h('ul', { 'data-testid': 'joining' }, ...joining.map((who) => h('li', {}, accountLink(who)))) : h('p', { class: 'muted' }, 'nobody')),
    section('Candidates', h('div', { class: 'scroll' }, standing(data.candidates, 'candidates', 'no candidates'))),
    section('Leaving (bond locked until out of every set)', h('div', { class: 'scroll' }, standing(data.leaving, 'leaving', 'nobody leaving'))));
}

function bondText(bond) {
  if (!bond) return '–';
  const n = native(), f = (x) => formatAmount(x, n.decimals, n.symbol);
  if (typeof bond !== 'object') return f(bond);
  const unlocking = Array.isArray(bond.unlocking) ? bond.unlocking.length : bond.unlocking;
  return `${f(bond.active)} active, ${f(bond.locked)} locked${unlocking ? `, ${unlocking} unlocking` : ''}`;
}

function renderAccount(main, data) {
  const n = native(), ev = data.evaluator || {}, pa = data.participant || {};
  const tasks = data.tasks || [];
  fill(main,
    h('h1', {}, 'Account'), h('p', { class: 'mono', 'data-testid': 'account' }, data.account),
    section('Balances', dl([['free', h('span', { 'data-testid': 'free', title: exactAmount(data.balance?.free, n.decimals, n.symbol) }, formatAmount(data.balance?.free, n.decimals, n.symbol))],
      ['reserved', h('span', { 'data-testid': 'reserved', title: exactAmount(data.balance?.reserved, n.decimals, n.symbol) }, formatAmount(data.balance?.reserved, n.decimals, n.symbol))]])),
    section('Evaluator', dl([['bond', bondText(ev.bond)], ['reputation', text(ev.reputation)], ['in the pool', ev.in_pool ? 'yes' : 'no']])),
    section('Participant', dl([['bond', bondText(pa.bond)], ['reputation', text(pa.reputation)]])),
    section('Tasks', table({ 'data-testid': 'account-tasks' }, ['task', 'role'],
      tasks.map((t) => h('tr', { 'data-task': t.task }, h('td', {}, taskLink(t.task)), h('td', {}, t.role))), 'no tasks')));
}

// ---------------------------------------------------------------- #/fund (EIP-1193)

// Kept across navigations so coming back to the page keeps the wallet and the address.
const fund = { account: null, address: '', cf: null, spec: null, evm: null, busy: false };

async function evmInfo() {
  if (!fund.evm) fund.evm = await getJSON('api/evm');
  return fund.evm;
}

function wallet() {
  if (!window.ethereum) throw new Error('no injected wallet (window.ethereum)');
  return window.ethereum;
}

function setStatus(msg, state = 'pending') {
  const el = $('[data-testid="fund-status"]');
  if (el) { el.textContent = msg; el.dataset.state = state; }
}

// Wallet errors carry a message and often a nested data.message with the revert reason.
function walletError(e) {
  const inner = e && e.data && (e.data.message || (typeof e.data === 'string' ? e.data : ''));
  const msg = (e && e.message) || String(e);
  return `error: ${msg}${inner && !msg.includes(inner) ? ` (${inner})` : ''}${e && e.code != null ? ` [code ${e.code}]` : ''}`;
}

async function ensureAccount() {
  if (fund.account) return fund.account;
  const accounts = await wallet().request({ method: 'eth_requestAccounts' });
  if (!accounts || !accounts.length) throw new Error('the wallet gave no account');
  fund.account = accounts[0];
  const el = $('[data-testid="wallet-account"]');
  if (el) el.textContent = fund.account;
  return fund.account;
}

// ABI decoding of the crowdfund's getters: every static value is one 32-byte word.
function word(hex, i = 0) {
  const body = String(hex || '').replace(/^0x/, '');
  if (body.length < 64 * (i + 1)) throw new Error('empty eth_call result: is there a TaskCrowdfund at this address?');
  return body.slice(64 * i, 64 * (i + 1));
}
const decodeUint = (hex) => BigInt('0x' + word(hex));
const decodeBool = (hex) => decodeUint(hex) !== 0n;
const decodeUint32 = (hex) => Number(decodeUint(hex) & 0xffffffffn);
const decodeAddress = (hex) => '0x' + word(hex).slice(24);
function decodeBytes(hex) {
  const body = String(hex || '').replace(/^0x/, '');
  const offset = Number(decodeUint(hex)) * 2;
  const len = Number(BigInt('0x' + (body.slice(offset, offset + 64) || '0'))) * 2;
  const data = body.slice(offset + 64, offset + 64 + len);
  if (data.length !== len) throw new Error('spec(): the bytes are cut short');
  return '0x' + data;
}

async function readCrowdfund(address) {
  const evm = await evmInfo(), sel = evm.crowdfund, eth = wallet();
  const call = (data) => eth.request({ method: 'eth_call', params: [{ to: address, data }, 'latest'] });
  const [goal, raised, launched, task, token, spec] = await Promise.all(
    [sel.goal, sel.raised, sel.launched, sel.task, sel.token, sel.spec].map(call));
  return { address, goal: decodeUint(goal), raised: decodeUint(raised), launched: decodeBool(launched),
    task: decodeUint32(task), token: decodeAddress(token), spec: decodeBytes(spec) };
}

function isNativeCrowdfund(cf) { return /^0x0{40}$/i.test(cf.token); }

// A native crowdfund counts wei; the pallet counts smallest native units, wei_per_native apart.
function weiText(wei, evm) {
  const n = evm.native || native();
  return formatAmount(wei / BigInt(evm.wei_per_native), n.decimals, n.symbol);
}

async function loadCrowdfund() {
  const address = $('#crowdfund-address').value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new Error('enter the crowdfund contract address (0x and 40 hex digits)');
  fund.address = address;
  setStatus('reading the crowdfund…');
  const cf = await readCrowdfund(address);
  const spec = await getJSON('api/spec', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ spec: cf.spec }) });
  fund.cf = cf; fund.spec = spec;
  drawCrowdfund();
  setStatus(`crowdfund ${shortAddr(address)} loaded`, 'ok');
  return cf;
}

function drawCrowdfund() {
  const { cf, spec } = fund, evm = fund.evm, box = $('[data-testid="crowdfund"]');
  if (!box || !cf) return;
  const nativeCf = isNativeCrowdfund(cf);
  const unit = spec.reward_asset || native();
  const money = (v) => (nativeCf ? weiText(v, evm) : formatAmount(v, unit.decimals, unit.symbol));
  const share = cf.goal > 0n ? Number((cf.raised * 1000n) / cf.goal) / 10 : 100;
  box.replaceChildren(
    dl([['goal', h('span', { 'data-testid': 'crowdfund-goal', 'data-wei': cf.goal.toString() }, money(cf.goal))],
      ['raised', h('span', { 'data-testid': 'crowdfund-raised', 'data-wei': cf.raised.toString() }, `${money(cf.raised)} (${share.toFixed(1)}%)`)],
      ['launched', h('span', { 'data-testid': 'crowdfund-launched' }, cf.launched ? `yes, task ${cf.task}` : 'no')],
      ['raises', nativeCf ? 'the native token' : h('span', { class: 'warn' }, `an ERC-20 (${cf.token}); this page supports only native contributions`)]]),
    h('div', { class: 'progress' }, h('div', { style: { width: `${Math.min(100, share)}%` } })),
    h('h3', {}, 'The task it funds'),
    h('div', { 'data-testid': 'crowdfund-task' }, dl([['rounds', String(spec.rounds)], ['model', text(spec.model)],
      ['aggregation', text(spec.aggregation)], ['scoring', text(spec.scoring)], ['pool', spec.pool_formatted],
      ['storage deposit (sent with launch)', withSymbol(spec.deposit_formatted, native().symbol)]])));
  $('#contribute').disabled = !nativeCf || cf.launched;
  $('#launch').disabled = cf.launched;
  const out = $('[data-testid="launch-result"]');
  out.replaceChildren(cf.launched ? launchedLink(cf.task) : (cf.raised < cf.goal ? h('span', { class: 'muted' }, 'the goal is not met yet: launch will revert') : ''));
}

// deposit_formatted is the CLI's bare native number; name the token so it cannot be misread.
function withSymbol(x, symbol) { return /^[\d.]+$/.test(String(x)) ? `${x} ${symbol}` : text(x); }

function launchedLink(task) {
  return h('a', { 'data-testid': 'launched-task', 'data-task': task, href: `#/task/${task}` }, `Task ${task} launched`);
}

async function waitReceipt(hash) {
  const deadline = Date.now() + 120000;
  setStatus(`sent ${shortCid(hash)}, waiting for it to be included…`);
  while (Date.now() < deadline) {
    const receipt = await wallet().request({ method: 'eth_getTransactionReceipt', params: [hash] });
    if (receipt) return receipt;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no receipt for ${hash} after 120 s`);
}

// Sends one transaction and waits for it; the wallet fills in gas and its price.
async function send(what, data, valueWei) {
  const from = await ensureAccount();
  setStatus(`${what}: sending… (confirm in the wallet)`);
  const hash = await wallet().request({ method: 'eth_sendTransaction',
    params: [{ from, to: fund.address, data, value: '0x' + valueWei.toString(16) }] });
  const receipt = await waitReceipt(hash);
  const block = parseInt(receipt.blockNumber, 16);
  if (receipt.status !== '0x1') throw new Error(`${what} failed: reverted in block ${block} (tx ${hash})`);
  return { hash, block };
}

// Runs one button's action with the others disabled, so a second click cannot double-send.
async function busy(fn) {
  if (fund.busy) return;
  fund.busy = true;
  const buttons = ['#connect', '#load-crowdfund', '#contribute', '#launch'].map((q) => $(q)).filter(Boolean);
  const was = buttons.map((b) => b.disabled);
  buttons.forEach((b) => { b.disabled = true; });
  try { await fn(); } catch (e) { setStatus(walletError(e), 'error'); } finally {
    fund.busy = false;
    buttons.forEach((b, i) => { b.disabled = was[i]; });
    if (fund.cf) drawCrowdfund();
  }
}

async function contribute() {
  const evm = await evmInfo();
  if (!fund.cf || fund.address !== $('#crowdfund-address').value.trim()) await loadCrowdfund();
  if (!isNativeCrowdfund(fund.cf)) throw new Error('this crowdfund raises an ERC-20; only native contributions are supported here');
  const amount = $('#contribute-amount').value;
  const n = evm.native || native();
  const wei = parseDecimal(amount, n.decimals) * BigInt(evm.wei_per_native);
  if (wei <= 0n) throw new Error('enter an amount above 0');
  const { block, hash } = await send(`contributing ${amount.trim()} ${n.symbol}`, evm.crowdfund.contribute, wei);
  await loadCrowdfund();
  setStatus(`contributed ${amount.trim()} ${n.symbol}: included in block ${block} (tx ${shortCid(hash)})`, 'ok');
}

async function launch() {
  const evm = await evmInfo();
  if (!fund.cf || fund.address !== $('#crowdfund-address').value.trim()) await loadCrowdfund();
  const { block } = await send('launching', evm.crowdfund.launch, BigInt(fund.spec.deposit_wei));
  const task = decodeUint32(await wallet().request({ method: 'eth_call', params: [{ to: fund.address, data: evm.crowdfund.task }, 'latest'] }));
  await loadCrowdfund();
  $('[data-testid="launch-result"]').replaceChildren(launchedLink(task));
  setStatus(`launched task ${task}: included in block ${block}`, 'ok');
}

function renderFund(main) {
  const hasWallet = !!window.ethereum;
  fill(main,
    h('h1', {}, 'Fund a task'),
    h('p', { class: 'muted' }, 'A TaskCrowdfund contract, through your browser wallet (EIP-1193) connected to this chain\'s Ethereum RPC: read what it funds, contribute, and launch the task once its goal is met.'),
    section('Wallet',
      h('div', { class: 'row' }, h('button', { id: 'connect', type: 'button', onclick: () => busy(async () => {
        fund.account = null; await ensureAccount(); setStatus(`connected ${fund.account}`, 'ok');
      }) }, 'Connect wallet'), h('span', { 'data-testid': 'wallet-account', class: 'mono' }, fund.account || 'not connected')),
      hasWallet ? null : h('p', { class: 'warn', 'data-testid': 'no-wallet' }, 'no injected wallet (window.ethereum): install MetaMask or a compatible wallet to fund a task')),
    section('Crowdfund',
      h('div', { class: 'row' }, h('label', { for: 'crowdfund-address' }, 'contract address'),
        h('input', { id: 'crowdfund-address', class: 'mono wide', placeholder: '0x…', autocomplete: 'off', spellcheck: 'false', value: fund.address }),
        h('button', { id: 'load-crowdfund', type: 'button', onclick: () => busy(loadCrowdfund) }, 'Load')),
      h('div', { 'data-testid': 'crowdfund' }, h('p', { class: 'muted' }, 'enter the address and load it'))),
    section('Contribute',
      h('div', { class: 'row' }, h('label', { for: 'contribute-amount' }, 'amount'),
        h('input', { id: 'contribute-amount', inputmode: 'decimal', placeholder: '101', autocomplete: 'off' }),
        h('span', {}, native().symbol),
        h('button', { id: 'contribute', type: 'button', onclick: () => busy(contribute) }, 'Contribute'))),
    section('Launch',
      h('div', { class: 'row' }, h('button', { id: 'launch', type: 'button', onclick: () => busy(launch) }, 'Launch the task'),
        h('span', { 'data-testid': 'launch-result' }))),
    h('div', { class: 'status', 'data-testid': 'fund-status', 'data-state': 'idle', role: 'status' },
      hasWallet ? 'ready' : 'no injected wallet (window.ethereum)'));
  if (fund.cf && fund.spec) drawCrowdfund();
}

function watchWallet() {
  if (!window.ethereum || !window.ethereum.on) return;
  window.ethereum.on('accountsChanged', (accounts) => {
    fund.account = (accounts && accounts[0]) || null;
    const el = $('[data-testid="wallet-account"]');
    if (el) el.textContent = fund.account || 'not connected';
  });
}

window.addEventListener('hashchange', navigate);
window.addEventListener('DOMContentLoaded', () => { watchWallet(); navigate(); });
