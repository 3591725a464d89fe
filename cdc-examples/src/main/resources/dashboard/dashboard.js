// The Dashboard page: a table of the latest changes and four small SVG charts, fed by server-sent events
// from /events ('change' for each change, 'status' once a second). No library, nothing from the internet.
// Every value is shown with textContent, never innerHTML: values come from the database and may hold markup.
'use strict';

const MAX_ROWS = 100;    // rows kept in the table
const MAX_POINTS = 60;   // seconds kept in the charts
const SVG = 'http://www.w3.org/2000/svg';

const series = { rate: [], lagAvg: [], lagMax: [], slot: [], state: [] };
let pending = [];        // changes received since the table was last drawn
let drawScheduled = false;

const $ = id => document.getElementById(id);
const text = (id, value) => { $(id).textContent = value; };

const source = new EventSource('events');
source.addEventListener('change', e => {
  pending.push(JSON.parse(e.data));
  if (pending.length > MAX_ROWS) pending = pending.slice(-MAX_ROWS);   // only the newest can be shown
  if (!drawScheduled) { drawScheduled = true; setTimeout(drawChanges, 100); }  // one redraw per 100 ms
});
source.addEventListener('status', e => addStatus(JSON.parse(e.data)));
source.addEventListener('error', () => showState('disconnected'));

function drawChanges() {
  drawScheduled = false;
  const body = $('changes');
  for (const change of pending) body.prepend(changeRow(change));
  pending = [];
  while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
}

function changeRow(change) {
  const tr = document.createElement('tr');
  tr.className = change.op;
  tr.dataset.id = change.id;
  const keys = Object.entries(change.key || {});
  const key = keys.length === 1 ? String(keys[0][1]) : keys.map(([k, v]) => k + '=' + v).join(', ');
  const cells = [change.op, change.table, key, change.changed ? change.changed.join(', ') : '',
    clock(new Date(change.commitTime)),
    change.lagMs + ' ms'];
  ['op', 'table', 'key', 'changed', 'time', 'lag'].forEach((cls, i) => {
    const td = tr.insertCell();
    td.className = cls;
    td.textContent = cells[i];
  });
  return tr;
}

function addStatus(s) {
  push(series.rate, s.eventsPerSecond);
  push(series.lagAvg, s.lagAvgMs);
  push(series.lagMax, s.lagMaxMs);
  push(series.slot, s.slotLagBytes);
  push(series.state, s.state);
  showState(s.state);
  text('summary', s.eventsDelivered + ' events' + (s.dropped ? ', ' + s.dropped + ' messages dropped for slow pages' : ''));
  text('problem', s.failure || s.problem || '');
  text('rate-now', s.eventsPerSecond);
  text('lag-now', s.lagAvgMs == null ? '' : s.lagAvgMs + ' / ' + s.lagMaxMs);
  text('slot-now', s.slotLagBytes == null ? 'unknown' : bytes(s.slotLagBytes));
  text('state-now', s.state);
  lines($('rate-chart'), [{ values: series.rate, cls: 'rate' }], v => v);
  lines($('lag-chart'), [{ values: series.lagMax, cls: 'max' }, { values: series.lagAvg, cls: 'avg' }], v => v + ' ms');
  lines($('slot-chart'), [{ values: series.slot, cls: 'slot' }], bytes);
  states($('state-chart'), series.state);
}

function push(values, value) {
  values.push(value);
  if (values.length > MAX_POINTS) values.shift();
}

function showState(state) {
  const badge = $('state');
  badge.textContent = state;
  badge.className = 'state ' + state;
}

// Polylines scaled to the largest value shown; the newest point at the right edge. Missing values
// (no change in that second, slot lag unknown) are skipped. data-points and data-max say what was drawn.
function lines(svg, list, format) {
  const width = 300, height = 80, step = width / (MAX_POINTS - 1);
  const all = list.flatMap(l => l.values).filter(v => v != null);
  const max = Math.max(1, ...all);
  svg.replaceChildren();
  let drawn = 0;
  for (const l of list) {
    const points = [];
    l.values.forEach((v, i) => {
      if (v == null) return;
      const x = width - (l.values.length - 1 - i) * step;
      points.push(x.toFixed(1) + ',' + (height - 2 - (v / max) * (height - 14)).toFixed(1));
    });
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('class', l.cls);
    svg.append(line);
    drawn = Math.max(drawn, points.length);
  }
  const label = document.createElementNS(SVG, 'text');
  label.setAttribute('x', 2);
  label.setAttribute('y', 10);
  label.textContent = 'max ' + format(Math.max(0, ...all));
  svg.append(label);
  svg.dataset.points = drawn;
  svg.dataset.max = Math.max(0, ...all);
}

// One bar per second, coloured by the engine's state (see dashboard.css).
function states(svg, values) {
  const width = 300, height = 80, step = width / MAX_POINTS;
  svg.replaceChildren();
  values.forEach((state, i) => {
    const bar = document.createElementNS(SVG, 'rect');
    bar.setAttribute('x', (width - (values.length - i) * step).toFixed(1));
    bar.setAttribute('y', 14);
    bar.setAttribute('width', step.toFixed(2));
    bar.setAttribute('height', height - 14);
    bar.setAttribute('class', state);
    svg.append(bar);
  });
  svg.dataset.points = values.length;
}

function clock(date) {  // local time of day with milliseconds
  return date.toLocaleTimeString([], { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0');
}

function bytes(n) {
  if (n == null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}
