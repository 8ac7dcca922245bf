// "Use my gateway" and the other ways banks authenticate, in the real app
// over WebDriver (like app.test.mjs). The app is set up on a gateway of its
// own — a sandbox server started here, not the embedded one — and then
// connects a card-reader bank that asks questions in the app — a client
// number (MORE_INFO), then a card reader's response code (PASSWORD), a wrong
// answer asked again — and a bank whose person confirms in their banking app
// (DECOUPLED) while Saldo waits. Screenshots: desktop-16…20.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver, startGateway } from "./harness.mjs";

const { env, home } = makeHome();
let driverProc;
let session;
let gateway; // { proc, url }


const calls = async () => Object.values(await (await fetch(`${gateway.url}/sandbox/stats`)).json()).reduce((a, b) => a + b, 0);

before(async () => {
  gateway = await startGateway(env, home, []);
  driverProc = await startDriver(env);
  session = await openApp();
});

after(async () => {
  await closeApp(session?.driver, driverProc);
  gateway?.proc.kill();
});

/** Opens "Add a bank" on a country's bank and continues past its form. */
async function startConnecting(country, connector) {
  const { $, click, driver } = session;
  await click("[data-nav=overview]");
  await click("[data-action=add-bank]");
  const select = await $("select[aria-label=Country]");
  await driver.executeScript("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change', { bubbles: true }))", select, country);
  await click(`[data-connector='${connector}']`);
  await click("[data-action=continue-in-browser]");
}

/** Enables every offered account and waits for the first sync to end. */
async function finishConnecting(accounts) {
  const { $, click, driver } = session;
  await $("[data-account-choice]", 30000);
  assert.equal((await driver.findElements(By.css("[data-account-choice]"))).length, accounts, "the bank's accounts are offered (R12)");
  await click("[data-action=finish]");
  await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "sync finishes");
}


test("banks that ask questions in the app or wait for the banking app", async (t) => {
  const { $, click, shot, waitText, driver } = session;
  let code = "";

  await t.test("first run: use my gateway", async () => {
    await click("[data-choice=gateway]", 60000);
    await session.typeInto("[data-field=gateway-url]", gateway.url);
    await shot("16-setup-my-gateway");
    await click("[data-action=start]");
    await waitText("h1", /Overview/);
    // The first run offers a recovery code; this test takes it later.
    await click("[data-action=recovery-later]");
    await session.driver.wait(async () => (await session.driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
    const before = await calls();
    await click("[data-action=add-bank]");
    await $("[data-connector='106']", 30000);
    assert.ok((await calls()) > before, "the bank list came from my gateway, not the embedded sandbox");
    await click(".modal [aria-label=Close]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the dialog closes");
  });

  await t.test("a card-reader bank asks for a client number, then a code; wrong answers are asked again", async () => {
    await startConnecting("BE", "107");
    await waitText("[data-testid=prompt]", /client number/);
    assert.equal(await (await $("[data-field=answer]")).getAttribute("type"), "text", "a client number is shown as typed");
    await session.typeInto("[data-field=answer]", "12345");
    await click("[data-action=answer]");
    await waitText("[data-testid=prompt]", /^That is not a 10-digit client number/);
    await shot("17-bank-asks-again");
    await session.typeInto("[data-field=answer]", "0123456789");
    await click("[data-action=answer]");
    await waitText("[data-testid=prompt]", /card reader/);
    const field = await $("[data-field=answer]");
    assert.equal(await field.getAttribute("type"), "password", "a code is typed hidden (PASSWORD)");
    assert.equal(await field.getAttribute("value"), "", "the previous answer is not kept in the field");
    const prompt = await (await $("[data-testid=prompt]")).getText();
    const challenge = prompt.match(/challenge (\d{4} \d{4})/)?.[1];
    assert.ok(challenge, `the bank shows a challenge: ${prompt}`);
    code = [...challenge.replace(/\D/g, "")].reverse().join(""); // the sandbox card reader
    await field.sendKeys(code);
    await shot("18-bank-asks-code");
    await click("[data-action=answer]");
    await $("[data-testid=connected]", 60000);
    await finishConnecting(2);
    await waitText("ul.accounts", /Zichtrekening/, 30000);
  });

  await t.test("a decoupled bank: Saldo waits while the person confirms in the banking app", async () => {
    await startConnecting("DE", "102");
    await waitText(".modal .waiting", /Confirm in your banking app/);
    const message = await (await $("[data-testid=instructions]")).getText();
    const appUrl = message.match(/(http:\/\/127\.0\.0\.1:\d+\/bank\/102\/app)/)?.[1];
    assert.ok(appUrl, `the bank says where to confirm: ${message}`);
    await waitText(".modal .waiting [role=status]", /Still waiting/, 15000); // it polls, and keeps saying where to confirm
    assert.match(await (await $("[data-testid=instructions]")).getText(), /\/bank\/102\/app/);
    await shot("19-decoupled-waiting");
    // The person opens the banking app (the sandbox's page) and confirms.
    const page = await (await fetch(appUrl)).text();
    const flow = page.match(/name="flow" value="([^"]+)"/)?.[1];
    assert.ok(flow, "the banking app lists the pending request");
    const confirmed = await fetch(appUrl, { method: "POST", body: new URLSearchParams({ flow, action: "approve" }) });
    assert.equal(confirmed.status, 200);
    // Saldo notices by polling with back-off, without the person doing anything more.
    await $("[data-testid=connected]", 60000);
    await finishConnecting(2);
    await waitText("ul.accounts", /Girokonto/, 30000);
    await shot("20-overview-my-gateway");
  });

  await t.test("the log never holds the answers given to the bank", async () => {
    const log = fs.readFileSync(path.join(process.env.XDG_DATA_HOME, "app.saldo.desktop/logs/saldo.log"), "utf8");
    assert.ok(code.length === 8 && !log.includes(code), "the card reader code is not logged");
    assert.ok(!log.includes("0123456789"), "the client number is not logged");
  });
});
