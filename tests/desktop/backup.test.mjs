// Moving to a new computer, in the real app over WebDriver: on the first
// install the person makes a recovery code (shown once, closed only when
// typed back), picks a backup folder and backs up; a second install (its
// own home, data dir and keyring entry) restores that backup on its first
// screen with only the code — a wrong code first, refused with nothing
// written — and shows the same accounts and history. Screenshots:
// desktop-40..45.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const first = makeHome();
const second = makeHome();
const folder = path.join(first.home, "Backups (synced)");
first.env.SALDO_BACKUP_FOLDER = folder; // the folder picker's answer (debug builds' test seam)
let driverProc;
let session;

after(() => closeApp(session?.driver, driverProc));

/** What the overview says about the accounts, to compare two installs. */
async function accounts(s) {
  await s.waitText("[data-testid=totals]", /EUR|€/, 30000);
  return s.driver.executeScript(
    "return [...document.querySelectorAll('[data-account]')].map((e) => e.innerText.replace(/\\s+/g, ' ').trim()).sort()",
  );
}

/** The transactions the list shows first (their ids and what it says). */
async function listed(s) {
  await s.click("[data-nav=transactions]");
  await s.$("[data-tx]", 30000);
  await s.$(".tx-list:not([aria-busy=true])");
  return s.driver.executeScript(
    // The rows drawn depend on the window's layout: the first 15 are always there.
    "return [document.querySelector('.status-line')?.innerText, ...[...document.querySelectorAll('[data-tx]')].slice(0, 15).map((e) => e.dataset.tx + ' ' + e.innerText.replace(/\\s+/g, ' '))]",
  );
}

test("a backup made on one install is restored on another with only the recovery code", async (t) => {
  let code;
  let backupFile;
  let before;
  let beforeCount;

  await t.test("first install: connect a bank, make the recovery code, back up", async () => {
    driverProc = await startDriver(first.env);
    session = await openApp();
    const { $, click, shot, waitText, driver, typeInto } = session;
    await click("[data-action=start]", 60000);
    await waitText("h1", /Overview/);
    // The first run offers the recovery code: the person makes it now.
    await click("[data-action=recovery-now]");
    code = await (await $("[data-testid=recovery-code]")).getText();
    assert.match(code, /^[0-9A-Z]{4,5}([- ][0-9A-Z]{4,5}){5,}$/, `a code in groups: ${code.replace(/[0-9A-Z]/g, "x")}`);
    await shot("40-recovery-code");
    // It does not go away before the person proves they have it.
    await driver.actions().sendKeys("\uE00C").perform(); // Escape
    await waitText("[role=status]", /Type the code above/);
    assert.equal((await driver.findElements(By.css("[data-testid=recovery-code]"))).length, 1, "still shown");
    assert.equal(await (await $("[data-action=confirm-code]")).isEnabled(), false, "cannot confirm before typing it");
    await typeInto("[data-field=recovery-confirm]", code.toLowerCase().replace(/-/g, " "));
    await shot("41-recovery-code-confirmed");
    await click("[data-action=confirm-code]");
    await driver.wait(async () => (await driver.findElements(By.css("[data-testid=recovery-code]"))).length === 0, 10000, "the code is gone from the window");
    const html = await driver.executeScript("return document.documentElement.outerHTML");
    assert.ok(!html.includes(code), "the code is nowhere in the page once confirmed");
    await click("[data-action=add-bank]");
    await click("[data-connector='-1']", 30000);
    await click("[data-action=continue-in-browser]");
    await $("[data-account-choice]", 60000);
    await click("[data-action=finish]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "the first sync finishes");
    before = await accounts(session);
    assert.ok(before.length > 0, "the overview lists the accounts");
    beforeCount = await listed(session);
    assert.ok(beforeCount.length > 5, `the list shows the history: ${beforeCount[0]}`);
    await click("[data-nav=overview]");

    await click("[data-nav=settings]");
    await $("[data-action=make-recovery-code]");
    await waitText("[data-action=make-recovery-code]", /Make a new recovery code/);
    assert.equal((await driver.findElements(By.xpath("//*[contains(text(), 'No recovery code yet')]"))).length, 0, "the code made at setup counts");

    await click("[data-action=choose-backup-folder]");
    await waitText("[data-testid=backup-folder]", /Backups \(synced\)/);
    await click("[data-action=backup-now]");
    await waitText("[data-testid=backup-done]", /Backed up: saldo-.*\.saldo-backup/);
    await waitText("[data-testid=backup-list]", /saldo-/);
    await driver.executeScript("document.querySelector('[data-testid=backup-list]').scrollIntoView({ block: 'end' })");
    await shot("42-backed-up");
    const files = fs.readdirSync(folder).filter((f) => f.endsWith(".saldo-backup"));
    assert.equal(files.length, 1, `one backup in the chosen folder: ${files}`);
    backupFile = path.join(folder, files[0]);
    const bytes = fs.readFileSync(backupFile);
    assert.ok(!bytes.includes(Buffer.from("SQLite format 3")), "the database inside is encrypted");
    assert.ok(!bytes.includes(Buffer.from(code.replace(/[- ]/g, ""))) && !bytes.includes(Buffer.from(code)), "the code is not in the backup");
    await closeApp(session.driver, driverProc);
    session = null;
  });

  await t.test("second install: a wrong code is refused and writes nothing; the right one restores everything", async () => {
    second.env.SALDO_RESTORE_PATH = backupFile; // the file picker's answer (test seam)
    driverProc = await startDriver(second.env);
    session = await openApp();
    const { $, click, shot, waitText, typeInto } = session;
    await click("[data-action=setup-restore]", 60000);
    await click("[data-action=choose-backup-file]");
    await waitText("[data-testid=restore-file]", /Backup of/);
    const wrong = code.replace(/^(.)/, (c) => (c === "A" ? "B" : "A"));
    await typeInto("[data-field=restore-secret]", wrong);
    await click("[data-action=restore]");
    await waitText(".banner.error", /Not restored/);
    await shot("43-restore-wrong-code");
    assert.ok(!fs.existsSync(path.join(second.dataDir, "saldo.db")), "a wrong code writes no database");
    assert.ok(!fs.existsSync(path.join(second.dataDir, "app.json")), "nor sets the install up");

    await typeInto("[data-field=restore-secret]", code);
    await shot("44-restore-form");
    await click("[data-action=restore]");
    await waitText("h1", /Overview/, 60000);
    const after = await accounts(session);
    assert.deepEqual(after, before, "the same accounts and balances");
    assert.deepEqual(await listed(session), beforeCount, "the same transactions");
    await shot("45-restored");
  });
});
