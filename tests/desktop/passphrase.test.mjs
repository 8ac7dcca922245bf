// A person who keeps the key out of the keyring: set up with a passphrase,
// lock, get a wrong passphrase refused (the file untouched), unlock, and
// find the app locked again after a restart. The real app over WebDriver,
// like app.test.mjs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { By } from "selenium-webdriver";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const { env, dataDir } = makeHome();
const PASS = "correct horse battery staple";
let driverProc;
let session;

before(async () => {
  driverProc = await startDriver(env);
  session = await openApp();
});

after(() => closeApp(session?.driver, driverProc));

const digest = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

test("a passphrase protects the data: set up, lock, wrong passphrase refused, unlock, restart locked", async (t) => {
  const { $, click, shot, waitText } = session;

  await t.test("set up with a passphrase (the two entries must match)", async () => {
    await click("[data-field=use-passphrase]", 60000);
    await (await $("[data-field=passphrase]")).sendKeys(PASS);
    await (await $("[data-field=passphrase-repeat]")).sendKeys(PASS + "!");
    await click("[data-action=start]");
    await waitText(".banner.error", /differ/);
    const repeat = await $("[data-field=passphrase-repeat]");
    await session.driver.executeScript("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', { bubbles: true }))", repeat);
    await repeat.sendKeys(PASS);
    await shot("13-setup-passphrase");
    await click("[data-action=start]");
    await waitText("h1", /Overview/);
    // The first run offers a recovery code; this test takes it later.
    await click("[data-action=recovery-later]");
    await session.driver.wait(async () => (await session.driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
    assert.ok(fs.existsSync(path.join(dataDir, "saldo.db.kdf.json")), "the key derivation parameters sit beside the database");
  });

  await t.test("lock, then a wrong passphrase is refused and changes nothing", async () => {
    await click("[data-nav=settings]");
    await click("[data-action=lock]");
    await $("[data-field=unlock-passphrase]");
    const db = path.join(dataDir, "saldo.db");
    const before = digest(db);
    await (await $("[data-field=unlock-passphrase]")).sendKeys("not my passphrase");
    await click("[data-action=unlock]");
    await waitText(".banner.error", /Wrong passphrase/);
    await shot("14-unlock-wrong-passphrase");
    assert.equal(digest(db), before, "a wrong passphrase leaves the file as it was");
    await (await $("[data-field=unlock-passphrase]")).sendKeys(PASS);
    await click("[data-action=unlock]");
    await waitText("h1", /Settings/); // back where the person locked it
  });

  await t.test("a restart opens locked, and the passphrase opens it", async () => {
    await session.driver.quit();
    session = await openApp();
    const { $: $2, click: click2, waitText: waitText2 } = session;
    await (await $2("[data-field=unlock-passphrase]", 60000)).sendKeys(PASS);
    await click2("[data-action=unlock]");
    await waitText2("h1", /Overview/);
  });
});
