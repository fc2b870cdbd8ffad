// vsd dashboard: live services and real servers from the API's event stream, rate charts (uPlot),
// and actions (weight, quiesce, drain, re-enable) through the same API an operator would use.
'use strict';

const HISTORY = 120; // samples kept per chart (one a second)
const state = {
  charts: new Map(),
  history: new Map(),
  lastView: [],
};
const $ = (sel) => document.querySelector(sel);

// The session is an HttpOnly cookie set by POST /api/v1/login: the page never holds the token.
// Every change says so in a header (or a JSON body), which a cross-site form cannot send.
function headers(json) {
  const h = { 'x-vsd-request': 'dashboard' };
  if (json) h['content-type'] = 'application/json';
  return h;
}

class LoginNeeded extends Error {}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    askLogin();
    throw new LoginNeeded('login required');
  }
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok)
    throw new Error(data && data.error ? data.error.code + ': ' + data.error.message : res.statusText);
  return data;
}

function askLogin(message) {
  $('#login-form').hidden = false;
  setStatus(message || 'log in with the API token', true);
}

function setStatus(text, bad) {
  const el = $('#status');
  el.textContent = text;
  el.className = 'status' + (bad ? ' error' : '');
}

function logEvent(text) {
  const li = document.createElement('li');
  li.textContent = new Date().toLocaleTimeString() + '  ' + text;
  const list = $('#events');
  list.prepend(li);
  while (list.children.length > 50) list.lastChild.remove();
}

const fmtBytes = (n) =>
  n >= 1e9
    ? (n / 1e9).toFixed(1) + ' GB'
    : n >= 1e6
      ? (n / 1e6).toFixed(1) + ' MB'
      : n >= 1e3
        ? (n / 1e3).toFixed(1) + ' kB'
        : n + ' B';
const rsPath = (s, r) =>
  '/api/v1/services/' +
  s.protocol +
  '/' +
  encodeURIComponent(s.address) +
  '/' +
  s.port +
  '/real-servers/' +
  encodeURIComponent(r.address) +
  '/' +
  r.port;
const svcPath = (s) => '/api/v1/services/' + s.protocol + '/' + encodeURIComponent(s.address) + '/' + s.port;
const domId = (key) => 'svc-' + key.replace(/[^a-zA-Z0-9]/g, '_');

async function act(what, fn) {
  try {
    await fn();
    logEvent(what);
  } catch (e) {
    logEvent(what + ' failed: ' + e.message);
  }
}

function row(s, r) {
  const tr = document.createElement('tr');
  tr.dataset.rs = r.key;
  tr.innerHTML =
    '<td class="addr"></td><td class="state"></td><td><input class="weight" type="number" min="0" max="65535"></td>' +
    '<td class="num active"></td><td class="num inactive"></td><td class="num conns"></td><td class="num bytes"></td><td class="actions"></td>';
  tr.querySelector('.addr').textContent = r.key;
  const actions = tr.querySelector('.actions');
  const button = (label, name, fn) => {
    const b = document.createElement('button');
    b.textContent = label;
    b.name = name;
    b.addEventListener('click', () => act(label + ' ' + r.key, fn));
    actions.append(b);
  };
  if (r.state === 'draining') {
    button('Re-enable', 'enable', () =>
      api('POST', svcPath(s) + '/real-servers', {
        address: r.address,
        port: r.port,
        weight: Math.max(1, r.weight),
      }),
    );
  } else {
    button('Set weight', 'weight', () =>
      api('PATCH', rsPath(s, r), { weight: Number(tr.querySelector('input.weight').value) }),
    );
    button('Quiesce', 'quiesce', () => api('PATCH', rsPath(s, r), { weight: 0 }));
    button('Drain', 'drain', () => api('DELETE', rsPath(s, r)));
  }
  return tr;
}

function renderService(s) {
  let box = document.getElementById(domId(s.key));
  if (!box) {
    box = document.createElement('div');
    box.className = 'service';
    box.id = domId(s.key);
    box.innerHTML =
      '<h2></h2><div class="meta"></div><table><thead><tr><th>real server</th><th>state</th><th>weight</th>' +
      '<th class="num">active</th><th class="num">inactive</th><th class="num">conns</th><th class="num">bytes in/out</th><th></th></tr></thead>' +
      '<tbody></tbody></table><div class="charts"><div class="chart-cps"></div><div class="chart-active"></div></div>';
    $('#services').append(box);
  }
  box.querySelector('h2').textContent = s.name + '  (' + s.key + ')';
  box.querySelector('.meta').textContent =
    'scheduler ' +
    s.scheduler +
    ' · ' +
    s.forwarding +
    ' · ' +
    s.rates.cps +
    ' conn/s · ' +
    s.stats.connections +
    ' connections · in ' +
    fmtBytes(s.stats.bytesIn) +
    ' · out ' +
    fmtBytes(s.stats.bytesOut);
  box.querySelector('.meta').dataset.connections = String(s.stats.connections);
  const tbody = box.querySelector('tbody');
  const keys = s.real_servers.map((r) => r.key + '|' + r.state).join(',');
  if (tbody.dataset.keys !== keys) {
    tbody.replaceChildren(...s.real_servers.map((r) => row(s, r)));
    tbody.dataset.keys = keys;
  }
  for (const r of s.real_servers) {
    const tr = tbody.querySelector('tr[data-rs="' + CSS.escape(r.key) + '"]');
    if (!tr) continue;
    const st = tr.querySelector('.state');
    st.textContent = r.state;
    st.className = 'state state-' + r.state;
    const w = tr.querySelector('input.weight');
    if (document.activeElement !== w) w.value = String(r.weight);
    tr.querySelector('.active').textContent = String(r.active);
    tr.querySelector('.inactive').textContent = String(r.inactive);
    tr.querySelector('.conns').textContent = String(r.stats.connections);
    tr.querySelector('.bytes').textContent = fmtBytes(r.stats.bytesIn) + ' / ' + fmtBytes(r.stats.bytesOut);
  }
  chart(box, s);
}

function chart(box, s) {
  const h = state.history.get(s.key) || { t: [], cps: [], active: new Map() };
  state.history.set(s.key, h);
  h.t.push(Date.now() / 1000);
  h.cps.push(s.rates.cps);
  for (const r of s.real_servers) {
    if (!h.active.has(r.key)) h.active.set(r.key, new Array(h.t.length - 1).fill(null));
  }
  for (const [key, arr] of h.active) {
    const r = s.real_servers.find((x) => x.key === key);
    arr.push(r ? r.active : null);
  }
  if (h.t.length > HISTORY) {
    h.t.shift();
    h.cps.shift();
    for (const arr of h.active.values()) arr.shift();
  }
  if (typeof uPlot === 'undefined') return;
  const keys = [...h.active.keys()];
  const sig = keys.join(',');
  let c = state.charts.get(s.key);
  if (!c || c.sig !== sig) {
    if (c) {
      c.cps.destroy();
      c.active.destroy();
    }
    const opts = (title, series) => ({
      title,
      width: 420,
      height: 160,
      series: [{}, ...series],
      axes: [{}, { size: 50 }],
    });
    const colors = ['#0969da', '#1a7f37', '#bc4c00', '#8250df', '#cf222e', '#9a6700'];
    c = {
      sig,
      cps: new uPlot(
        opts('new connections / s', [{ label: 'conn/s', stroke: '#0969da' }]),
        [h.t, h.cps],
        box.querySelector('.chart-cps'),
      ),
      active: new uPlot(
        opts(
          'active connections',
          keys.map((k, i) => ({ label: k, stroke: colors[i % colors.length] })),
        ),
        [h.t, ...keys.map((k) => h.active.get(k))],
        box.querySelector('.chart-active'),
      ),
    };
    state.charts.set(s.key, c);
  } else {
    c.cps.setData([h.t, h.cps]);
    c.active.setData([h.t, ...keys.map((k) => h.active.get(k))]);
  }
}

function render(services) {
  state.lastView = services;
  const keep = new Set(services.map((s) => domId(s.key)));
  for (const el of document.querySelectorAll('.service')) if (!keep.has(el.id)) el.remove();
  for (const s of services) renderService(s);
}

async function stream() {
  for (;;) {
    try {
      render(await api('GET', '/api/v1/services'));
      const res = await fetch('/api/v1/events', { headers: headers(false) });
      if (res.status === 401) {
        askLogin();
        return;
      }
      setStatus('live');
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (!ev || !data) continue;
          onEvent(ev[1], JSON.parse(data[1]));
        }
      }
    } catch (e) {
      if (e instanceof LoginNeeded) return;
      setStatus('disconnected: ' + e.message + ' (retrying)', true);
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function onEvent(event, payload) {
  if (event === 'rates') render(payload);
  else if (event === 'reloaded')
    logEvent('changed: ' + payload.services.map((s) => s.kind + ' ' + s.key).join(', '));
  else if (event === 'drained')
    logEvent('drained and removed: ' + payload.realServer + ' from ' + payload.service);
  else if (event === 'retired') logEvent('service removed: ' + payload.service);
  else if (event === 'health')
    logEvent('health: ' + payload.realServer + ' ' + (payload.up ? 'up' : 'down') + ' in ' + payload.service);
}

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('/api/v1/login', {
    method: 'POST',
    headers: headers(true),
    body: JSON.stringify({ token: $('#token').value }),
  });
  $('#token').value = '';
  if (!res.ok) {
    askLogin(res.status === 401 ? 'wrong token' : 'login failed: ' + res.status);
    return;
  }
  $('#login-form').hidden = true;
  void stream();
});

void stream();
