// A long statement file in the real app over WebDriver (issue 17: a huge
// file is read in passes, in memory that does not grow with it): a credit
// card's OFX file of 1,200 entries. The preview lists the first 500 entries
// and says how many more there are (the app keeps only the rows it lists),
// its counts cover every entry, and the import adds all of them to a new
// offline account. Screenshot: desktop-65.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const { home, env } = makeHome();

const ENTRIES = 1200;
const SHOWN = 500; // IMPORT_ROWS_SHOWN in src-tauri/src/views.rs

/** An OFX 1.x credit-card statement: one purchase a day or so, then the ledger balance. */
function ofx() {
  const lines = ["OFXHEADER:100", "DATA:OFXSGML", "VERSION:102", "CHARSET:1252", "", "<OFX>",
    "<CREDITCARDMSGSRSV1><CCSTMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>",
    "<CCSTMTRS><CURDEF>EUR<CCACCTFROM><ACCTID>4111000011112222</CCACCTFROM>",
    "<BANKTRANLIST><DTSTART>20230101<DTEND>20260101"];
  let total = 0;
  for (let i = 0; i < ENTRIES; i++) {
    const day = new Date(Date.UTC(2023, 0, 1) + Math.floor(i * 0.9) * 86400000).toISOString().slice(0, 10).replaceAll("-", "");
    const cents = 100 + (i * 37) % 9000;
    total -= cents;
    lines.push(`<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>${day}<TRNAMT>-${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}<FITID>C${i}<NAME>Shop ${i % 40}</STMTTRN>`);
  }
  const balance = `${total < 0 ? "-" : ""}${Math.floor(Math.abs(total) / 100)}.${String(Math.abs(total) % 100).padStart(2, "0")}`;
  lines.push("</BANKTRANLIST>", `<LEDGERBAL><BALAMT>${balance}<DTASOF>20260101</LEDGERBAL>`,
    "</CCSTMTRS></CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>");
  return lines.join("\r\n") + "\r\n";
}

const card = path.join(home, "card.ofx");
fs.writeFileSync(card, ofx());
env.SALDO_IMPORT_PATHS = card;

let driverProc;
let session;

before(async () => {
  driverProc = await startDriver(env);
  session = await openApp();
});

after(() => closeApp(session?.driver, driverProc));

test("a long file's preview lists what it shows, counts every entry, and imports them all", async () => {
  const { click, shot, waitText, driver, $ } = session;
  await click("[data-action=start]", 60000);
  await waitText("h1", /Overview/);
  await click("[data-action=recovery-later]");
  await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
  await click("[data-nav=import]");
  await waitText("h1", /Import/);
  await click("[data-action=choose-files]");
  await $("[data-testid=import-preview]", 30000);
  await waitText("[data-testid=import-preview]", /1,?200 new transactions, 0 already here, 0 conflicts, 1 new offline account/);
  const listed = await driver.executeScript("return document.querySelectorAll(\"[data-file='card.ofx'] tr[data-status]\").length");
  assert.equal(listed, SHOWN, "the first 500 entries are listed");
  await waitText("[data-file='card.ofx']", new RegExp(`${ENTRIES - SHOWN} more entries not listed`));
  await waitText("[data-file='card.ofx'] .pill.new", /^1,200 new$/);
  await shot("65-import-long-preview");
  await click("[data-action=import]");
  await waitText("[data-testid=import-summary]", /1,?200 transactions added, 0 already here/, 60000);
});
