// The programs (profiles) of the schedule: listed for everyone, edited by an admin. The editor
// builds the document program_get gives, previews its runs with program_preview as it is
// typed, and saves it with program_put and the revision it was read at; a refusal is shown
// beside the zone and field it names.
'use strict';

const canAdmin = () => role === 'admin';
const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
let editing = null; // {doc, isNew} while the editor is open

// describeDays puts a zone's days in plain words: "Mon Wed Fri", "odd days", "every 3 days
// from 1 June".
function describeDays(days) {
  const every = /^every (\d+) days? from (\d{4})-(\d{2})-(\d{2})$/.exec(days[0] || '');
  if (every) return `every ${every[1]} days from ${Number(every[4])} ${MONTHS[Number(every[3]) - 1]}`;
  const words = { all: 'every day', none: 'no day', odd: 'odd days', even: 'even days' };
  if (days.length === 1 && words[days[0]]) return words[days[0]];
  return days.map((d) => (WEEK.includes(d) ? d[0].toUpperCase() + d.slice(1) : d === 'last' ? 'the last day' : d)).join(' ');
}

// programList shows every program; an admin gets Edit and New, the others View and why.
function programList() {
  if (!client || !client.connected || !base || !seen.has('programs-section')) return;
  $('#program-new').hidden = !canAdmin();
  $('#programs-why').hidden = canAdmin() || role === '';
  $('#programs-why').textContent = `Only an admin changes programs; you are ${role}.`;
  request('program_list', {}).then((ps) => {
    $('#programs').replaceChildren(...ps.map((p) => {
      const b = el('button', { className: 'edit', textContent: canAdmin() ? 'Edit' : 'View' });
      b.addEventListener('click', () => request('program_get', { name: p.name }).then((d) => openEditor(d, false)).catch(show));
      const zones = p.zones.length ? `zones ${p.zones.join(', ')}` : 'no zones';
      return el('li', {}, el('strong', { textContent: p.name }), p.active ? el('span', { className: 'badge', textContent: 'active' }) : '',
        el('span', { className: 'dim', textContent: ` ${zones}${p.about ? ' · ' + p.about : ''}` }), b);
    }));
  }).catch(() => $('#programs').replaceChildren());
}

// zoneName is a zone as people call it: "3. Lawn".
function zoneName(n) {
  const z = snapshot && snapshot.zones[String(n)];
  return z ? `${n}. ${z.name}` : `zone ${n}`;
}

function zoneOptions(selected) {
  const zs = snapshot ? Object.values(snapshot.zones).filter((z) => !z.master).sort((a, b) => a.zone - b.zone) : [];
  return zs.map((z) => el('option', { value: z.zone, selected: z.zone === selected, textContent: zoneName(z.zone) }));
}

// daysKind reads a zone's days into the editor's choice: week, odd, even, all, none, every or
// list (days of the month and dates, as words).
function daysKind(days) {
  if (/^every /.test(days[0] || '')) return 'every';
  if (days.length === 1 && ['odd', 'even', 'all', 'none'].includes(days[0])) return days[0];
  if (days.length && days.every((d) => WEEK.includes(d))) return 'week';
  return days.length ? 'list' : 'week';
}

// field is a labelled control: the words before it, the control, the words after it.
function field(words, control, after = '') {
  return el('label', { className: 'field' }, words ? el('span', { textContent: words }) : '', control, after ? el('span', { textContent: after }) : '');
}

function runRow(r) {
  const sun = /^(sunrise|sunset)([+-]\d+[hm]\d*m?)?$/.exec(r.at);
  const kind = el('select', { className: 'at-kind' },
    ...[['time', 'at a time'], ['sunrise', 'at sunrise'], ['sunset', 'at sunset']].map(([v, t]) => el('option', { value: v, textContent: t, selected: (sun ? sun[1] : 'time') === v })));
  const time = el('input', { type: 'time', className: 'at', value: sun ? '06:00' : r.at });
  const offset = el('input', { type: 'number', className: 'offset', step: 5, min: -720, max: 720, value: sun && sun[2] ? minutesOf(sun[2]) : 0 });
  const timeField = field('', time), offsetField = field('moved by', offset, 'min (− before)');
  timeField.querySelector('input').setAttribute('aria-label', 'Start time');
  const sync = () => { timeField.hidden = kind.value !== 'time'; offsetField.hidden = kind.value === 'time'; };
  kind.addEventListener('change', sync);
  sync();
  const minutes = el('input', { type: 'number', className: 'for', min: 1, max: 720, step: 1, value: minutesOf(r.for) });
  const times = el('input', { type: 'number', className: 'times', min: 1, max: 96, value: r.times || 1 });
  const every = el('input', { type: 'number', className: 'every', min: 1, max: 1440, value: r.every ? minutesOf(r.every) : 60 });
  const repeat = el('span', { className: 'repeat' }, field('repeated', times, 'times'), field('every', every, 'min'));
  const more = el('button', { type: 'button', className: 'link more', textContent: 'repeat…' });
  repeat.hidden = (r.times || 1) <= 1; // repeats only when asked for, or when the run has them
  more.hidden = !repeat.hidden;
  more.addEventListener('click', () => { repeat.hidden = false; more.hidden = true; times.value = Math.max(2, Number(times.value)); times.focus(); changed(); });
  const del = el('button', { type: 'button', className: 'remove', textContent: '✕' });
  del.setAttribute('aria-label', 'Remove this run');
  const row = el('div', { className: 'run-row' }, field('Starts', kind), timeField, offsetField, field('for', minutes, 'min'), more, repeat, del);
  del.addEventListener('click', () => { row.remove(); changed(); });
  return row;
}

// minutesOf reads 10m, 1h30m or 90s as minutes.
function minutesOf(d) {
  let m = 0;
  const neg = d.startsWith('-');
  for (const [, n, u] of d.matchAll(/(\d+(?:\.\d+)?)([hms])/g)) m += Number(n) * { h: 60, m: 1, s: 1 / 60 }[u];
  return neg ? -m : m;
}

function zoneRow(z) {
  const zone = el('select', { className: 'zone-id' }, ...zoneOptions(z.zone));
  zone.setAttribute('aria-label', 'Zone');
  zone.addEventListener('change', addZoneChoices);
  const kind = el('select', { className: 'days-kind' }, ...[['week', 'on these days of the week'], ['odd', 'on odd days of the month'],
    ['even', 'on even days of the month'], ['all', 'every day'], ['every', 'every few days'], ['list', 'on days of the month or dates'], ['none', 'on no day (paused)']]
    .map(([v, t]) => el('option', { value: v, textContent: t, selected: daysKind(z.days) === v })));
  const week = el('span', { className: 'week' }, ...WEEK.map((d) => el('label', { className: 'check' }, el('input', { type: 'checkbox', value: d, checked: z.days.includes(d) }), d[0].toUpperCase() + d.slice(1, 3))));
  const ev = /^every (\d+) days? from (\S+)$/.exec(z.days[0] || '');
  const everyN = el('input', { type: 'number', className: 'every-n', min: 1, max: 366, value: ev ? ev[1] : 2 });
  const everyFrom = el('input', { type: 'date', className: 'every-from', value: ev ? ev[2] : new Date().toISOString().slice(0, 10) });
  const every = el('span', { className: 'every-days' }, field('every', everyN, 'days'), field('from', everyFrom));
  const list = el('input', { className: 'days-list', placeholder: '1, 15, last, 2026-07-04', value: daysKind(z.days) === 'list' ? z.days.join(', ') : '' });
  const listField = field('days', list);
  const words = el('span', { className: 'dim words' });
  const sync = () => {
    week.hidden = kind.value !== 'week';
    every.hidden = kind.value !== 'every';
    listField.hidden = kind.value !== 'list';
  };
  kind.addEventListener('change', sync);
  sync();
  const runs = el('div', { className: 'runs' }, ...z.runs.map(runRow));
  const addRun = el('button', { type: 'button', className: 'add-run', textContent: '+ run' });
  addRun.addEventListener('click', () => { runs.append(runRow({ at: '06:00', for: '10m' })); changed(); });
  const del = el('button', { type: 'button', className: 'remove', textContent: 'Remove zone' });
  const box = el('fieldset', { className: 'zone-row' }, el('legend', {}, zone), el('div', { className: 'days' }, field('Waters', kind), week, every, listField, words),
    runs, el('div', { className: 'actions' }, addRun, del), el('p', { className: 'err' }));
  del.addEventListener('click', () => { box.remove(); addZoneChoices(); changed(); });
  box.kept = z; // what the editor does not show (its note, a season) goes back as it came
  return box;
}

// addZoneChoices offers, under "+ zone", the zones the program does not water yet.
function addZoneChoices() {
  const used = new Set([...document.querySelectorAll('#ed-zones .zone-id')].map((s) => Number(s.value)));
  const free = zoneOptions(0).filter((o) => !used.has(Number(o.value)));
  const add = $('#ed-add-zone');
  add.replaceChildren(el('option', { value: '', textContent: free.length ? '+ zone…' : 'every zone is in it' }), ...free);
  add.disabled = !free.length || !canAdmin();
}

// collect reads the editor into a program document.
function collect() {
  const doc = { ...editing.doc, revision: editing.doc.revision || '', name: $('#ed-name').value.trim(), about: $('#ed-about').value.trim(),
    water_level: $('#ed-level').checked, zones: [] };
  for (const box of document.querySelectorAll('#ed-zones .zone-row')) {
    const kind = box.querySelector('.days-kind').value;
    let days = [kind];
    if (kind === 'week') days = [...box.querySelectorAll('.week input:checked')].map((c) => c.value);
    if (kind === 'every') days = [`every ${box.querySelector('.every-n').value} days from ${box.querySelector('.every-from').value}`];
    if (kind === 'list') days = box.querySelector('.days-list').value.split(/[,\s]+/).filter(Boolean);
    box.querySelector('.words').textContent = days.length ? describeDays(days) : '';
    const runs = [...box.querySelectorAll('.run-row')].map((r) => {
      const k = r.querySelector('.at-kind').value, off = Number(r.querySelector('.offset').value);
      const at = k === 'time' ? r.querySelector('.at').value : off ? `${k}${off > 0 ? '+' : '-'}${Math.abs(off)}m` : k;
      const run = { at, for: `${r.querySelector('.for').value}m` };
      const times = Number(r.querySelector('.times').value);
      if (times > 1) Object.assign(run, { times, every: `${r.querySelector('.every').value}m` });
      return run;
    });
    doc.zones.push({ ...box.kept, zone: Number(box.querySelector('.zone-id').value), days, runs });
  }
  return doc;
}

function openEditor(doc, isNew) {
  dismiss();
  editing = { doc, isNew };
  const form = $('#editor');
  form.hidden = false;
  $('#ed-title').textContent = isNew ? 'New program' : `Program ${doc.name}`;
  $('#ed-name').value = doc.name;
  $('#ed-about').value = doc.about || '';
  $('#ed-level').checked = Boolean(doc.water_level);
  $('#ed-zones').replaceChildren(...doc.zones.map(zoneRow));
  addZoneChoices();
  $('#ed-delete').hidden = isNew || !canAdmin();
  $('#ed-save').hidden = !canAdmin();
  $('#ed-why').hidden = canAdmin();
  $('#ed-why').textContent = `Only an admin changes programs; you are ${role}.`;
  form.querySelectorAll('input, select, button.add-run, button.remove, button.more, #ed-add-zone').forEach((e) => { e.disabled = !canAdmin(); });
  form.scrollIntoView({ behavior: 'smooth', block: 'start' });
  changed();
}

// plain puts the agent's words for a program as a gardener writes them: "1h30m0s" as
// "1 h 30 min", its keys as the editor's labels.
function plain(text) {
  return text
    .replace(/\b(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?\b/g, (all, h, m, sec) => {
      if (!all || (!h && !m && !sec)) return all;
      const parts = [];
      if (Number(h)) parts.push(`${h} h`);
      if (Number(m)) parts.push(`${m} min`);
      if (Number(sec)) parts.push(`${sec} s`);
      return parts.join(' ') || '0 min';
    })
    .replace(/\bmax_duration\b/g, 'longest run').replace(/\bdefault_duration\b/g, 'usual run')
    .replace(/\bfor: /g, 'minutes: ').replace(/\bat: /g, 'start: ').replace(/\bevery: /g, 'every: ');
}

// placeError shows a refusal beside the zone it names ("zone 3, for: …"), else above.
function placeError(err) {
  document.querySelectorAll('#editor .err').forEach((e) => { e.textContent = ''; });
  err = Object.assign(new Error(plain(err.message)), { code: err.code });
  const m = /zone (\d+), (.*)$/s.exec(err.message);
  const box = m && [...document.querySelectorAll('#ed-zones .zone-row')].find((b) => b.querySelector('.zone-id').value === m[1]);
  if (box) box.querySelector('.err').textContent = m[2];
  else $('#ed-error').textContent = err.message;
}

// refuse shows why a save or a delete was refused until the person dismisses it, saves or
// loads the saved version; what they typed stays in the editor. A conflict offers the version
// saved meanwhile.
function refuse(err) {
  const box = $('#ed-refusal');
  const conflict = err.code === 'conflict';
  box.querySelector('p').textContent = conflict
    ? `Not saved: someone else saved this program while you edited it (${plain(err.message)}). Your changes are still here: load the saved version to start again from it, or copy what you need first.`
    : `Not saved: ${plain(err.message)}`;
  $('#ed-theirs').hidden = !conflict;
  box.hidden = false;
  placeError(err);
}

function dismiss() { $('#ed-refusal').hidden = true; }

// changed previews the program as it stands, a moment after the last keystroke.
function changed() {
  clearTimeout(changed.timer);
  changed.timer = setTimeout(() => {
    if (!editing) return; // closed meanwhile
    const doc = collect();
    request('program_preview', { program: { ...doc, revision: '' }, hours: 168 }).then((runs) => {
      document.querySelectorAll('#editor .err').forEach((e) => { e.textContent = ''; });
      $('#ed-preview').replaceChildren(...runs.slice(0, 12).map((r) => el('li', {
        textContent: `${when.dayTime(r.start)}–${when.time(r.end)} · ${zoneName(r.zone)} · ${minutes((Date.parse(r.end) - Date.parse(r.start)) / 1000)}`,
      })));
      if (!runs.length) $('#ed-preview').replaceChildren(el('li', { textContent: 'no run in the coming week' }));
    }).catch((err) => {
      $('#ed-preview').replaceChildren(el('li', { textContent: 'none until what is marked is fixed' }));
      placeError(err);
    });
  }, 300);
}

// save sends the program once however often Save is pressed; a created program is then
// edited at the revision it was given.
async function save() {
  if (save.busy) return;
  save.busy = true;
  clearTimeout(changed.timer); // a preview due now would answer after the refusal
  $('#ed-save').disabled = true;
  const doc = collect();
  try {
    if (!editing.isNew && doc.name !== editing.doc.name) {
      const renamed = await request('program_rename', { name: editing.doc.name, new_name: doc.name, revision: editing.doc.revision });
      doc.revision = renamed.revision;
    }
    await request('program_put', { program: doc });
    dismiss();
    $('#editor').hidden = true;
    editing = null;
    programList();
    schedule();
  } catch (err) {
    refuse(err);
  } finally {
    save.busy = false;
    $('#ed-save').disabled = !canAdmin();
  }
}

// offerRestore says a program was deleted and offers it back: the version of the programs
// before the deletion is put back, as long as nothing changed since.
function offerRestore(name) {
  const box = $('#program-deleted');
  const b = el('button', { type: 'button', textContent: `Restore ${name}` });
  b.addEventListener('click', async () => {
    try {
      const versions = await request('program_versions', {});
      const now = versions.find((v) => v.current);
      if (!now || now.action !== 'delete' || now.what !== name) {
        throw new Error(`the programs changed since ${name} was deleted: restore a version with sprinklerctl program versions`);
      }
      const before = Math.max(...versions.filter((v) => v.version < now.version).map((v) => v.version));
      await request('program_restore', { version: before });
      box.hidden = true;
      programList();
      schedule();
    } catch (err) {
      box.querySelector('p').textContent = `Not restored: ${err.message}`;
    }
  });
  box.replaceChildren(el('p', { textContent: `Deleted ${name}.` }), b);
  box.hidden = false;
}

function programsInit() {
  $('#program-new').addEventListener('click', () => openEditor({ name: '', zones: [{ zone: 1, days: ['mon', 'thu'], runs: [{ at: '06:00', for: '10m' }] }] }, true));
  $('#ed-add-zone').addEventListener('change', (e) => {
    if (!e.target.value) return;
    $('#ed-zones').append(zoneRow({ zone: Number(e.target.value), days: ['all'], runs: [{ at: '06:00', for: '10m' }] }));
    addZoneChoices();
    changed();
  });
  $('#ed-cancel').addEventListener('click', () => { dismiss(); $('#editor').hidden = true; editing = null; });
  $('#ed-save').addEventListener('click', save);
  $('#ed-dismiss').addEventListener('click', dismiss);
  $('#ed-theirs').addEventListener('click', () => request('program_get', { name: editing.doc.name })
    .then((d) => { dismiss(); openEditor(d, false); }).catch(refuse));
  $('#ed-delete').addEventListener('click', () => {
    if (!window.confirm(`Delete the program ${editing.doc.name}? It can be restored afterwards.`)) return;
    const name = editing.doc.name;
    request('program_delete', { name, revision: editing.doc.revision })
      .then(() => { dismiss(); $('#editor').hidden = true; editing = null; offerRestore(name); programList(); schedule(); }).catch(refuse);
  });
  $('#editor').addEventListener('input', changed);
  $('#editor').addEventListener('change', changed);
  $('#editor').addEventListener('submit', (e) => e.preventDefault());
}

programsInit();
