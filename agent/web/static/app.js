// The sprinkler page: one more MQTT client of the agent's contract (the README's "MQTT
// topics"). It follows the retained state and events, and sends requests with an id and a
// private reply topic, exactly like ctl. What the broker lets this user do decides what shows.
'use strict';

const $ = (sel) => document.querySelector(sel);
const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};

let cfg, client, clientId, base = '';
let agent = '';
let role = '';           // admin, operator, homeassistant or viewer; '' until known
let snapshot = null;     // the retained <base>/state
const agents = new Map(); // agent id -> online | offline
const pending = new Map(); // request id -> {resolve, reject, timer}
let seq = 0;

// when writes times as the person's locale does (24 h or 12 h, its names of days and months),
// each format made once: making one costs a phone milliseconds.
const when = (() => {
  const made = {};
  const f = (name, o) => (t) => (made[name] ||= new Intl.DateTimeFormat([], o)).format(new Date(t));
  return {
    time: f('time', { hour: 'numeric', minute: '2-digit' }),
    seconds: f('seconds', { hour: 'numeric', minute: '2-digit', second: '2-digit' }),
    day: f('day', { day: 'numeric', month: 'short' }),
    date: f('date', { weekday: 'short', day: 'numeric', month: 'short' }),
    dayTime: f('dayTime', { weekday: 'short', day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' }),
    weekdayTime: f('weekdayTime', { weekday: 'short', hour: 'numeric', minute: '2-digit' }),
  };
})();

// The person's units: inches and US gallons where the locale measures so (the United States,
// Liberia, Myanmar), millimetres and litres elsewhere.
const imperial = /-(US|LR|MM)\b/i.test(navigator.language || '');
const GALLON = 3.785411784;
const depth = (mm) => (imperial ? `${(mm / 25.4).toFixed(2)} in` : `${mm.toFixed(1)} mm`);
const volume = (l) => (imperial ? `${(l / GALLON).toFixed(1)} gal` : `${l.toFixed(1)} L`);

const canOperate = () => role !== '' && role !== 'viewer';

// seen are the sections below the first screen that have come near it: what they show is asked
// for only from then on, so a phone's first screen waits for nothing below it.
const seen = new Set();
function watchSections() {
  const first = { 'programs-section': () => programList(), 'history-section': () => history(), 'events-section': () => todaysRuns() };
  const io = new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (!e.isIntersecting || seen.has(e.target.id)) continue;
      seen.add(e.target.id);
      io.unobserve(e.target);
      first[e.target.id]();
    }
  }, { rootMargin: '400px 0px' });
  for (const id of Object.keys(first)) io.observe(document.getElementById(id));
}

async function main() {
  if ('serviceWorker' in navigator) { // a secure context only; after the load, in a task of its own
    window.addEventListener('load', () => setTimeout(() => navigator.serviceWorker.register('sw.js').catch(() => {})));
  }
  const config = fetch('config.json').then((r) => r.json()); // the page is wired while it comes
  $('#login').addEventListener('submit', (e) => {
    e.preventDefault();
    config.then(() => signIn($('#user').value, $('#pass').value));
  });
  $('#signout').addEventListener('click', signOut);
  $('#agent').addEventListener('change', (e) => select(e.target.value));
  $('#stop-all').addEventListener('click', () => {
    if (window.confirm('Stop all: close every zone now?')) act('close', { zones: 'all' });
  });
  $('#pause').addEventListener('click', () => act('pause', { duration_s: 1800 }));
  $('#resume').addEventListener('click', () => act('resume', {}));
  $('#profile').addEventListener('change', (e) => act('activate', { profile: e.target.value }).then(schedule));
  $('#auto').addEventListener('change', (e) => act(e.target.checked ? 'run' : 'stop', {}));
  $('#rain-set').addEventListener('click', () => act('rain_delay', { hours: Number($('#rain-hours').value) }));
  $('#relogin').addEventListener('click', () => { $('#login-why').textContent = 'Sign in.'; $('#login').hidden = false; });
  setInterval(tick, 1000);
  setInterval(schedule, 60000);
  watchSections();
  redrawOnResize();
  cfg = await config;
  $('#level').max = cfg.max_water_level;
  const kept = signedIn();
  if (kept) {
    $('#who').textContent = kept.user; // the role once the broker says it
    $('#signout').hidden = false;
    $('#relogin').hidden = true;
    connect(kept.user, kept.token); // the sign-in the browser keeps, never the password
  } else if (location.hash === '#login') {
    $('#login').hidden = false; // sign in as someone else than the anonymous user
  } else {
    connect('', ''); // anonymous first: the broker allows it from loopback only
  }
}

// signedIn is the sign-in this browser keeps, if any.
function signedIn() {
  try {
    return JSON.parse(localStorage.getItem('sprinkler-signin') || 'null');
  } catch {
    return null;
  }
}

// signIn asks the agent for a sign-in the browser keeps (or, without sign-ins, logs in with
// the password itself), and says so when it is refused.
async function signIn(user, pass) {
  if (!cfg.signin) {
    connect(user, pass);
    return;
  }
  const r = await fetch('signin', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password: pass }) });
  const body = await r.json().catch(() => ({}));
  if (!r.ok || body.error || !body.token) {
    $('#pass').value = '';
    $('#login-why').textContent = `Not signed in (${when.seconds(Date.now())}): ${body.error || r.statusText}. Try again.`;
    $('#pass').focus();
    return;
  }
  localStorage.setItem('sprinkler-signin', JSON.stringify(body));
  $('#pass').value = '';
  connect(body.user, body.token);
}

// signOut ends this browser's sign-in, here and at the agent.
function signOut() {
  const kept = signedIn();
  localStorage.removeItem('sprinkler-signin');
  if (kept) {
    fetch('signout', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: kept.token }) }).catch(() => {});
  }
  hangUp();
  role = '';
  snapshot = null;
  editing = null;
  $('#garden').hidden = true; // nothing of the garden for whom signed out
  $('#editor').hidden = true;
  $('#who').textContent = '';
  $('#signout').hidden = true;
  $('#login-why').textContent = 'Signed out. Sign in:';
  $('#login').hidden = false;
}

function connect(user, pass) {
  hangUp();
  clientId = 'web-' + Math.random().toString(16).slice(2, 10);
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + cfg.mqtt_path;
  client = mqtt.connect(url, { clientId, username: user || undefined, password: pass || undefined, reconnectPeriod: 3000, connectTimeout: 8000 });
  client.on('connect', () => {
    unreachable = null;
    $('#login').hidden = true;
    client.subscribe(`${cfg.prefix}/+/status`, { qos: 1 });
    select(agent || cfg.agent);
  });
  client.on('message', receive);
  client.on('error', (err) => {
    if (![4, 5, 134, 135].includes(err.code)) return; // not a refusal: the controller is unreachable, and the client retries
    hangUp();
    if (user && signedIn()?.token === pass) {
      localStorage.removeItem('sprinkler-signin');
      $('#login-why').textContent = 'Your sign-in ended (it expired, you signed out elsewhere, or the password changed). Sign in again:';
    } else if (user) {
      $('#pass').value = '';
      $('#login-why').textContent = `Not signed in (${when.seconds(Date.now())}): wrong username or password. Try again.`;
    } else {
      $('#login-why').textContent = 'Sign in to see the garden.';
    }
    $('#login').hidden = false;
    presence();
  });
  const c = client;
  client.on('close', () => {
    if (c.hungUp) return;
    if (!unreachable) unreachable = new Date();
    role = ''; // nothing to change until it answers again
    if (!snapshot) lastKnown();
    render();
    presence();
  });
}

// hangUp ends the connection on purpose: no "unreachable" follows.
function hangUp() {
  if (!client) return;
  client.hungUp = true;
  client.end(true);
}

// unreachable is when the connection was lost (null while connected or still connecting).
let unreachable = null;

// remember keeps the agent's last state in this browser, which the page shows when the
// controller cannot be reached: soon, for writing it can take a phone a while.
function remember(text) {
  remember.last = { key: `sprinkler-last-${agent}`, at: Date.now(), state: text };
  soon(keep);
}

function keep() {
  const { key, at, state } = remember.last;
  try {
    localStorage.setItem(key, JSON.stringify({ at, state }));
  } catch { /* storage full or off: the page works without */ }
}

// lastKnown shows the state remembered for this agent, if any.
function lastKnown() {
  try {
    const kept = JSON.parse(localStorage.getItem(`sprinkler-last-${agent || cfg.agent}`) || 'null');
    if (kept) {
      snapshot = JSON.parse(kept.state);
      lastKnown.at = new Date(kept.at);
    }
  } catch { /* nothing kept */ }
}

// select follows agent id: its state, events and the replies to this page.
function select(id) {
  if (base) client.unsubscribe([`${base}/state`, `${base}/event`, `${base}/flow/state`, `${base}/weather/state`, `${base}/schedule/next`, `${base}/response/+/${clientId}`]);
  agent = id;
  base = `${cfg.prefix}/${id}`;
  snapshot = null;
  $('#events').replaceChildren();
  sensorsLine.flow = null;
  weatherLine(null);
  client.subscribe([`${base}/state`, `${base}/event`, `${base}/flow/state`, `${base}/weather/state`, `${base}/schedule/next`, `${base}/response/+/${clientId}`], { qos: 1 });
  todaysRuns();
  request('whoami', {}).then((w) => {
    role = w.role || 'admin';
    const kept = signedIn();
    $('#who').textContent = kept ? `${kept.user} (${role})` : `${role} without signing in`;
    $('#who').title = `client ${w.client_id}`;
    $('#signout').hidden = !kept;
    $('#relogin').hidden = !!kept;
    render();
    programList();
  }).catch((err) => {
    role = 'viewer'; // unknown: nothing offered that could be refused, the state still shown
    render();
    show(err);
  });
  schedule();
  presence();
}

function receive(topic, payload) {
  const text = payload.toString();
  if (topic.startsWith(cfg.prefix + '/') && topic.endsWith('/status')) {
    const id = topic.slice(cfg.prefix.length + 1, -'/status'.length);
    if (!id.includes('/')) {
      agents.set(id, text);
      pickers();
      presence();
    }
    return;
  }
  if (topic === `${base}/state`) {
    snapshot = JSON.parse(text);
    lastKnown.at = null;
    remember(text);
    render();
  } else if (topic === `${base}/event`) {
    event(JSON.parse(text));
  } else if (topic === `${base}/schedule/next`) {
    if (text) timeline(JSON.parse(text)); // the schedule changed: a program, a zone, a switch
  } else if (topic === `${base}/weather/state`) {
    weatherLine(text ? JSON.parse(text) : null);
  } else if (topic === `${base}/flow/state`) {
    sensorsLine.flow = text ? JSON.parse(text) : null;
    sensorsLine();
  } else if (topic.startsWith(`${base}/response/`)) {
    const r = JSON.parse(text);
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.status === 'ok') p.resolve(r.data);
    else p.reject(Object.assign(new Error(r.error || r.code || 'refused'), { code: r.code }));
  }
}

// request sends cmd with args and resolves with the reply's data, or rejects with the
// agent's error text.
function request(cmd, args) {
  const id = `${clientId}-${++seq}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject(new Error(`no answer from ${agent} to ${cmd}`));
    }, 8000);
    pending.set(id, { resolve, reject, timer });
    const body = { id, reply_to: clientId, ts: new Date().toISOString(), ttl_s: 8, source: 'web', ...args };
    client.publish(`${base}/request/${cmd}`, JSON.stringify(body), { qos: 1 });
  });
}

// act sends a command that changes something and shows a refusal.
function act(cmd, args) {
  return request(cmd, args).catch(show);
}

// show tells a refusal or a failure until the person dismisses it: "Not done: …", with the
// time, so that two alike are told apart.
function show(err) {
  const m = $('#message');
  const ok = el('button', { type: 'button', textContent: 'Dismiss' });
  ok.addEventListener('click', () => { m.hidden = true; });
  m.replaceChildren(el('span', { textContent: `${when.time(Date.now())}: ${plain(err.message)}` }), ' ', ok);
  m.hidden = false;
}

function pickers() {
  const sel = $('#agent');
  const ids = [...agents.keys()].sort();
  sel.replaceChildren(...ids.map((id) => el('option', { value: id, selected: id === agent, textContent: `${id} (${agents.get(id)})` })));
  sel.hidden = ids.length < 2;
}

function presence() {
  const p = $('#presence');
  const connected = client && client.connected;
  const state = connected ? (agents.get(agent) || 'unknown') : 'disconnected';
  p.textContent = `${agent || cfg.agent}: ${state}`;
  p.className = 'presence ' + (state === 'online' ? 'online' : 'offline');
  const banner = $('#offline');
  const down = unreachable ? `The controller is unreachable since ${clock(unreachable)}; the page tries again by itself.`
    : state === 'offline' ? `${agent} is offline: its broker answers, the agent does not.` : '';
  const stale = lastKnown.at ? ` Showing its last known state, from ${clock(lastKnown.at)}; nothing can be changed until it answers.` : '';
  banner.textContent = down && down + stale;
  banner.hidden = !down;
}

// clock is a time as the person's locale writes it, with the day when not today.
function clock(t) {
  const d = new Date(t);
  const today = d.toDateString() === new Date().toDateString();
  return today ? when.time(d) : when.weekdayTime(d);
}

function left(endsAt) {
  const s = Math.max(0, Math.round((Date.parse(endsAt) - Date.now()) / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}` : `${m}`) + `:${String(r).padStart(2, '0')}`;
}

function tick() {
  document.querySelectorAll('[data-ends]').forEach((e) => { e.textContent = left(e.dataset.ends) + ' left'; });
}

// soon runs fn in a task of its own, once however often it is asked for before then (the
// retained messages of a connect come together): the drawing is one task and the browser's
// layout of it the next, so that neither holds a phone long.
function soon(fn) {
  if (fn.asked) return;
  fn.asked = setTimeout(() => {
    fn.asked = 0;
    fn();
  });
}

// render draws the state soon.
function render() {
  soon(draw);
}

function draw() {
  document.querySelectorAll('.operate').forEach((e) => { e.hidden = !canOperate(); });
  $('#role-why').hidden = role === '' || canOperate();
  $('#role-why').textContent = `You are ${role}: you see everything and change nothing (an operator runs zones, an admin edits).`;
  $('#profile').disabled = !canOperate();
  $('#auto').disabled = !canOperate();
  if (!snapshot || (role === '' && !unreachable)) return;
  $('#garden').hidden = false; // shown whole once the state and the role are known, so that nothing moves as it fills
  const zones = Object.values(snapshot.zones).sort((a, b) => a.zone - b.zone);
  const form = document.querySelector('#zones .zone-settings'); // an open settings form moves to the new card
  const formZone = form && form.closest('.zone').dataset.zone;
  $('#zones').replaceChildren(...zones.map(card));
  if (form) document.querySelector(`.zone[data-zone="${formZone}"]`)?.append(form);
  const queued = snapshot.queue || [];
  $('#queue').replaceChildren(...queued.map((q) => el('li', {},
    `${zoneName(q.zone)} waits for ${q.waits_for || 'the power budget'} (${Math.round(q.duration_s / 60)} min, asked by `, person(q.source), ')')));
  const paused = Boolean(snapshot.paused_until);
  $('#paused').textContent = paused ? `Paused until ${clock(snapshot.paused_until)}` : '';
  if (canOperate()) {
    $('#pause').hidden = paused;
    $('#resume').hidden = !paused;
  }
  $('#auto').checked = snapshot.auto !== false;
  $('#rain').textContent = snapshot.rain_delay_until ? `Rain delay until ${clock(snapshot.rain_delay_until)}` : '';
  if (snapshot.water_level != null && document.activeElement !== $('#level')) {
    $('#level').value = snapshot.water_level;
    $('#level-value').textContent = `${snapshot.water_level} %`;
  }
  const hz = $('#history-zone');
  if (hz.options.length !== zones.length + 1) {
    hz.replaceChildren(el('option', { value: 0, textContent: 'all' }), ...zones.map((z) => el('option', { value: z.zone, textContent: `${z.zone}. ${z.name}` })));
  }
  sensorsLine();
  if (snapshot.profile !== render.profile) { // another client switched it: the lists follow
    render.profile = snapshot.profile;
    schedule();
  }
  tick();
}

function card(z) {
  const open = z.state === 'open';
  const state = z.disabled ? 'disabled' : z.queued ? 'queued' : z.state;
  const c = el('article', { className: `zone ${state}` });
  c.dataset.zone = z.zone;
  c.append(
    el('h3', { textContent: `${z.zone}. ${z.name}` }),
    el('p', { className: 'state', textContent: z.master ? `${state} (master valve)` : state }),
  );
  if (z.link) { // a valve on the network: how it is reached, and what it said
    c.append(el('p', { className: 'link', textContent: `${z.device}: ${z.link}${z.reported ? `, reported ${z.reported}` : ''}` }));
  }
  if (open && z.ends_at) {
    const t = el('p', { className: 'left' });
    t.dataset.ends = z.ends_at;
    c.append(t);
  }
  if (canOperate() && !z.master && !z.disabled) {
    const minutes = el('input', {
      type: 'number', min: 1, max: 240, step: 1, className: 'minutes',
      value: Math.max(1, Math.round((z.default_duration_s || 600) / 60)),
    });
    minutes.setAttribute('aria-label', `Minutes for zone ${z.zone}`);
    const openBtn = el('button', { className: 'open', textContent: 'Open' });
    openBtn.addEventListener('click', () => act('open', { zones: [z.zone], duration_s: Number(minutes.value) * 60 }));
    const closeBtn = el('button', { className: 'close', textContent: 'Close', disabled: !open && !z.queued });
    closeBtn.addEventListener('click', () => act('close', { zones: [z.zone] }));
    c.append(el('div', { className: 'actions' }, minutes, el('span', { textContent: 'min' }), openBtn, closeBtn));
  }
  if (canAdmin() && !z.master) c.querySelector('h3').append(' ', settingsButton(z));
  return c;
}

// person reads who did something as people say it: "alice on the page" of the agent's
// "alice on the page (web-39bdc779)", the client id kept for its tooltip; the schedule's runs
// and the agent's own words as they are.
function person(source) {
  const m = /^(.*) \(([^()]+)\)$/.exec(source || '');
  const words = { 'schedule': 'the schedule', resume: 'resumed after a restart', timer: 'its time', watchdog: 'the watchdog', startup: 'the start', shutdown: 'the stop' };
  const name = m ? m[1] : source.startsWith('schedule:') ? `the schedule (${source.slice(9)})` : words[source] || source;
  return el('span', { className: 'who-did', textContent: name, title: m ? `client ${m[2]}` : '' });
}

function event(e) {
  const list = $('#events');
  const what = [e.event_type.replace(/_/g, ' '), e.zone ? zoneName(e.zone) : ''].filter(Boolean).join(' · ');
  const more = [e.reason || '', e.message || ''].filter(Boolean).join(' · ');
  list.prepend(el('li', {}, el('time', { textContent: when.seconds(e.ts) }), ' ', what, e.source ? ' · by ' : '', e.source ? person(e.source) : '', more ? ' · ' + more : ''));
  if (e.event_type === 'leak') show(new Error(`Leak: ${e.message || 'water flows while every valve is closed'}`));
  while (list.children.length > 30) list.lastChild.remove();
}

// schedule reads the profiles and the next 48 hours, and draws today and tomorrow.
function schedule() {
  if (!client || !client.connected || !base) return;
  request('profiles', {}).then((ps) => {
    $('#profile').replaceChildren(...ps.map((p) => el('option', { value: p.name, selected: p.active, textContent: p.name })));
  }).catch(() => $('#profile').replaceChildren());
  request('next', { hours: 48 }).then(timeline).catch(() => $('#timeline').replaceChildren());
  programList();
  history();
}

// timeline draws one row per zone and the runs as bars over today and tomorrow, with a line
// at now, as wide as its box: on a phone each zone's name sits above its lane, whole.
function timeline(runs) {
  timeline.runs = runs;
  soon(drawTimeline);
}

function drawTimeline() {
  const runs = timeline.runs;
  const box = $('#timeline');
  if (!chartWidth.timeline) return; // drawn when its box is first measured
  const width = Math.max(280, chartWidth.timeline);
  const narrow = width < 600;
  const day0 = new Date(); day0.setHours(0, 0, 0, 0);
  const span = 2 * 86400e3, left0 = narrow ? 4 : 170, row = narrow ? 36 : 24, lane = narrow ? 14 : 16, head = 22;
  const zones = snapshot ? Object.values(snapshot.zones).map((z) => z.zone).sort((a, b) => a - b) : [...new Set(runs.map((r) => r.zone))].sort((a, b) => a - b);
  const h = head + zones.length * row;
  const x = (t) => left0 + ((t - day0.getTime()) / span) * (width - left0 - 4);
  const s = svg('svg', { viewBox: `0 0 ${width} ${h}`, width, height: h, role: 'img', 'aria-label': `Scheduled runs today and tomorrow: ${runs.length} runs` });
  for (let hour = 0; hour <= 48; hour += narrow ? 12 : 6) {
    const xx = x(day0.getTime() + hour * 3600e3);
    s.append(svg('line', { x1: xx, x2: xx, y1: 16, y2: h, class: 'grid' }));
    if (hour === 48) continue;
    const label = svg('text', { x: xx + 2, y: 12, class: 'label' });
    label.textContent = hour % 24 === 0 ? (hour === 0 ? 'today' : 'tomorrow') : `${hour % 24}h`;
    s.append(label);
  }
  zones.forEach((zone, i) => {
    const y = head + i * row;
    const z = snapshot && snapshot.zones[String(zone)];
    const name = svg('text', { x: 4, y: y + (narrow ? 11 : 16), class: 'label' });
    const full = z ? `${zone}. ${z.name}` : `zone ${zone}`;
    name.textContent = narrow || full.length <= 26 ? full : full.slice(0, 25) + '…';
    s.append(name);
    const top = y + (narrow ? 15 : 4);
    for (const r of runs.filter((r) => r.zone === zone)) {
      const x1 = x(Date.parse(r.start)), x2 = Math.max(x(Date.parse(r.end)), x1 + 3);
      const bar = svg('rect', { x: x1, y: top, width: x2 - x1, height: lane, rx: 2, class: r.skipped ? 'run skipped' : 'run' });
      bar.append(svg('title')); // its words when a pointer comes: the first time format costs a phone 0.2 s
      bar.tip = () => `${full}: ${when.dayTime(r.start)} – ${when.time(r.end)}${r.skipped ? ' (' + r.skipped + ')' : ''}`;
      s.append(bar);
    }
  });
  const now = x(Date.now());
  s.append(svg('line', { x1: now, x2: now, y1: 14, y2: h, class: 'now' }));
  s.addEventListener('pointerover', () => s.querySelectorAll('rect').forEach((bar) => { bar.firstChild.textContent = bar.tip(); }), { once: true });
  box.replaceChildren(s);
}

// The charts are drawn for their width: drawn again when it changes (a phone turned).
// chartWidth is each chart box's width as the browser last measured it: read from the resize
// observer, never by asking for a layout in the middle of drawing.
const chartWidth = { timeline: 0, usage: 0 };
function redrawOnResize() {
  const redraw = { timeline: () => timeline.runs && timeline(timeline.runs), usage: () => usageChart.last && usageChart(...usageChart.last) };
  const ro = new ResizeObserver((entries) => {
    for (const e of entries) {
      const w = Math.round(e.contentRect.width);
      if (!w || w === chartWidth[e.target.id]) continue;
      chartWidth[e.target.id] = w;
      redraw[e.target.id]();
    }
  });
  ro.observe($('#timeline'));
  ro.observe($('#usage'));
}

document.addEventListener('DOMContentLoaded', () => main().catch(show));
