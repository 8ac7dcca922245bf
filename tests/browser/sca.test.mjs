// The sandbox's bank SCA pages in a real browser (Debian's Chromium), as a
// person would use them: sign in, approve or deny, and land on the client's
// redirect URL with the query string the gateway expects (R6). Screenshots
// of every page go to tests/output/screenshots/ for review.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';

const here = path.dirname(new URL(import.meta.url).pathname);
const shots = path.resolve(here, '../output/screenshots');
mkdirSync(shots, { recursive: true });
const targetDir = process.env.CARGO_TARGET_DIR || path.join(homedir(), '.cache/saldo-target');
const sandboxBin = process.env.SALDO_SANDBOX_BIN || path.join(targetDir, 'debug/saldo-sandbox');

let server, base, browser;

before(async () => {
  const state = path.join(mkdtempSync(path.join(tmpdir(), 'saldo-browser-')), 'state.json');
  server = spawn(sandboxBin, ['serve', '--port', '0', '--state', state], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 20000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/gateway at (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`sandbox exited with ${code}: ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function api(method, route, body) {
  const r = await fetch(base + route, {
    method,
    headers: { 'Content-Type': 'application/json', 'X-Request-ID': randomUUID(), 'X-Correlation-ID': randomUUID() },
    body: body && JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : null };
}

async function startFlow(connectorId) {
  const flowId = randomUUID();
  const r = await api('POST', '/ob/Ais/access', {
    connectorId,
    accountsAccessRequest: { psuIp: '127.0.0.1', flowId, redirectUrl: `${base}/demo/callback`, frequencyPerDay: 4 },
  });
  assert.equal(r.status, 200);
  assert.equal(r.json.resultStatus, 2, 'REDIRECT to the bank');
  return { flowId, started: r.json };
}

async function signIn(page, url, shot) {
  await page.goto(url);
  await page.screenshot({ path: path.join(shots, `${shot}.png`), fullPage: true });
  if (await page.locator('#username').count()) {
    await page.fill('#username', 'marianne');
    await page.fill('#password', 'correct horse');
  }
}

test('mock bank: sign in, approve, land on the callback with flowId and state', async () => {
  const { flowId, started } = await startFlow(-1);
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await signIn(page, started.dataString, 'mock-bank-login');
  await Promise.all([page.waitForURL(/\/demo\/callback\?/), page.click('#approve')]);
  await page.screenshot({ path: path.join(shots, 'mock-bank-callback.png'), fullPage: true });
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('flowId'), flowId, 'the callback identifies the flow');
  assert.ok(url.searchParams.get('state'), 'and carries a state');
  assert.match(await page.textContent('#callback'), /Callback received/);
  const done = await api('PUT', '/ob/Ais/access', { flow: started.flowContext, dataString: url.search, userContext: started.userContext });
  assert.equal(done.json.resultStatus, 1, 'DONE after the callback');
  assert.ok(done.json.userContext, 'with the user context');
  await page.close();
});

test('973: OAuth sign-in, then a second confirmation page, then DONE', async () => {
  const { flowId, started } = await startFlow(973);
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await signIn(page, started.dataString, 'es-bank-oauth-login');
  await Promise.all([page.waitForURL(/\/demo\/callback\?/), page.click('#approve')]);
  let url = new URL(page.url());
  assert.equal(url.searchParams.get('state'), flowId);
  assert.ok(url.searchParams.get('code'), 'an authorization code');
  const second = await api('PUT', '/ob/Ais/access', { flow: started.flowContext, dataString: url.search, userContext: started.userContext });
  assert.equal(second.json.resultStatus, 2, 'a second redirect');
  await signIn(page, second.json.dataString, 'es-bank-second-factor');
  await Promise.all([page.waitForURL(/\/demo\/callback\?/), page.click('#approve')]);
  url = new URL(page.url());
  const done = await api('PUT', '/ob/Ais/access', { flow: second.json.flowContext, dataString: url.search, userContext: second.json.userContext });
  assert.equal(done.json.resultStatus, 1);
  await page.close();
});

test('deny: the bank sends the person back with an error and the flow ends in ERROR', async () => {
  const { started } = await startFlow(-1);
  const page = await browser.newPage();
  await signIn(page, started.dataString, 'mock-bank-before-deny');
  await Promise.all([page.waitForURL(/\/demo\/callback\?/), page.click('#deny')]);
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('error'), 'access_denied');
  const r = await api('PUT', '/ob/Ais/access', { flow: started.flowContext, dataString: url.search, userContext: started.userContext });
  assert.equal(r.json.resultStatus, 7, 'ERROR');
  await page.close();
});

test('empty credentials are refused on the page, with a message', async () => {
  const { started } = await startFlow(-1);
  const page = await browser.newPage();
  await page.goto(started.dataString);
  await page.click('#approve');
  await page.waitForSelector('#error');
  assert.match(await page.textContent('#error'), /user name and password/);
  await page.screenshot({ path: path.join(shots, 'mock-bank-missing-credentials.png'), fullPage: true });
  await page.close();
});
