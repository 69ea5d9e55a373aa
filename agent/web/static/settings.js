// A zone's settings, for an admin: its name, default and longest run and group, changed from
// its card with zone_set and the revision zone_list gave; a refusal is shown in the card.
'use strict';

function settingsButton(z) {
  const b = el('button', { type: 'button', className: 'settings', textContent: '⚙', title: `Settings of zone ${z.zone}` });
  b.setAttribute('aria-label', `Settings of zone ${z.zone}`);
  b.addEventListener('click', () => request('zone_list', {}).then((zs) => {
    const s = zs.find((x) => x.zone === z.zone);
    if (s) settingsForm(b.closest('.zone'), s);
  }).catch(show));
  return b;
}

function settingsForm(card, s) {
  const name = el('input', { className: 'set-name', value: s.name, maxLength: 64 });
  const def = el('input', { className: 'set-default', type: 'number', min: 1, max: 720, value: Math.round(s.default_duration_s / 60) });
  const most = el('input', { className: 'set-max', type: 'number', min: 1, max: 720, value: Math.round(s.max_duration_s / 60) });
  const group = el('input', { className: 'set-group', value: s.group, placeholder: 'none', maxLength: 32 });
  const enabled = el('input', { type: 'checkbox', className: 'set-enabled', checked: s.enabled });
  const level = el('input', { type: 'checkbox', className: 'set-level', checked: s.water_level });
  const factor = el('input', { className: 'set-factor', type: 'number', min: 0.1, max: 2.5, step: 0.05, value: s.plant_factor });
  const err = el('p', { className: 'err' });
  const save = el('button', { type: 'button', className: 'primary set-save', textContent: 'Save' });
  const cancel = el('button', { type: 'button', textContent: 'Cancel' });
  const form = el('div', { className: 'zone-settings' },
    el('label', {}, 'Name ', name), el('label', {}, 'Default ', def, ' min'), el('label', {}, 'Longest ', most, ' min'),
    el('label', {}, 'Group ', group), el('label', { className: 'check' }, enabled, ' enabled'), el('label', { className: 'check' }, level, ' follows the water level'),
    el('label', { title: '1: as written; 0.5 shrubs; 0.3 drip' }, 'Plant factor ', factor),
    err, el('div', { className: 'actions' }, save, cancel));
  save.addEventListener('click', () => request('zone_set', {
    zone: s.zone, name: name.value.trim(), default_duration_s: Number(def.value) * 60, max_duration_s: Number(most.value) * 60,
    group: group.value.trim(), enabled: enabled.checked, water_level: level.checked, plant_factor: Number(factor.value), revision: s.revision,
  }).then(() => { form.remove(); schedule(); }).catch((e) => { err.textContent = e.message; }));
  cancel.addEventListener('click', () => form.remove());
  card.querySelector('.zone-settings')?.remove();
  card.append(form);
  name.focus();
}

// The run-once builder, for an operator: zones in order, each with its minutes, watered one
// after the other now (run_once), beside what runs already or, with "end the runs first", alone.
function runOnceForm() {
  const steps = el('ol', { className: 'steps' });
  const addStep = (zone) => {
    const minutes = el('input', { type: 'number', className: 'step-minutes', min: 1, max: 720, value: 10 });
    const del = el('button', { type: 'button', className: 'remove', textContent: '✕' });
    const li = el('li', {}, el('select', { className: 'step-zone' }, ...zoneOptions(zone)), minutes, ' min ', del);
    del.addEventListener('click', () => li.remove());
    steps.append(li);
  };
  const preempt = el('input', { type: 'checkbox', className: 'step-preempt' });
  const err = el('p', { className: 'err' });
  const start = el('button', { type: 'button', className: 'primary', textContent: 'Start' });
  const more = el('button', { type: 'button', textContent: '+ zone' });
  const close = el('button', { type: 'button', textContent: 'Close' });
  const form = el('div', { className: 'run-once' }, el('h3', { textContent: 'Water in sequence, now' }), steps,
    el('label', { className: 'check' }, preempt, ' end the runs in progress first'), err, el('div', { className: 'actions' }, more, start, close));
  more.addEventListener('click', () => addStep(1));
  close.addEventListener('click', () => form.remove());
  start.addEventListener('click', () => request('run_once', {
    steps: [...steps.children].map((li) => ({ zone: Number(li.querySelector('.step-zone').value), duration_s: Number(li.querySelector('.step-minutes').value) * 60 })),
    preempt: preempt.checked,
  }).then(() => form.remove()).catch((e) => { err.textContent = e.message; }));
  addStep(1);
  $('#run-once-slot').replaceChildren(form);
}

$('#run-once').addEventListener('click', runOnceForm);
