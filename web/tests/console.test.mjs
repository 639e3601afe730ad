// minerwatch — SPDX-License-Identifier: Apache-2.0
// Drives the console in Debian's headless Chromium: sign in, see the findings and their counts
// by category and stage, open one (evidence visible), mute it through the UI, keep a screenshot.
// Run by tests/integration/service_console_test.sh, which starts `minerwatch up` and ingests the
// findings. Env: MW_URL, MW_TOKEN, MW_SCREENSHOT, MW_POOL_ID.
// MW_MODE=e2e (tests/integration/service_e2e_test.sh): instead, wait until the finding a live
// miner caused (category MW_WAIT_CATEGORY, host MW_WAIT_HOST) is listed, open it and check that
// the console shows the miner's agent; nothing is changed through the UI.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const url = process.env.MW_URL;
const token = process.env.MW_TOKEN;
const poolId = process.env.MW_POOL_ID;
const mode = process.env.MW_MODE || 'fixture';
assert.ok(url && token && (poolId || mode === 'e2e'), 'MW_URL, MW_TOKEN and MW_POOL_ID are required');
// The screenshot is a build artefact: an absolute path outside the checkout or under its ignored
// build/ (ctest passes BUILD_DIR/artifacts), never relative to web/tests, where this runs.
// Unset: none is written.
const screenshot = process.env.MW_SCREENSHOT;
if (screenshot) {
  const inRepo = relative(resolve(fileURLToPath(import.meta.url), '../../..'), screenshot);
  assert.ok(isAbsolute(screenshot) && (inRepo.startsWith('..') || inRepo.startsWith('build/')),
    `MW_SCREENSHOT must be an absolute path outside the source tree (or under build/), not ${screenshot}`);
}

const profile = mkdtempSync(join(tmpdir(), 'mw-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MW_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 1000 },
});
const problems = [];
try {
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(10000);
  // Any script error or CSP violation in the console is a failure.
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    // Failed requests are judged by URL below (the browser asks for /favicon.ico on its own).
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push('console error: ' + m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && new URL(r.url()).pathname !== '/favicon.ico') problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('dialog', (d) => d.accept('lab machine, known benchmark'));

  await page.goto(url + '/');
  await page.fill('#token', token);
  await page.click('#login button');
  if (mode === 'e2e') {
    await liveFinding(page);
  } else {
    await fixtureFindings(page);
  }
  await page.screenshot({ path: screenshot || undefined, fullPage: true });
  assert.deepEqual(problems, [], 'no script errors in the console');
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

// The finding of a real miner: reload (the console loads on sign-in and on load) until it shows.
async function liveFinding(page) {
  const category = process.env.MW_WAIT_CATEGORY;
  const host = process.env.MW_WAIT_HOST;
  assert.ok(category && host, 'MW_WAIT_CATEGORY and MW_WAIT_HOST are required in e2e mode');
  const rowOf = () => page.$$eval('#findings tbody tr', (trs, [cat, h]) => {
    const tr = trs.find((t) => t.cells[3].textContent === cat && t.cells[4].textContent === h);
    return tr ? { id: tr.dataset.id, cells: [...tr.cells].map((td) => td.textContent) } : null;
  }, [category, host]);
  const deadline = Date.now() + 20000;
  let row = null;
  for (;;) {
    await page.waitForTimeout(500);  // the list loads after whoami; give it time before looking
    if ((row = await rowOf())) break;
    assert.ok(Date.now() < deadline, `no "${category}" finding for ${host} in the console after 20 s`);
    await page.reload();
  }
  assert.equal(row.cells[2], 'mining');
  assert.equal(row.cells[7], 'active');
  await page.click(`#findings tbody tr[data-id="${row.id}"]`);
  await page.waitForSelector('#detail:not([hidden]) h2');
  const detail = await page.textContent('#detail');
  assert.match(detail, new RegExp(category.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ' — 127\\.0\\.0\\.1:\\d+'));
  assert.match(detail, /agent: XMRig\/6\.16\.0/);
  assert.match(detail, /T1496/);
  console.log(`PASS: console shows the live miner's finding ${row.id} (${row.cells[5]}, ${row.cells[6]} events)`);
}

async function fixtureFindings(page) {
  await page.waitForSelector('#findings tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('#findings tbody tr').length === 3);
  assert.match(await page.textContent('#who'), /responder/);

  // Counts by category and stage.
  const chips = await page.$$eval('#counts .chip', (els) => els.map((e) => e.textContent));
  for (const want of ['total: 3', 'mining: 2', 'precursor: 1', 'Execution: Cryptomining Pool Protocol: 2',
                      'Malware: Bad Domain: 1']) {
    assert.ok(chips.includes(want), `counts lack "${want}": ${JSON.stringify(chips)}`);
  }

  // The table shows every finding with its indicator, stage and state.
  const rows = await page.$$eval('#findings tbody tr', (trs) => trs.map((tr) => ({
    id: tr.dataset.id, cells: [...tr.cells].map((td) => td.textContent) })));
  const indicators = rows.map((r) => r.cells[5]).sort();
  assert.deepEqual(indicators, ['pool.minexmr.example:4444', 'pool.supportxmr.example:3333', 'xmr.pool.example']);
  const pool = rows.find((r) => r.id === poolId);
  assert.ok(pool, 'the pool finding is in the table');
  assert.deepEqual([pool.cells[1], pool.cells[2], pool.cells[6], pool.cells[7]], ['critical', 'mining', '12', 'active']);

  // Detail: the evidence is visible.
  await page.click(`#findings tbody tr[data-id="${poolId}"]`);
  await page.waitForSelector('#detail:not([hidden]) h2');
  const detail = await page.textContent('#detail');
  assert.match(detail, /Execution: Cryptomining Pool Protocol — pool\.supportxmr\.example:3333/);
  assert.match(detail, /agent: XMRig\/6\.16\.0/);
  assert.match(detail, /pool: pool\.supportxmr\.example:3333/);
  assert.match(detail, /T1496/);
  assert.ok(await page.isVisible('#detail pre'), 'evidence samples shown');

  // Mute through the UI (the reason comes from the prompt).
  await page.click('#detail button:text-is("mute")');
  await page.waitForFunction((id) => {
    const tr = document.querySelector(`#findings tbody tr[data-id="${id}"]`);
    return tr && tr.cells[7].textContent === 'muted';
  }, poolId);
  await page.waitForFunction(() => /muted \(lab machine, known benchmark by /.test(document.querySelector('#detail').textContent));
  const counts = await page.$$eval('#counts .chip', (els) => els.map((e) => e.textContent));
  assert.ok(counts.includes('total: 3'), 'muting keeps the finding listed');

  // The server agrees, and the audit trail names the UI's token.
  const r = await fetch(`${url}/api/v1/findings/${poolId}`, { headers: { Authorization: 'Bearer ' + token } });
  const stored = await r.json();
  assert.equal(stored.state, 'muted');
  assert.equal(stored.state_detail.reason, 'lab machine, known benchmark');
  assert.equal(stored.state_detail.by, 'token:console-test');

  console.log('PASS: console lists 3 findings with counts, shows evidence, mutes through the UI');
}
