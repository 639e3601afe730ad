// minerwatch — SPDX-License-Identifier: Apache-2.0
// The console: plain JS over the REST API (docs/api.md). The token stays in sessionStorage.
'use strict';
const $ = (id) => document.getElementById(id);
let cursor = null;

function token() { return sessionStorage.getItem('mw-token') || ''; }

async function api(path, opts = {}) {
  const headers = { Authorization: 'Bearer ' + token() };
  if (opts.body) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { ...opts, headers });
  const body = r.status === 204 ? {} : await r.json();
  if (!r.ok) throw new Error(body.error ? body.error.message : 'HTTP ' + r.status);
  return body;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text == null ? '' : String(text);
  if (cls) td.className = cls;
  tr.appendChild(td);
}

function query() {
  const p = new URLSearchParams();
  for (const k of ['state', 'stage', 'severity', 'host', 'q']) {
    const v = $('f-' + k).value.trim();
    if (v) p.set(k, v);
  }
  return p;
}

async function loadCounts() {
  const c = await api('/api/v1/findings/counts?' + query());
  const box = $('counts');
  box.textContent = '';
  const chip = (label, n) => {
    const s = document.createElement('span');
    s.className = 'chip';
    s.textContent = label + ': ' + n;
    box.appendChild(s);
  };
  // Counts filtered by host, time or text stop at 10000 (count_exact false): show "10000+".
  chip('total', c.total + (c.count_exact === false ? '+' : ''));
  for (const [k, n] of Object.entries(c.by_stage)) chip(k, n);
  for (const [k, n] of Object.entries(c.by_category)) chip(k, n);
}

async function loadFindings(append) {
  const p = query();
  p.set('limit', '100');
  if (append && cursor) p.set('cursor', cursor);
  const page = await api('/api/v1/findings?' + p);
  const tbody = $('findings').tBodies[0];
  if (!append) tbody.textContent = '';
  for (const f of page.findings) {
    const tr = document.createElement('tr');
    tr.dataset.id = f.id;
    cell(tr, f.last_seen);
    cell(tr, f.severity, 'sev-' + f.severity);
    cell(tr, f.stage_name);
    cell(tr, f.category);
    cell(tr, f.resource.hostname || f.resource.host_ip);
    cell(tr, f.indicator);
    cell(tr, f.count);
    cell(tr, f.state, 'state-' + f.state);
    tr.addEventListener('click', () => showFinding(f.id).catch(showError));
    tbody.appendChild(tr);
  }
  cursor = page.next_cursor;
  $('more').hidden = !cursor;
}

function field(box, label, value) {
  if (value == null || value === '') return;
  const p = document.createElement('p');
  const b = document.createElement('b');
  b.textContent = label + ': ';
  p.appendChild(b);
  p.appendChild(document.createTextNode(typeof value === 'object' ? JSON.stringify(value) : String(value)));
  box.appendChild(p);
}

async function showFinding(id) {
  const f = await api('/api/v1/findings/' + encodeURIComponent(id));
  const box = $('detail');
  box.hidden = false;
  box.textContent = '';
  const h = document.createElement('h2');
  h.textContent = f.category + ' — ' + f.indicator;
  box.appendChild(h);
  const ev = f.evidence || {};
  field(box, 'State', f.state + (f.state_detail ? ' (' + f.state_detail.reason + ' by ' + f.state_detail.by + ')' : ''));
  if (f.reopened) field(box, 'Reopened', 'recurred after resolution at ' + f.reopened_at);
  field(box, 'Host', f.resource.host_ip + (f.resource.hostname ? ' (' + f.resource.hostname + ')' : ''));
  // Network evidence: outbound address, pool host, protocol, agent. Host evidence: process, rules, pages.
  for (const k of ['server', 'outbound', 'pool', 'pool_host', 'protocol', 'agent', 'process', 'pid', 'exe',
                   'rules', 'pages_matched', 'sha256', 'path']) field(box, k, ev[k]);
  field(box, 'Seen', f.first_seen + ' → ' + f.last_seen + ' (' + f.count + ' events)');
  field(box, 'Detector', f.detector + (f.source ? ' / ' + f.source : ''));
  field(box, 'ATT&CK', (f.attack || []).join(', '));
  const pre = document.createElement('pre');
  pre.textContent = JSON.stringify(f.evidence_samples || [ev], null, 2);
  box.appendChild(pre);
  for (const action of ['mute', 'unmute', 'resolve']) {
    const b = document.createElement('button');
    b.textContent = action;
    b.addEventListener('click', async () => {
      try {
        const reason = action === 'mute' ? prompt('Reason for muting') : '';
        if (action === 'mute' && !reason) return;
        await api('/api/v1/findings/' + encodeURIComponent(id) + '/' + action,
                  { method: 'POST', body: JSON.stringify(reason ? { reason } : {}) });
        await refresh();
        await showFinding(id);
      } catch (e) { showError(e); }
    });
    box.appendChild(b);
  }
}

async function loadIncidents() {
  const list = await api('/api/v1/incidents?limit=50');
  const tbody = $('incidents').tBodies[0];
  tbody.textContent = '';
  for (const i of list.incidents) {
    const tr = document.createElement('tr');
    cell(tr, i.hostname || i.host_ip);
    cell(tr, i.state);
    cell(tr, i.max_stage);
    cell(tr, i.finding_count);
    cell(tr, i.last_seen);
    tr.addEventListener('click', () => showIncident(i.id).catch(showError));
    tbody.appendChild(tr);
  }
}

async function showIncident(id) {
  const inc = await api('/api/v1/incidents/' + id);
  const box = $('incident');
  box.hidden = false;
  box.textContent = '';
  const h = document.createElement('h3');
  h.textContent = 'Incident ' + inc.id + ' on ' + (inc.hostname || inc.host_ip);
  box.appendChild(h);
  const ol = document.createElement('ol');
  for (const e of inc.timeline || []) {
    const li = document.createElement('li');
    li.textContent = e.ts + ' [' + e.phase + '] ' + e.text;
    ol.appendChild(li);
  }
  box.appendChild(ol);
}

function showError(e) { $('error').textContent = e.message; }

async function refresh() {
  $('error').textContent = '';
  const me = await api('/api/v1/whoami');
  $('who').textContent = me.name + ' (' + me.role + ')';
  await Promise.all([loadCounts(), loadFindings(false), loadIncidents()]);
}

document.addEventListener('DOMContentLoaded', () => {
  $('login').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('mw-token', $('token').value.trim());
    refresh().catch(showError);
  });
  $('filters').addEventListener('submit', (ev) => { ev.preventDefault(); refresh().catch(showError); });
  $('more').addEventListener('click', () => loadFindings(true).catch(showError));
  if (token()) refresh().catch(showError);
});
