// The nnserve dashboard: plain JavaScript, no library, no request to any other host.
// Views are chosen by the URL's fragment (#/jobs, #/jobs/ID, #/compare?ids=A,B, #/models, #/models/ID,
// #/datasets, #/sweeps, #/sweeps/ID, #/predict?model=ID). Every API call goes through api(), which adds the
// bearer token and turns the API's error body {"error": {"code", "message", "path"}} into an ApiError.
'use strict';

const TOKEN_KEY = 'nnserve.token';
const COLORS = ['#2f6fde', '#d9480f', '#2b8a3e', '#9c36b5', '#e8590c', '#1098ad', '#c2255c', '#5c940d', '#364fc7',
  '#862e9c'];
const ACTIVE = new Set(['queued', 'running']);

// ---- API access -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, path) {
    super(message);
    this.status = status;
    this.code = code;
    this.path = path;
  }
}

function token() {
  return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || '';
}

function authHeaders(extra) {
  const headers = Object.assign({}, extra || {});
  const value = token();
  if (value) headers.Authorization = 'Bearer ' + value;
  return headers;
}

async function errorFrom(response) {
  let code = 'http_' + response.status, message = response.statusText || 'request failed', path;
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message, path } = body.error);
  } catch (_) { /* not a JSON error body: keep the status line */ }
  return new ApiError(response.status, code, message, path);
}

// Resolves to the parsed JSON (or null for 204); a 401 opens the token prompt and rejects.
async function api(path, options) {
  options = options || {};
  const init = { method: options.method || 'GET', headers: authHeaders(options.headers), signal: options.signal };
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers['Content-Type'] = 'application/json';
  } else if (options.body !== undefined) {
    init.body = options.body;
  }
  const response = await fetch(path, init);
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) askForToken(error);
    throw error;
  }
  if (response.status === 204) return null;
  return options.raw ? response : response.json();
}

// Server-sent events read with fetch(), because EventSource cannot send an Authorization header
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#parsing-an-event-stream).
async function streamEvents(path, onEvent, signal) {
  const response = await api(path, { raw: true, signal, headers: { Accept: 'text/event-stream' } });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '', raw = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    // A CR at the end of a chunk may be half of a CRLF: keep it until the next chunk.
    raw += decoder.decode(value, { stream: true });
    const cut = raw.endsWith('\r') ? raw.length - 1 : raw.length;
    buffer += raw.slice(0, cut).replace(/\r\n?/g, '\n');
    raw = raw.slice(cut);
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(name, JSON.parse(data.join('\n')));
    }
  }
}

// ---- Small helpers -----------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function fmt(value, digits) {
  if (value === undefined || value === null) return '–';
  if (typeof value !== 'number') return String(value);
  if (value !== 0 && (Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5)) return value.toExponential(2);
  return Number(value.toFixed(digits === undefined ? 4 : digits)).toString();
}

function bytes(count) {
  if (count === undefined || count === null) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = count, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
  return (unit ? value.toFixed(1) : value) + ' ' + units[unit];
}

function when(text) {
  return text ? text.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

function badge(status) { return el('span', { class: 'badge ' + status }, status); }

function progressBar(fraction, wide) {
  const bar = el('span', { class: 'progress' + (wide ? ' wide' : ''), title: Math.round(fraction * 100) + '%' },
    el('span'));
  bar.firstChild.style.width = Math.round(Math.max(0, Math.min(1, fraction)) * 100) + '%';
  return bar;
}

function shape(list) { return list ? '[' + list.join(', ') + ']' : '–'; }

function showError(error) {
  const box = document.getElementById('error');
  box.replaceChildren();
  if (!error) { box.hidden = true; return; }
  if (error.name === 'AbortError') return;
  const where = error.path ? el('span', {}, ' (at ', el('code', {}, error.path), ')') : '';
  box.append(el('button', { class: 'plain', title: 'Dismiss', onclick: () => showError(null) }, '×'),
    error instanceof ApiError ? el('span', { class: 'code' }, error.status + ' ' + error.code + ': ') : 'Error: ',
    error.message, where);
  box.hidden = false;
}

// ---- Token prompt ------------------------------------------------------------------------------

function askForToken(error) {
  const dialog = document.getElementById('token-dialog');
  const reason = document.getElementById('token-reason');
  const invalid = token() !== '';
  reason.textContent = invalid
    ? 'The token was refused: ' + error.message + '. Enter the token this server was started with.'
    : 'This server needs an API token (NN_API_TOKEN) for its /v1 API. Enter it to continue.';
  reason.className = invalid ? 'bad' : '';
  if (!dialog.open) dialog.showModal();
  document.getElementById('token-input').focus();
}

function saveToken(event) {
  event.preventDefault();
  const value = document.getElementById('token-input').value.trim();
  if (!value) return;
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  (document.getElementById('token-remember').checked ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
  document.getElementById('token-input').value = '';
  document.getElementById('token-dialog').close();
  showTokenState();
  route();
}

function showTokenState() {
  const state = document.getElementById('token-state');
  state.replaceChildren();
  if (!token()) return;
  state.append('token set', el('button', { class: 'plain', onclick: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    showTokenState();
    route();
  } }, 'Forget'));
}

// ---- Charts (SVG) ------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceTicks(min, max, count) {
  const span = max - min || Math.abs(max) || 1;
  const step0 = span / count;
  const power = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count) || 10 * power;
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

// series: [{name, color, dashed, points: [[x, y], ...]}]; options: {title, log, xLabel, id}
function lineChart(series, options) {
  const W = 560, H = 260, left = 58, right = 12, top = 10, bottom = 34;
  const log = !!options.log;
  const usable = series.map((s) => ({ ...s, points: s.points.filter(([, y]) =>
    y !== null && y !== undefined && Number.isFinite(y) && (!log || y > 0)) }));
  const all = usable.flatMap((s) => s.points);
  const box = el('div', { class: 'chart', id: options.id, 'data-points': all.length });
  box.append(el('h3', {}, options.title));
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': options.title });
  box.append(root);
  if (!all.length) {
    root.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' },
      options.empty || 'no data yet'));
    return box;
  }
  const f = log ? Math.log10 : (v) => v;
  let xMin = Math.min(...all.map((p) => p[0])), xMax = Math.max(...all.map((p) => p[0]));
  let yMin = Math.min(...all.map((p) => f(p[1]))), yMax = Math.max(...all.map((p) => f(p[1])));
  if (xMin === xMax) { xMin -= 1; xMax += 1; }
  xMin = Math.max(0, Math.min(xMin, 1));
  if (yMin === yMax) { yMin -= log ? 1 : Math.abs(yMin) * 0.1 || 1; yMax += log ? 1 : Math.abs(yMax) * 0.1 || 1; }
  if (log) {
    yMin = Math.floor(yMin);
    yMax = Math.ceil(yMax);
  } else {
    if (yMin > 0 && yMin < yMax * 0.25) yMin = 0;
    const ticks = niceTicks(yMin, yMax, 5);
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : 0;
    if (step) {
      const last = ticks[ticks.length - 1];
      yMin = Math.min(yMin, ticks[0]);
      yMax = Math.max(yMax, last < yMax ? last + step : last);
    }
  }
  const X = (x) => left + ((x - xMin) / (xMax - xMin)) * (W - left - right);
  const Y = (y) => top + (1 - (f(y) - yMin) / (yMax - yMin)) * (H - top - bottom);
  const yTicks = log ? range(yMin, yMax).map((e) => Math.pow(10, e)) : niceTicks(yMin, yMax, 5);
  for (const t of yTicks) {
    const y = Y(t);
    root.append(svg('line', { x1: left, x2: W - right, y1: y, y2: y, class: 'gridline' }));
    root.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end' }, fmt(t, 3)));
  }
  const xTicks = niceTicks(xMin, xMax, 6).filter(Number.isInteger); // epochs are whole numbers
  for (const t of xTicks) {
    root.append(svg('text', { x: X(t), y: H - bottom + 16, 'text-anchor': 'middle' }, fmt(t)));
  }
  root.append(svg('line', { x1: left, x2: left, y1: top, y2: H - bottom, class: 'axis' }));
  root.append(svg('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis' }));
  root.append(svg('text', { x: (left + W - right) / 2, y: H - 4, 'text-anchor': 'middle' }, options.xLabel || 'epoch'));
  const legend = el('div', { class: 'legend' });
  for (const s of usable) {
    if (!s.points.length) continue;
    const d = s.points.map(([x, y], i) => (i ? 'L' : 'M') + X(x).toFixed(1) + ' ' + Y(y).toFixed(1)).join(' ');
    const path = svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name });
    if (s.dashed) path.setAttribute('stroke-dasharray', '6 4');
    root.append(path);
    if (s.points.length === 1) {
      root.append(svg('circle', { cx: X(s.points[0][0]), cy: Y(s.points[0][1]), r: 3, fill: s.color }));
    }
    const swatch = svg('svg', { width: 18, height: 6, class: 'swatch' });
    const line = svg('line', { x1: 0, x2: 18, y1: 3, y2: 3, stroke: s.color, 'stroke-width': 3 });
    if (s.dashed) line.setAttribute('stroke-dasharray', '5 3');
    swatch.append(line);
    legend.append(el('span', {}, swatch, s.name));
  }
  box.append(legend);
  return box;
}

function range(from, to) {
  const out = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

// ---- Views -------------------------------------------------------------------------------------

let cleanup = [];
const view = () => document.getElementById('view');

function onLeave(fn) { cleanup.push(fn); }

function every(ms, fn) {
  const id = setInterval(fn, ms);
  onLeave(() => clearInterval(id));
}

async function listAll(path) {
  const items = [];
  let after = null;
  do {
    const page = await api(path + (path.includes('?') ? '&' : '?') + 'limit=1000' +
      (after ? '&after=' + encodeURIComponent(after) : ''));
    items.push(...page.items);
    after = page.next;
  } while (after && items.length < 10000);
  return items;
}

const selected = new Set();

async function jobsView() {
  const table = el('table', { id: 'jobs-table' });
  const compare = el('button', { id: 'compare-selected', onclick: () => {
    location.hash = '#/compare?ids=' + [...selected].join(',');
  } }, 'Compare selected');
  view().replaceChildren(el('h1', {}, 'Training jobs'),
    el('div', { class: 'toolbar' }, compare, el('span', { class: 'muted' },
      'Select jobs to overlay their curves. The list refreshes while jobs run.')), table);
  async function refresh() {
    const jobs = (await listAll('/v1/jobs')).reverse();
    compare.disabled = selected.size < 1;
    table.replaceChildren(el('tr', {}, el('th'), el('th', {}, 'job'), el('th', {}, 'status'), el('th', {}, 'progress'),
      el('th', { class: 'num' }, 'epoch'), el('th', { class: 'num' }, 'loss'), el('th', { class: 'num' }, 'val loss'),
      el('th', { class: 'num' }, 'accuracy'), el('th', {}, 'model'), el('th', {}, 'created')));
    if (!jobs.length) {
      table.append(el('tr', {}, el('td', { colspan: 10, class: 'muted' },
        'No jobs yet. Start one with POST /v1/jobs (see the API guide) or the Python client.')));
    }
    for (const job of jobs) {
      const box = el('input', { type: 'checkbox', 'data-job': job.id, checked: selected.has(job.id), onchange: (e) => {
        if (e.target.checked) selected.add(job.id); else selected.delete(job.id);
        compare.disabled = selected.size < 1;
      } });
      table.append(el('tr', { 'data-job': job.id }, el('td', {}, box),
        el('td', {}, el('a', { href: '#/jobs/' + job.id, class: 'mono' }, job.id)), el('td', {}, badge(job.status)),
        el('td', {}, progressBar(job.progress)), el('td', { class: 'num' }, job.epoch + ' / ' + job.epochs),
        el('td', { class: 'num' }, fmt(job.latest.loss)), el('td', { class: 'num' }, fmt(job.latest.val_loss)),
        el('td', { class: 'num' }, fmt(job.latest.accuracy)),
        el('td', {}, el('a', { href: '#/models/' + job.model_id, class: 'mono' }, job.model_id)),
        el('td', {}, when(job.created_at))));
    }
    return jobs;
  }
  // Every 2 s while a job is queued or running, else every 10 s: the list is read in full each time.
  let jobs = await refresh(), ticks = 0;
  every(2000, async () => {
    if (!jobs.some((j) => ACTIVE.has(j.status)) && ++ticks % 5) return;
    try { jobs = await refresh(); } catch (e) { showError(e); }
  });
}

function epochSeries(epochs, keys) {
  return keys.map(([key, name, color, dashed]) => ({ name, color, dashed,
    points: epochs.map((e) => [e.epoch, e[key]]) }));
}

function jobCharts(epochs) {
  const grid = el('div', { class: 'grid', id: 'job-charts' });
  grid.append(lineChart(epochSeries(epochs, [['loss', 'loss', COLORS[0]], ['val_loss', 'val loss', COLORS[1], true]]),
    { title: 'Loss', id: 'chart-loss' }));
  if (epochs.some((e) => e.accuracy !== null && e.accuracy !== undefined)) {
    grid.append(lineChart(epochSeries(epochs, [['accuracy', 'accuracy', COLORS[0]],
      ['val_accuracy', 'val accuracy', COLORS[1], true]]), { title: 'Accuracy', id: 'chart-accuracy' }));
  }
  const layers = [...new Set(epochs.flatMap((e) => Object.keys(e.grad_norms || {})))]
    .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
  const norms = layers.map((layer, i) => ({ name: layer, color: COLORS[i % COLORS.length],
    points: epochs.map((e) => [e.epoch, (e.grad_norms || {})[layer]]) }));
  grid.append(lineChart(norms, { title: 'Gradient norm per layer (log scale)', log: true, id: 'chart-grad',
    empty: 'no gradient norms yet' }));
  grid.append(lineChart(epochSeries(epochs, [['learning_rate', 'learning rate', COLORS[2]]]),
    { title: 'Learning rate', id: 'chart-lr' }));
  return grid;
}

async function jobView(id) {
  const controller = new AbortController();
  onLeave(() => controller.abort());
  const epochs = new Map();
  let job = await api('/v1/jobs/' + id);
  const head = el('div');
  const charts = el('div');
  view().replaceChildren(head, charts);
  function render() {
    const list = [...epochs.values()].sort((a, b) => a.epoch - b.epoch);
    const cfg = job.config || {};
    const opt = cfg.optimizer || {};
    const cancel = ACTIVE.has(job.status) ? el('button', { class: 'plain', onclick: async () => {
      try { job = await api('/v1/jobs/' + id + '/cancel', { method: 'POST', body: '' }); render(); } catch (e) { showError(e); }
    } }, 'Cancel job') : '';
    head.replaceChildren(el('h1', {}, 'Job ', el('span', { class: 'mono' }, id)),
      el('div', { class: 'panel spaced' },
        el('dl', { class: 'facts' },
          el('dt', {}, 'status'), el('dd', { id: 'job-status' }, badge(job.status),
            job.stopped_early ? ' (stopped early)' : ''),
          el('dt', {}, 'progress'), el('dd', {}, progressBar(job.progress, true),
            ' epoch ', el('span', { id: 'job-epoch' }, job.epoch), ' of ' + job.epochs),
          el('dt', {}, 'model'), el('dd', {}, el('a', { href: '#/models/' + job.model_id, class: 'mono' }, job.model_id)),
          el('dt', {}, 'data set'), el('dd', { class: 'mono' }, job.dataset),
          el('dt', {}, 'optimizer'), el('dd', {}, (opt.type || '–') + ', learning rate ' + fmt(opt.learning_rate) +
            (cfg.lr_schedule ? ', schedule ' + cfg.lr_schedule.type : '')),
          el('dt', {}, 'batch size'), el('dd', {}, cfg.batch_size),
          el('dt', {}, 'latest'), el('dd', {}, 'loss ' + fmt(job.latest.loss) + ', val loss ' + fmt(job.latest.val_loss) +
            ', accuracy ' + fmt(job.latest.accuracy) + ', val accuracy ' + fmt(job.latest.val_accuracy)),
          job.error ? [el('dt', {}, 'error'), el('dd', { class: 'code' }, job.error.code + ': ' + job.error.message)] : ''),
        el('div', { class: 'toolbar' }, cancel, el('a', { href: '#/compare?ids=' + id }, 'compare with other runs'))));
    charts.replaceChildren(jobCharts(list));
  }
  const loadMetrics = async () => {
    for (const e of (await api('/v1/jobs/' + id + '/metrics')).epochs) epochs.set(e.epoch, e);
  };
  await loadMetrics();
  render();
  if (!ACTIVE.has(job.status)) return;
  // Epochs that finish between the metrics read and the subscription arrive on the stream or
  // in the final metrics read below; the map keyed by epoch drops duplicates.
  let connected = false;
  streamEvents('/v1/jobs/' + id + '/events', (name, data) => {
    if (!connected) {
      connected = true;
      loadMetrics().then(render).catch(showError);
    }
    if (name === 'epoch') {
      epochs.set(data.epoch, data);
      job.epoch = Math.max(job.epoch, data.epoch);
      job.progress = job.epochs ? job.epoch / job.epochs : job.progress;
      job.latest = { loss: data.loss, val_loss: data.val_loss, accuracy: data.accuracy, val_accuracy: data.val_accuracy };
    } else if (name === 'status') {
      job = data;
    }
    render();
  }, controller.signal)
    .then(() => Promise.all([loadMetrics(), api('/v1/jobs/' + id).then((j) => { job = j; })]))
    .then(render)
    .catch(showError);
}

async function compareView(query) {
  const ids = (query.get('ids') || '').split(',').filter(Boolean);
  const jobs = (await listAll('/v1/jobs')).reverse();
  const picker = el('div', { class: 'panel', id: 'compare-picker' });
  const charts = el('div');
  view().replaceChildren(el('h1', {}, 'Compare runs'), picker, el('h2', {}, 'Curves'), charts);
  for (const job of jobs.slice(0, 50)) {
    picker.append(el('label', { class: 'check' }, el('input', { type: 'checkbox', checked: ids.includes(job.id),
      onchange: (e) => {
        const next = e.target.checked ? [...ids, job.id] : ids.filter((x) => x !== job.id);
        location.hash = '#/compare?ids=' + next.join(',');
      } }), el('span', { class: 'mono' }, job.id), ' ', badge(job.status),
    el('span', { class: 'muted' }, ' ' + describeJob(job))));
  }
  if (!jobs.length) picker.append(el('p', { class: 'muted' }, 'No jobs yet.'));
  const byId = new Map(jobs.map((j) => [j.id, j]));
  async function refresh() {
    const runs = await Promise.all(ids.map(async (id) => ({ id, epochs: (await api('/v1/jobs/' + id + '/metrics')).epochs })));
    const color = (i) => COLORS[i % COLORS.length];
    const label = (id) => id.replace(/^job_/, '').slice(0, 8);
    const loss = [], acc = [];
    runs.forEach((run, i) => {
      loss.push({ name: label(run.id) + ' loss', color: color(i), points: run.epochs.map((e) => [e.epoch, e.loss]) });
      loss.push({ name: label(run.id) + ' val', color: color(i), dashed: true,
        points: run.epochs.map((e) => [e.epoch, e.val_loss]) });
      acc.push({ name: label(run.id) + ' accuracy', color: color(i), points: run.epochs.map((e) => [e.epoch, e.accuracy]) });
      acc.push({ name: label(run.id) + ' val', color: color(i), dashed: true,
        points: run.epochs.map((e) => [e.epoch, e.val_accuracy]) });
    });
    charts.replaceChildren(!ids.length ? el('p', { class: 'muted' }, 'Select jobs above to overlay their curves.')
      : el('div', { class: 'grid' }, lineChart(loss, { title: 'Loss (dashed: validation)', id: 'compare-loss' }),
        lineChart(acc, { title: 'Accuracy (dashed: validation)', id: 'compare-accuracy', empty: 'no accuracy' })));
    return runs;
  }
  await refresh();
  every(2000, async () => {
    if (!ids.some((id) => ACTIVE.has((byId.get(id) || {}).status))) return;
    for (const id of ids) byId.set(id, await api('/v1/jobs/' + id));
    await refresh();
  });
}

function describeJob(job) {
  const opt = (job.config || {}).optimizer || {};
  return (opt.type || '') + ' lr ' + fmt(opt.learning_rate) + ', batch ' + (job.config || {}).batch_size +
    ', ' + job.epoch + '/' + job.epochs + ' epochs, loss ' + fmt(job.latest.loss);
}

async function modelsView() {
  const models = (await listAll('/v1/models')).reverse();
  const table = el('table', { id: 'models-table' }, el('tr', {}, el('th', {}, 'model'), el('th', {}, 'status'),
    el('th', { class: 'num' }, 'parameters'), el('th', { class: 'num', title: 'estimated training memory at batch size 32' }, 'memory (batch 32)'), el('th', {}, 'input'),
    el('th', { class: 'num' }, 'epochs trained'), el('th', {}, 'loss'), el('th', {}, 'created'), el('th')));
  for (const m of models) {
    table.append(el('tr', {}, el('td', {}, el('a', { href: '#/models/' + m.id, class: 'mono' }, m.id)),
      el('td', {}, badge(m.status)), el('td', { class: 'num' }, m.params.toLocaleString('en')),
      el('td', { class: 'num' }, memoryTotal(m.memory)), el('td', {}, shape(m.spec.input_shape)),
      el('td', { class: 'num' }, m.epochs_trained), el('td', {}, m.loss || '–'), el('td', {}, when(m.created_at)),
      el('td', {}, m.status === 'ready' ? el('a', { href: '#/predict?model=' + m.id }, 'predict') : '')));
  }
  if (!models.length) table.append(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No models yet.')));
  view().replaceChildren(el('h1', {}, 'Models'), table);
}

// A model's `memory` is the training estimate {"fixed_bytes", "per_sample_bytes"}: fixed plus per sample.
function memoryTotal(memory, batch) {
  if (!memory || typeof memory.fixed_bytes !== 'number') return '–';
  return bytes(memory.fixed_bytes + (memory.per_sample_bytes || 0) * (batch || 32));
}

function memoryFacts(memory) {
  if (!memory || typeof memory !== 'object') return el('p', { class: 'muted' }, 'This server reports no estimate.');
  const facts = el('dl', { class: 'facts', id: 'model-memory' });
  for (const [key, value] of Object.entries(memory)) {
    facts.append(el('dt', {}, key.replace(/_bytes$/, '').replace(/_/g, ' ')),
      el('dd', {}, typeof value === 'number' && /bytes$/.test(key) ? bytes(value) : JSON.stringify(value)));
  }
  if (typeof memory.fixed_bytes === 'number' && typeof memory.per_sample_bytes === 'number') {
    for (const batch of [32, 256]) {
      facts.append(el('dt', {}, 'training, batch ' + batch), el('dd', {}, memoryTotal(memory, batch)));
    }
  }
  return facts;
}

async function modelView(id) {
  const [model, checkpoints] = await Promise.all([api('/v1/models/' + id), api('/v1/models/' + id + '/checkpoints')]);
  const layers = el('table', { id: 'model-summary' }, el('tr', {}, el('th', { class: 'num' }, '#'), el('th', {}, 'layer'),
    el('th', {}, 'settings'), el('th', {}, 'output shape'), el('th', { class: 'num' }, 'parameters')));
  model.summary.forEach((row, i) => {
    const spec = Object.assign({}, model.spec.layers[i] || {});
    delete spec.type;
    const settings = Object.entries(spec).map(([k, v]) => k + '=' + JSON.stringify(v)).join(', ');
    layers.append(el('tr', {}, el('td', { class: 'num' }, row.index), el('td', {}, row.type),
      el('td', { class: 'mono' }, settings), el('td', {}, shape(row.output_shape)),
      el('td', { class: 'num' }, row.params.toLocaleString('en'))));
  });
  const cps = el('table', { id: 'model-checkpoints' }, el('tr', {}, el('th', { class: 'num' }, 'epoch'),
    el('th', { class: 'num' }, 'loss'), el('th', { class: 'num' }, 'val loss'), el('th', {}, 'job'), el('th', {}, 'created'),
    el('th')));
  for (const c of checkpoints.items) {
    cps.append(el('tr', {}, el('td', { class: 'num' }, c.epoch), el('td', { class: 'num' }, fmt(c.loss)),
      el('td', { class: 'num' }, fmt(c.val_loss)),
      el('td', {}, el('a', { href: '#/jobs/' + c.job_id, class: 'mono' }, c.job_id)), el('td', {}, when(c.created_at)),
      el('td', {}, el('button', { class: 'plain small', onclick: () => download(id, c.epoch) }, 'weights'))));
  }
  if (!checkpoints.items.length) cps.append(el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No checkpoints yet.')));
  view().replaceChildren(el('h1', {}, 'Model ', el('span', { class: 'mono' }, id)),
    el('div', { class: 'row' },
      el('div', { class: 'panel' }, el('dl', { class: 'facts' },
        el('dt', {}, 'status'), el('dd', {}, badge(model.status)),
        el('dt', {}, 'parameters'), el('dd', {}, model.params.toLocaleString('en')),
        el('dt', {}, 'input shape'), el('dd', {}, shape(model.spec.input_shape)),
        el('dt', {}, 'loss'), el('dd', {}, model.loss || '–'),
        el('dt', {}, 'epochs trained'), el('dd', {}, model.epochs_trained),
        el('dt', {}, 'created'), el('dd', {}, when(model.created_at))),
      el('div', { class: 'toolbar' }, model.status === 'ready'
        ? [el('a', { href: '#/predict?model=' + id }, 'predict'), ' ',
          el('button', { class: 'plain', onclick: () => download(id) }, 'Download weights')] : '')),
      el('div', { class: 'panel' }, el('h2', { class: 'first' }, 'Memory estimate'), memoryFacts(model.memory))),
    el('h2', {}, 'Summary'), layers, el('h2', {}, 'Checkpoints'), cps);
}

// Downloads through fetch so that the token goes along; the file is handed to the browser as a blob.
async function download(id, epoch) {
  try {
    const response = await api('/v1/models/' + id + '/weights' + (epoch ? '?epoch=' + epoch : ''), { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el('a', { href: url, download: id + (epoch ? '-epoch' + epoch : '') + '.safetensors' });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) { showError(e); }
}

async function datasetsView() {
  const sets = (await listAll('/v1/datasets')).reverse();
  const table = el('table', { id: 'datasets-table' }, el('tr', {}, el('th', {}, 'name'), el('th', {}, 'id'),
    el('th', { class: 'num' }, 'rows'), el('th', {}, 'input shape'), el('th', {}, 'target'),
    el('th', { class: 'num' }, 'size'), el('th', {}, 'created')));
  for (const d of sets) {
    const target = d.target.kind === 'classes' ? d.target.classes + ' classes' : 'values ' + shape(d.target.shape);
    table.append(el('tr', {}, el('td', {}, d.name || '–'), el('td', { class: 'mono' }, d.id),
      el('td', { class: 'num' }, d.rows.toLocaleString('en')), el('td', {}, shape(d.input_shape)), el('td', {}, target),
      el('td', { class: 'num' }, bytes(d.bytes)), el('td', {}, when(d.created_at))));
  }
  if (!sets.length) table.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No data sets yet.')));
  view().replaceChildren(el('h1', {}, 'Data sets'), table);
}

// Rows from the text box: JSON (one row, or a list of rows) or CSV (a header line of names is skipped).
function parseRows(text) {
  const trimmed = text.trim();
  if (!trimmed) throw new ApiError(0, 'empty_input', 'paste a row (JSON or CSV) or choose a CSV file', 'inputs');
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let value;
    try { value = JSON.parse(trimmed); } catch (e) { throw new ApiError(0, 'bad_json', e.message, 'inputs'); }
    if (value && !Array.isArray(value) && Array.isArray(value.inputs)) value = value.inputs;
    if (!Array.isArray(value)) throw new ApiError(0, 'bad_json', 'expected a row such as [0.1, 0.2] or a list of rows', 'inputs');
    return Array.isArray(value[0]) ? value : [value];
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim());
  const rows = [];
  lines.forEach((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    const numbers = cells.map(Number);
    if (numbers.some((n) => cells.length && !Number.isFinite(n))) {
      if (i === 0) return; // a header line
      throw new ApiError(0, 'bad_csv', 'line ' + (i + 1) + ' has a cell that is not a number', 'inputs[' + rows.length + ']');
    }
    rows.push(numbers);
  });
  return rows;
}

async function predictView(query) {
  const models = (await listAll('/v1/models')).filter((m) => m.status === 'ready').reverse();
  const chosen = query.get('model') || (models[0] || {}).id || '';
  const select = el('select', { id: 'predict-model' },
    models.map((m) => el('option', { value: m.id, selected: m.id === chosen }, m.id + '  (' + shape(m.spec.input_shape) +
      ', ' + (m.loss || 'untrained') + ')')));
  const input = el('textarea', { id: 'predict-input', placeholder: '[0.1, 0.2, 0.3]  or  0.1,0.2,0.3  (one row per line)' });
  const file = el('input', { type: 'file', id: 'predict-file', accept: '.csv,text/csv', onchange: async () => {
    if (file.files[0]) input.value = await file.files[0].text();
  } });
  const output = el('div', { id: 'predict-output' });
  const run = async (event) => {
    event.preventDefault();
    showError(null);
    try {
      const rows = parseRows(input.value);
      const answer = await api('/v1/models/' + select.value + '/predict', { method: 'POST', json: { inputs: rows } });
      output.replaceChildren(...renderPredictions(answer, rows.length));
    } catch (e) { showError(e); }
  };
  view().replaceChildren(el('h1', {}, 'Predict'),
    models.length ? el('form', { class: 'panel', id: 'predict-form', onsubmit: run },
      el('label', {}, 'Model ', select),
      el('label', {}, 'Inputs: a row as JSON, a list of rows, or CSV (one row per line)', input),
      el('div', { class: 'toolbar' }, el('span', {}, 'or upload a CSV '), file,
        el('button', { type: 'submit', id: 'predict-run' }, 'Predict')))
      : el('p', { class: 'muted' }, 'No trained model yet: train one first.'),
    output);
}

function renderPredictions(answer, count) {
  const shown = Math.min(count, 50);
  const out = [];
  for (let r = 0; r < shown; r++) {
    const values = [answer.outputs[r]].flat(Infinity);
    const cls = answer.classes ? answer.classes[r] : undefined;
    const block = el('div', { class: 'prediction panel', 'data-row': r });
    block.append(el('h3', {}, 'Row ' + (r + 1) + (cls !== undefined ? ': class ' + cls : '')));
    const probabilities = values.every((v) => v >= 0 && v <= 1);
    const top = Math.max(...values);
    const bars = el('div', { class: 'bars' });
    values.slice(0, 100).forEach((v, i) => {
      const bar = el('span', { class: 'bar' + (v === top ? ' top' : '') }, el('span'));
      const scale = probabilities ? v : Math.abs(v) / (Math.max(...values.map(Math.abs)) || 1);
      bar.firstChild.style.width = (scale * 100).toFixed(1) + '%';
      bars.append(el('span', { class: 'mono' }, answer.classes ? 'class ' + i : 'output ' + i), bar,
        el('span', { class: 'mono' }, probabilities ? (v * 100).toFixed(1) + '%' : fmt(v)));
    });
    block.append(bars);
    out.push(block);
  }
  if (count > shown) out.push(el('p', { class: 'muted' }, (count - shown) + ' more rows not shown.'));
  return out;
}

// Sweeps: the list, and one sweep with its trials best first, kept current by its event stream.
function sweepProgress(sweep) {
  const c = sweep.counts || {};
  const ended = (c.succeeded || 0) + (c.failed || 0) + (c.cancelled || 0);
  return progressBar(sweep.trial_count ? ended / sweep.trial_count : 0);
}

function paramsText(params) {
  return Object.entries(params || {}).map(([k, v]) => k + ' = ' + (typeof v === 'number' ? fmt(v) : JSON.stringify(v)))
    .join(', ');
}

async function sweepsView() {
  const table = el('table', { id: 'sweeps-table' });
  view().replaceChildren(el('h1', {}, 'Sweeps'), el('p', { class: 'muted' },
    'Hyperparameter sweeps (POST /v1/sweeps): each trial is a job tagged sweep:{id}.'), table);
  async function refresh() {
    const sweeps = (await listAll('/v1/sweeps')).reverse();
    table.replaceChildren(el('tr', {}, el('th', {}, 'sweep'), el('th', {}, 'status'), el('th', {}, 'trials'),
      el('th', {}, 'search'), el('th', { class: 'num' }, 'stopped early'), el('th', {}, 'metric'),
      el('th', { class: 'num' }, 'best'), el('th', {}, 'best parameters'), el('th', {}, 'created')));
    if (!sweeps.length) {
      table.append(el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No sweeps yet. Start one with POST /v1/sweeps.')));
    }
    for (const sweep of sweeps) {
      const best = sweep.best || {};
      table.append(el('tr', { 'data-sweep': sweep.id },
        el('td', {}, el('a', { href: '#/sweeps/' + sweep.id }, sweep.name || sweep.id)), el('td', {}, badge(sweep.status)),
        el('td', {}, sweepProgress(sweep), ' ' + sweep.trial_count), el('td', {}, sweep.search +
          (sweep.early_termination ? ' + ASHA' : '')), el('td', { class: 'num' }, sweep.stopped_early),
        el('td', {}, sweep.metric + ' (' + sweep.goal + ')'), el('td', { class: 'num' }, fmt(best.metric)),
        el('td', { class: 'muted' }, paramsText(best.params)), el('td', {}, when(sweep.created_at))));
    }
    return sweeps;
  }
  let sweeps = await refresh(), ticks = 0;
  every(2000, async () => {
    if (!sweeps.some((s) => s.status === 'running') && ++ticks % 5) return;
    try { sweeps = await refresh(); } catch (e) { showError(e); }
  });
}

async function sweepView(id) {
  const controller = new AbortController();
  onLeave(() => controller.abort());
  let sweep = await api('/v1/sweeps/' + id);
  function render() {
    const asha = sweep.early_termination;
    const cancel = sweep.status === 'running' ? el('button', { class: 'plain', onclick: async () => {
      try { sweep = await api('/v1/sweeps/' + id + '/cancel', { method: 'POST', body: '' }); render(); } catch (e) { showError(e); }
    } }, 'Cancel sweep') : '';
    const top = sweep.trials.filter((t) => t.job_id && t.metric !== null).slice(0, 5).map((t) => t.job_id);
    const table = el('table', { id: 'trials-table' }, el('tr', {}, el('th', { class: 'num' }, '#'), el('th', {}, 'status'),
      el('th', { class: 'num' }, sweep.metric), el('th', { class: 'num' }, 'epochs'), el('th', {}, 'parameters'),
      el('th', {}, 'job')));
    for (const t of sweep.trials) {
      table.append(el('tr', { 'data-trial': t.trial }, el('td', { class: 'num' }, t.trial),
        el('td', {}, badge(t.status), t.stopped_by ? ' (stopped by ' + t.stopped_by + ')' : ''),
        el('td', { class: 'num' }, fmt(t.metric)), el('td', { class: 'num' }, t.epochs),
        el('td', {}, paramsText(t.params)),
        el('td', {}, t.job_id ? el('a', { href: '#/jobs/' + t.job_id, class: 'mono' }, t.job_id) : '–')));
    }
    view().replaceChildren(el('h1', {}, 'Sweep ', el('span', { class: 'mono' }, sweep.name || id)),
      el('div', { class: 'panel spaced' },
        el('dl', { class: 'facts' },
          el('dt', {}, 'status'), el('dd', { id: 'sweep-status' }, badge(sweep.status)),
          el('dt', {}, 'trials'), el('dd', {}, sweepProgress(sweep), ' ' + Object.entries(sweep.counts)
            .filter(([, n]) => n).map(([status, n]) => n + ' ' + status).join(', ')),
          el('dt', {}, 'search'), el('dd', {}, sweep.search + ', seed ' + sweep.seed + ', ' + sweep.parallel + ' at a time'),
          el('dt', {}, 'ranked by'), el('dd', {}, sweep.metric + ' (' + sweep.goal + ')'),
          el('dt', {}, 'early termination'), el('dd', {}, asha ? 'ASHA from epoch ' + asha.min_epochs + ', keeping the top 1/' +
            asha.reduction_factor + ' at each rung (' + sweep.stopped_early + ' stopped)' : 'none'),
          el('dt', {}, 'best'), el('dd', { id: 'sweep-best' }, sweep.best ? fmt(sweep.best.metric) + ' with ' +
            paramsText(sweep.best.params) : '–')),
        el('div', { class: 'toolbar' }, cancel,
          top.length ? el('a', { href: '#/compare?ids=' + top.join(',') }, 'compare the best ' + top.length) : '')),
      el('h2', {}, 'Trials, best first'), table);
  }
  render();
  if (sweep.status !== 'running') return;
  // Any event means the sweep changed: read it again, at most every half second.
  let pending = null;
  const reload = () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      try { sweep = await api('/v1/sweeps/' + id); render(); } catch (e) { showError(e); }
    }, 500);
  };
  onLeave(() => clearTimeout(pending));
  streamEvents('/v1/sweeps/' + id + '/events', reload, controller.signal).then(reload).catch(showError);
}

// ---- Router ------------------------------------------------------------------------------------

const VIEWS = { jobs: jobsView, compare: compareView, models: modelsView, datasets: datasetsView, predict: predictView,
  sweeps: sweepsView };

async function route() {
  for (const fn of cleanup.splice(0)) fn();
  showError(null);
  const hash = location.hash.replace(/^#\/?/, '') || 'jobs';
  const [pathPart, queryPart] = hash.split('?');
  const [name, id] = pathPart.split('/').map(decodeURIComponent);
  document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === name));
  const query = new URLSearchParams(queryPart || '');
  try {
    if (name === 'jobs' && id) await jobView(id);
    else if (name === 'models' && id) await modelView(id);
    else if (name === 'sweeps' && id) await sweepView(id);
    else if (VIEWS[name]) await VIEWS[name](query);
    else view().replaceChildren(el('p', {}, 'No such page: ', el('code', {}, '#/' + hash)));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      view().replaceChildren(el('p', { class: 'muted' }, 'Waiting for the API token…'));
      return;
    }
    view().replaceChildren(el('p', { class: 'muted' }, 'This page could not be loaded.'));
    showError(error);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('token-form').addEventListener('submit', saveToken);
  showTokenState();
  window.addEventListener('hashchange', route);
  route();
});
