// Importing statement files in the real app over WebDriver (issue 17): the
// Import screen reads two MT940 files (the file chooser's answer comes from
// the debug builds' seam SALDO_IMPORT_PATHS), previews every row as new or
// already here (the second file overlaps the first) and flags a statement
// whose balances do not add up, imports them in one step into a new offline
// account, and a second look at the same files finds nothing new. The rows
// are in the list with where they came from; the Banks screen shows the
// account as imported from files (no sync, no reconnect). Screenshots:
// desktop-60..64.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const { home, env } = makeHome();

/** An MT940 statement of one account; `closing` given explicitly so a test can make it wrong. */
function mt940(number, opening, rows, closing) {
  const fmt = (cents) => `${Math.floor(Math.abs(cents) / 100)},${String(Math.abs(cents) % 100).padStart(2, "0")}`;
  const lines = [":20:STMT", `:25:${number}`, ":28C:1", `:60F:C${rows[0][0]}EUR${fmt(opening)}`];
  for (const [day, cents, party] of rows) {
    lines.push(`:61:${day}${cents < 0 ? "D" : "C"}${fmt(cents)}NTRFNONREF`, `:86:${party}`);
  }
  lines.push(`:62F:C${rows[rows.length - 1][0]}EUR${fmt(closing)}`, "-");
  return lines.join("\r\n") + "\r\n";
}

const january = path.join(home, "january.sta");
const february = path.join(home, "february.sta");
fs.writeFileSync(january, mt940("NL91ABNA0417164300", 100000,
  [["260105", -450, "BAKERY JANSEN"], ["260105", -450, "BAKERY JANSEN"], ["260110", 250000, "ACME PAYROLL"], ["260112", -1999, "STREAMING CO"]],
  347101));
// Overlaps January's last two rows; its closing balance is off by 10.00.
fs.writeFileSync(february, mt940("NL91ABNA0417164300", 347101,
  [["260110", 250000, "ACME PAYROLL"], ["260112", -1999, "STREAMING CO"], ["260202", -8000, "GARAGE PEETERS"]],
  587102 + 1000));
env.SALDO_IMPORT_PATHS = [january, february].join(":");

let driverProc;
let session;

before(async () => {
  driverProc = await startDriver(env);
  session = await openApp();
});

after(() => closeApp(session?.driver, driverProc));

test("statement files are previewed, imported once into an offline account, and shown with their source", async (t) => {
  const { $, click, shot, waitText, driver, textOf } = session;

  await t.test("the Import screen previews each row", async () => {
    await click("[data-action=start]", 60000);
    await waitText("h1", /Overview/);
    await click("[data-action=recovery-later]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
    await click("[data-nav=import]");
    await waitText("h1", /Import/);
    await shot("60-import-empty");
    await click("[data-action=choose-files]");
    await $("[data-testid=import-preview]", 30000);
    await waitText("[data-testid=import-files]", /january\.sta, february\.sta/);
    const statuses = await driver.executeScript("return [...document.querySelectorAll('[data-file] tr[data-status]')].map((r) => r.dataset.status)");
    assert.deepEqual(statuses, ["new", "new", "new", "new", "known", "known", "new"],
      "both coffees of one day are new (twins), February's overlap is already here");
    await waitText("[data-testid=import-preview]", /5 new transactions, 2 already here, 0 conflicts, 1 new offline account/);
    await waitText("[data-file='february.sta'] .banner", /10\.00 EUR|10,00/);
    assert.equal((await driver.findElements(By.css("[data-file='january.sta'] .banner"))).length, 0, "January adds up");
    await shot("61-import-preview");
  });

  await t.test("the import is one step, then a summary", async () => {
    await click("[data-action=import]");
    await waitText("[data-testid=import-summary]", /5 transactions added, 2 already here, 0 conflicts left out; 1 new offline account/, 30000);
    await shot("62-import-summary");
    // The same files again: nothing new.
    await click("[data-action=choose-files]");
    await $("[data-testid=import-preview]", 30000);
    await waitText("[data-testid=import-preview]", /0 new transactions, 7 already here/);
    await waitText("[data-file='january.sta']", /imported before/);
    await click("[data-action=clear-files]");
  });

  await t.test("the rows are in the list with where they came from, the account in Banks as offline", async () => {
    await click("[data-nav=transactions]");
    await $("[data-tx]", 30000);
    const count = await driver.executeScript("return document.querySelectorAll('[data-tx]').length");
    assert.equal(count, 5, "five rows, none twice");
    await click("[data-tx]");
    await waitText("[data-testid=imported-from]", /Imported from (january|february)\.sta, statement \S+, entry \d/);
    // The fields are the file's (no bank has sent this row), and say so.
    await waitText("[data-testid=fields-heading]", /As the file gave it/);
    await shot("63-import-row-source");
    await click("[data-nav=connections]");
    await waitText("[data-testid=offline]", /Imported from files/);
    const connection = await $("[data-connection]");
    assert.equal((await connection.findElements(By.css("[data-action=sync]"))).length, 0, "no sync for an account only files fill");
    assert.equal((await connection.findElements(By.css("[data-action=reconnect]"))).length, 0, "nor a reconnect");
    assert.match(await textOf("[data-connection]"), /NL91ABNA0417164300/);
    await shot("64-import-offline-account");
  });
});
