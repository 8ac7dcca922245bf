// Accessibility in the real app over WebDriver (issue 18, "Accessible"):
// axe-core (tests/desktop/node_modules/axe-core, pinned) runs inside the
// window on every main screen — the first run, the recovery-code dialogs,
// the overview with data, the transactions with a row's details open,
// spending, banks, import with a preview, export, settings and the add-bank
// dialog — in the light theme and in the dark one, and no serious or
// critical violation is allowed (each is listed with its rule, impact and
// the elements it found). The keyboard alone: the main navigation and a
// transaction row are reached with Tab and opened with Enter (arrows move
// within the list); the add-bank dialog keeps Tab and Shift+Tab inside it
// and gives the focus back to the button that opened it on Escape and on its
// close button. Screenshots: desktop-70..73.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { By, Key } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver } from "./harness.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const axeSource = fs.readFileSync(path.join(here, "node_modules/axe-core/axe.min.js"), "utf8");

const { home, env } = makeHome();
// A statement file for the Import screen's preview (the file chooser's
// answer comes from the debug builds' seam SALDO_IMPORT_PATHS); its closing
// balance is off, so the preview shows a warning too.
const statement = path.join(home, "statement.sta");
fs.writeFileSync(statement, [":20:STMT", ":25:NL91ABNA0417164300", ":28C:1", ":60F:C260105EUR1000,00",
  ":61:260105D4,50NTRFNONREF", ":86:BAKERY JANSEN", ":61:260110C2500,00NTRFNONREF", ":86:ACME PAYROLL",
  ":62F:C260110EUR3505,50", "-"].join("\r\n") + "\r\n");
env.SALDO_IMPORT_PATHS = statement;

let driverProc;
let session;
const started = Date.now();

before(async () => {
  driverProc = await startDriver(env);
  session = await openApp();
  await session.driver.manage().setTimeouts({ script: 120000 });
});

after(() => closeApp(session?.driver, driverProc));

/** Every violation axe reported: { where, id, impact, help, targets }. */
const found = [];
const checked = [];

/** Runs axe on the window as it is now; records what it finds under `where`. */
async function axe(where) {
  const { driver } = session;
  // The window may have reloaded since axe was injected.
  if (!(await driver.executeScript("return typeof window.axe === 'object'"))) await driver.executeScript(axeSource);
  const r = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    window.axe.run(document, { resultTypes: ["violations"] }).then(
      (r) => done({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.map((n) => n.target.join(" ")) })) }),
      (e) => done({ error: String(e && e.stack || e) }));`);
  assert.ok(!r.error, `axe ran on ${where}: ${r.error}`);
  checked.push(where);
  for (const v of r.violations) found.push({ where, ...v });
}

/** Sets the window's theme the way the app does (for what appears before Settings can). */
async function paint(theme) {
  const { driver } = session;
  await driver.executeScript("document.documentElement.dataset.theme = arguments[0]", theme);
}

/** Chooses a theme in Settings (and checks the window follows). */
async function chooseTheme(theme) {
  const { click, driver } = session;
  await click("[data-nav=settings]");
  await click(`[data-theme-choice=${theme}]`);
  await driver.wait(async () => (await driver.executeScript("return document.documentElement.dataset.theme")) === theme, 10000, `the window turns ${theme}`);
}

/** Runs `check` in the light theme and in the dark one (set directly: a dialog covers Settings). */
async function bothThemes(where, check = (w) => axe(w)) {
  for (const theme of ["light", "dark"]) {
    await paint(theme);
    await check(`${where} (${theme})`);
  }
  await paint("system");
}

const noModal = (ms = 10000) => session.driver.wait(async () => (await session.driver.findElements(By.css(".modal"))).length === 0, ms, "the dialog closes");

/** Closes a dialog left open (by Escape), so one failed step does not hide the next ones' findings. */
async function closeDialogs() {
  if ((await session.driver.findElements(By.css(".modal"))).length > 0) {
    await session.driver.actions().sendKeys(Key.ESCAPE).perform();
    await noModal();
  }
}

/** What has the focus: a short description, and whether it is inside `.modal`. */
const focused = () => session.driver.executeScript(`
  const e = document.activeElement;
  return { inModal: !!e?.closest(".modal"), what: e ? e.tagName.toLowerCase() + (e.dataset.action ? "[data-action=" + e.dataset.action + "]" : "") + (e.dataset.nav ? "[data-nav=" + e.dataset.nav + "]" : "") + (e.dataset.connector ? "[data-connector=" + e.dataset.connector + "]" : "") + (e.getAttribute("aria-label") ? "[aria-label=" + e.getAttribute("aria-label") + "]" : "") : "none",
    testid: e?.dataset?.testid ?? null };`);

const press = (...keys) => session.driver.actions().sendKeys(...keys).perform();
const shiftTab = () => session.driver.actions().keyDown(Key.SHIFT).sendKeys(Key.TAB).keyUp(Key.SHIFT).perform();

/** Presses Tab until the element matching `css` has the focus (at most `max` times). */
async function tabTo(css, max = 60) {
  const { driver } = session;
  for (let i = 0; i < max; i++) {
    if (await driver.executeScript("return document.activeElement?.matches(arguments[0]) ?? false", css)) return i;
    await press(Key.TAB);
  }
  throw new Error(`Tab never reached ${css} (${max} presses; now on ${(await focused()).what})`);
}

test("every screen passes axe in both themes, and the keyboard alone gets everywhere", async (t) => {
  const { $, click, shot, waitText, driver } = session;

  await t.test("the first run and the recovery-code dialogs", async () => {
    await $("[data-action=start]", 60000);
    await bothThemes("first run");
    await click("[data-action=start]");
    await waitText("h1", /Overview/);
    await $("[data-action=recovery-now]");
    assert.ok((await focused()).inModal, "the offer takes the focus");
    await bothThemes("recovery offer");
    await click("[data-action=recovery-now]");
    const code = await (await $("[data-testid=recovery-code]")).getText();
    await bothThemes("recovery code");
    await (await $("[data-field=recovery-confirm]")).sendKeys(code);
    await click("[data-action=confirm-code]");
    await noModal();
  });

  await t.test("the add-bank dialog: opened with Enter, Tab and Shift+Tab stay inside, the focus comes back", async () => {
    await driver.executeScript("document.activeElement?.blur()");
    await tabTo("[data-action=add-bank]");
    await press(Key.ENTER);
    await $("[data-connector='-1']", 30000);
    assert.ok((await focused()).inModal, "the dialog takes the focus");
    const stops = await driver.executeScript("return document.querySelectorAll('.modal button:not(:disabled), .modal input, .modal select').length");
    const seen = new Set();
    for (let i = 0; i < stops + 2; i++) {
      await press(Key.TAB);
      const f = await focused();
      assert.ok(f.inModal, `Tab ${i + 1} stays in the dialog (on ${f.what})`);
      seen.add(f.what);
    }
    assert.ok(seen.has("button[aria-label=Close]") && seen.has("button[data-connector=-1]"), `Tab went round the whole dialog: ${[...seen].join(", ")}`);
    for (let i = 0; i < stops + 2; i++) {
      await shiftTab();
      const f = await focused();
      assert.ok(f.inModal, `Shift+Tab ${i + 1} stays in the dialog (on ${f.what})`);
    }
    await bothThemes("add-bank dialog");
    await paint("dark");
    await shot("70-add-bank-dark");
    await paint("system");
    await press(Key.ESCAPE);
    await noModal();
    assert.equal((await focused()).what, "button[data-action=add-bank]", "Escape gives the focus back to the button that opened the dialog");

    // Again, closed with its ✕ button (given the focus, then Enter).
    await press(Key.ENTER);
    await $("[data-connector='-1']", 30000);
    await driver.executeScript("document.querySelector('.modal [aria-label=Close]').focus()");
    await press(Key.ENTER);
    await noModal();
    assert.equal((await focused()).what, "button[data-action=add-bank]", "closing gives the focus back to the button that opened the dialog");
  });

  await t.test("the demo bank connected (the data the screens show)", async () => {
    await closeDialogs();
    await click("[data-action=add-bank]");
    await click("[data-connector='-1']", 30000);
    await click("[data-action=continue-in-browser]");
    await $("[data-account-choice]", 60000);
    await bothThemes("add-bank dialog, choosing accounts");
    await click("[data-action=finish]");
    await noModal(120000);
    await waitText("[data-testid=totals]", /EUR|€/, 30000);
  });

  await t.test("the navigation and a transaction row with the keyboard alone", async () => {
    await closeDialogs();
    await driver.executeScript("document.activeElement?.blur()");
    await tabTo("[data-nav=transactions]");
    await press(Key.ENTER);
    await waitText("h1", /Transactions/);
    await $("[data-tx]", 30000);
    await tabTo("[data-testid=tx-list]");
    // The list is one Tab stop: its first row becomes the active one (aria-activedescendant), arrows move, Enter opens.
    const rowIds = await driver.executeScript("return [...document.querySelectorAll('[data-tx]')].slice(0, 3).map((e) => [e.id, e.dataset.tx])");
    const active = () => driver.executeScript("return document.activeElement.getAttribute('aria-activedescendant')");
    await driver.wait(async () => (await active()) === rowIds[0][0], 5000, "the first row is the list's active one");
    await press(Key.ENTER);
    await $(`[data-testid=detail][data-detail='${rowIds[0][1]}']`, 10000);
    await press(Key.ARROW_DOWN, Key.ARROW_DOWN);
    await driver.wait(async () => (await active()) === rowIds[2][0], 5000, "ArrowDown moves to the next rows");
    assert.equal(await driver.executeScript("return document.querySelector('[data-tx][aria-selected=true]')?.dataset.tx"), rowIds[2][1], "the row the arrows are on is the selected one");
    await press(Key.ENTER);
    await $(`[data-testid=detail][data-detail='${rowIds[2][1]}']`, 10000);
    assert.equal((await focused()).testid, "tx-list", "the focus stays in the list");
    // An amount's accessible name is in words (axe's own name computation): "-€12.30" is read "minus 12 euros 30".
    const [shown, spoken] = await driver.executeScript(`
      const cell = document.querySelector("[data-tx] .amount.neg").closest("[role=gridcell]");
      window.axe.setup();
      try { return [cell.querySelector("[aria-hidden=true]").textContent, window.axe.commons.text.accessibleText(cell)]; } finally { window.axe.teardown(); }`);
    assert.match(shown, /^-\S*\d/, "the list shows the amount as a figure");
    assert.match(spoken, /^minus [\d,]+ \D+( \d+)?$/, `the amount's accessible name is in words: "${spoken}" for "${shown}"`);
    t.diagnostic(`"${shown}" is read "${spoken}"`);
    await shot("71-transactions-keyboard");
    await press(Key.ESCAPE);
    await driver.wait(async () => (await driver.findElements(By.css("[data-testid=detail]"))).length === 0, 5000, "Escape closes the details");
    // Back to the overview, by keyboard too.
    await tabTo("[data-nav=overview]");
    await press(Key.ENTER);
    await waitText("h1", /Overview/);
  });

  let chosen = false;
  const screens = [
    ["overview", async () => {
      await click("[data-nav=overview]");
      await waitText("h1", /Overview/);
      await $(".chart svg path.line", 30000);
      await $(".chart svg rect.bar-in", 30000);
    }],
    ["transactions with a row's details", async () => {
      await click("[data-nav=transactions]");
      await click("[data-tx]", 30000);
      await waitText("[data-testid=detail]", /As the bank sent it/);
    }],
    ["spending", async () => {
      await click("[data-nav=spending]");
      await $("[data-testid^=report-] .bar-row", 30000);
    }],
    ["banks", async () => {
      await click("[data-nav=connections]");
      await $("[data-connection] [data-toggle]", 30000);
      await $("[data-testid=transfers]", 30000);
    }],
    ["import with a preview", async () => {
      await click("[data-nav=import]");
      await waitText("h1", /Import/);
      if (!chosen) await click("[data-action=choose-files]");
      chosen = true;
      await $("[data-testid=import-preview] tr[data-status]", 30000);
    }],
    ["export", async () => {
      await click("[data-nav=export]");
      await $("[data-format=csv]");
    }],
    ["settings", async () => {
      await click("[data-nav=settings]");
      await $("[data-testid=backups]");
      await $("[data-testid=key-settings]");
    }],
    ["add-bank dialog", async () => {
      await click("[data-action=add-bank]");
      await $("[data-connector='-1']", 30000);
    }],
    ["disconnect dialog", async () => {
      await click("[data-nav=connections]");
      await click("[data-action=disconnect]", 30000);
      await $("[data-action=confirm-disconnect]");
    }],
  ];

  for (const theme of ["light", "dark"]) {
    await t.test(`every main screen in the ${theme} theme`, async () => {
      await closeDialogs();
      await chooseTheme(theme);
      for (const [name, open] of screens) {
        await open();
        await axe(`${name} (${theme})`);
        if (theme === "dark" && name === "overview") await shot("72-overview-dark");
        if (theme === "light" && name === "spending") await shot("73-spending-light");
        await closeDialogs();
      }
    });
  }

  await t.test("no serious or critical violation anywhere", () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    t.diagnostic(`axe ran on ${checked.length} views in ${seconds} s`);
    for (const v of found) t.diagnostic(`${v.impact} ${v.id} on ${v.where}: ${v.targets.slice(0, 5).join(" | ")}`);
    const bad = found.filter((v) => v.impact === "serious" || v.impact === "critical");
    assert.deepEqual(bad.map((v) => `${v.impact} ${v.id} (${v.help}) on ${v.where}: ${v.targets.join(" | ")}`), [],
      "axe finds no serious or critical violation");
  });
});
