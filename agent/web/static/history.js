// History and usage: a chart of each day's watering over the last four weeks (one zone or all),
// the runs with who started them and how they ended, and today's runs in the event list when
// the page loads. Sensors and the flow meter, where they exist. All of it from the history and
// usage requests and the retained states: nothing here is kept by the page.
'use strict';

const DAY = 86400e3;

function minutes(s) {
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.round(s / 60)} min`;
}

// history reads the usage and the runs for the zone chosen (0: all).
function history() {
  if (!client || !client.connected || !base || !seen.has('history-section')) return;
  const zone = Number($('#history-zone').value || 0);
  request('usage', { by: 'day', since_s: 28 * 86400 }).then((u) => usageChart(u, zone)).catch(() => $('#usage').replaceChildren());
  request('history', { zone, since_s: 28 * 86400 }).then((h) => {
    const runs = h.runs.slice(-50).reverse();
    $('#runs').replaceChildren(...runs.map((r) => el('li', {},
      el('time', { textContent: when.dayTime(r.started_at) }),
      ` ${zoneName(r.zone)} · ${minutes(r.actual_s)}${Math.abs(r.actual_s - r.planned_s) > 1 ? ` of ${minutes(r.planned_s)}` : ''} · by `, person(r.source),
      ` · ${r.outcome}` + (r.litres != null ? ` · ${volume(r.litres)}` : ''))));
    if (!runs.length) $('#runs').replaceChildren(el('li', { textContent: 'no runs in the last four weeks' }));
  }).catch(() => $('#runs').replaceChildren());
}

// usageChart draws a bar a day, its height the watering time of the zone (or of all zones).
function usageChart(u, zone) {
  usageChart.last = [u, zone];
  if (!chartWidth.usage) return; // drawn when its box is first measured
  const width = Math.max(280, chartWidth.usage), height = 180, left0 = 46, bottom = 20;
  const day0 = new Date(); day0.setHours(0, 0, 0, 0);
  const first = day0.getTime() - 27 * DAY;
  const secs = new Map();
  for (const p of u.periods) {
    const d = new Date(p.start); d.setHours(0, 0, 0, 0);
    secs.set(d.getTime(), zone ? (p.zones[String(zone)] || 0) : p.total_s);
  }
  const most = Math.max(60, ...secs.values());
  const bw = (width - left0) / 28;
  const s = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `Watering per day, last four weeks, ${zone ? 'zone ' + zone : 'all zones'}` });
  const top = svg('text', { x: 2, y: 12, class: 'label' });
  top.textContent = minutes(most);
  s.append(top, svg('line', { x1: left0, x2: width, y1: height - bottom, y2: height - bottom, class: 'grid' }));
  for (let i = 0; i < 28; i++) {
    const t = first + i * DAY, v = secs.get(t) || 0;
    const h = (v / most) * (height - bottom - 16);
    const bar = svg('rect', { x: left0 + i * bw + 2, y: height - bottom - h, width: bw - 4, height: Math.max(h, 0), class: 'run' });
    const tip = svg('title');
    tip.textContent = `${when.date(t)}: ${minutes(v)}`;
    bar.append(tip);
    s.append(bar);
    if ((i % 7 === 0 && i < 26) || i === 27) {
      const l = i === 27 ? svg('text', { x: width - 2, y: height - 5, class: 'label', 'text-anchor': 'end' }) // inside the chart's right edge
        : svg('text', { x: left0 + i * bw + 2, y: height - 5, class: 'label' });
      l.textContent = i === 27 ? 'today' : when.day(t);
      s.append(l);
    }
  }
  $('#usage').replaceChildren(s);
}

// todaysRuns puts the runs that ended today in the event list, so it is not empty on a load.
function todaysRuns() {
  if (!client || !client.connected || !base || !seen.has('events-section')) return;
  const midnight = new Date(); midnight.setHours(0, 0, 0, 0);
  request('history', { since_s: Math.max(60, (Date.now() - midnight.getTime()) / 1000) }).then((h) => {
    for (const r of h.runs) {
      event({ event_type: 'run_finished', zone: r.zone, source: r.source, reason: r.outcome, ts: r.ended_at });
    }
  }).catch(() => {});
}

// sensorsLine shows the switch sensors and the flow meter, where the agent has them.
function sensorsLine() {
  const parts = [];
  for (const [name, st] of Object.entries((snapshot && snapshot.sensors) || {})) {
    const value = st.value !== undefined ? ` (${st.value})` : '';
    const state = st.stale ? 'silent, holds nothing' : (st.active ? 'active' : 'inactive');
    parts.push(`${name}${value}: ${state}${st.since && !st.stale ? ' since ' + clock(st.since) : ''}`);
  }
  if (sensorsLine.flow) parts.push(`flow ${volume(sensorsLine.flow.rate_lpm)}/min, ${volume(sensorsLine.flow.total_l)} since start`);
  $('#sensors').textContent = parts.join(' · ');
  $('#sensors').hidden = parts.length === 0;
}

// weatherLine shows today's decision of the weather: ET0, the level and why, a skip for rain.
function weatherLine(d) {
  const el = $('#weather');
  el.hidden = !d;
  if (!d) return;
  const parts = [`Weather: level ${d.level} % for ${d.date}`];
  if (d.et0_mm !== null) parts.push(`ET0 yesterday ${depth(d.et0_mm)} (${d.method})`);
  if (d.window_days) parts.push(`${d.window_days} days since watering lost ${depth(d.et0_sum_mm)}, rain gave ${depth(d.effective_rain_mm)}`);
  if (d.source !== 'weather') parts.push((d.notes || []).slice(-1)[0] || d.source);
  if (d.skip) parts.push(`today's runs skipped: ${d.skip}`);
  el.textContent = parts.join(' · ');
  soilLines(d.zones || []);
}

// soilLines shows each zone's water balance: where its soil is, and why its next run is as long
// as it is, or waits.
function soilLines(zones) {
  const el = $('#soil');
  el.replaceChildren(...zones.map((b) => {
    const li = document.createElement('li');
    li.textContent = `${b.name || 'Zone ' + b.zone}: ${b.note}`;
    return li;
  }));
  el.hidden = zones.length === 0;
}

function historyInit() {
  $('#history-zone').addEventListener('change', history);
  $('#level').addEventListener('change', (e) => act('water_level', { percent: Number(e.target.value) }));
  $('#level').addEventListener('input', (e) => { $('#level-value').textContent = `${e.target.value} %`; });
  $('#skip-next').addEventListener('click', () => act('skip', { zones: 'all', what: 'next' }).then(schedule));
  $('#skip-today').addEventListener('click', () => act('skip', { zones: 'all', what: 'today' }).then(schedule));
}

historyInit();
