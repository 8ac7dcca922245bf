// A gateway for registered people, in the real app over WebDriver: the
// person adds a bank, the gateway answers "not registered", the app shows
// the gateway's terms and privacy notice (their language on offer), the
// person accepts and gives their details, and the connection goes on by
// itself to the bank's page — one click on "Continue in your browser".
// Screenshot: desktop-21-onboarding.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const { env, home } = makeHome();
let driverProc;
let session;
let gateway;

async function startGateway() {
  const args = ["serve", "--port", "0", "--registration-required", "--state", path.join(home, "gateway.json")];
  const proc = spawn(env.SALDO_SANDBOX_BIN, args, { stdio: ["ignore", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: proc.stdout });
  for await (const line of lines) {
    const url = line.match(/^Saldo sandbox gateway at (http:\/\/\S+)/)?.[1];
    if (url) return { proc, url: url.replace(/\/$/, "") };
  }
  throw new Error("the sandbox server did not start");
}

before(async () => {
  gateway = await startGateway();
  driverProc = await startDriver(env);
  session = await openApp();
});

after(async () => {
  await closeApp(session?.driver, driverProc);
  gateway?.proc.kill();
});

const typeInto = async (css, text) => {
  const el = await session.$(css);
  await session.driver.executeScript("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', { bubbles: true }))", el);
  await el.sendKeys(text);
};

test("a gateway for registered people: terms, registration, then the bank", async () => {
  const { $, click, shot, waitText, driver } = session;
  await click("[data-choice=gateway]", 60000);
  await typeInto("[data-field=gateway-url]", gateway.url);
  await click("[data-action=start]");
  await waitText("h1", /Overview/);
  await click("[data-action=add-bank]");
  await click("[data-connector='-1']", 30000);
  await click("[data-action=continue-in-browser]");
  await waitText("[data-testid=onboarding]", /serves registered people/, 30000);
  await waitText("[data-testid=terms]", /terms and conditions, version 1/i);
  const register = await $("[data-action=register]");
  assert.equal(await register.isEnabled(), false, "nothing is sent before the terms are accepted");
  await typeInto("[data-field=first]", "Anna");
  await typeInto("[data-field=last]", "Peeters");
  await typeInto("[data-field=email]", "anna@example.org");
  await click("[data-field=accept-terms]");
  await shot("21-onboarding");
  await click("[data-action=register]");
  // Registered: the connection goes on by itself to the bank (the stand-in browser approves there).
  await $("[data-account-choice]", 60000);
  assert.equal((await driver.findElements(By.css("[data-testid=onboarding]"))).length, 0, "the onboarding is done");
  await shot("22-onboarded-choose-accounts");
  await click("[data-action=finish]");
  await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "the first sync finishes");
  await click("[data-nav=connections]");
  await waitText("[data-connection]", /Connected/, 30000);
  await shot("23-onboarded-synced");
});
