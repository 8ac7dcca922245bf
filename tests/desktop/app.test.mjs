// The real saldo-desktop binary in a real window (Xvfb), with a real D-Bus
// session and gnome-keyring, driven over WebDriver (tauri-driver +
// WebKitWebDriver): a person's whole path — set up, connect a sandbox bank
// through SCA in "their browser" with the saldo:// callback coming back
// through a second app invocation, enable accounts, sync, browse, search,
// read a transaction's details, export, disconnect — plus a forged deep
// link and hostile transaction text. Screenshots of every main screen go to
// tests/output/screenshots/desktop-*.png.
//
// Run by scripts/test-desktop (which builds the app and starts Xvfb, D-Bus,
// the keyring and tauri-driver).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { By } from "selenium-webdriver";
import { app, closeApp, makeHome, openApp, root, startDriver } from "./harness.mjs";

const { env, dataDir, exportFile, browserLog } = makeHome();
let driverProc;
let driver, shot, $, click, textOf, waitText;
const started = Date.now();
const timings = {};

before(async () => {
  driverProc = await startDriver(env);
  ({ driver, shot, $, click, textOf, waitText } = await openApp());
});

after(() => closeApp(driver, driverProc));

test("a new user sets up, connects a bank, syncs, browses, exports and disconnects", async (t) => {
  await t.test("first run: demo banks, keyring", async () => {
    await $("[data-action=start]", 60000);
    timings.first_paint_ms = Date.now() - started;
    await shot("01-setup");
    await click("[data-action=start]");
    await waitText("h1", /Overview/);
    // The first run offers a recovery code; this test takes it later.
    await $("[data-action=recovery-later]");
    await shot("02a-recovery-offer");
    await click("[data-action=recovery-later]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
    await shot("02-overview-empty");
    assert.ok(fs.existsSync(path.join(dataDir, "saldo.db")), "the encrypted database is created in the data dir");
  });

  await t.test("connect the mock bank: SCA in the browser, callback through saldo://", async () => {
    await click("[data-action=add-bank]");
    // The countries are the gateway's (named in the person's language), not a built-in list.
    await $("[data-connector='-1']");
    const countries = await driver.executeScript("return [...document.querySelectorAll('select[aria-label=Country] option')].map((o) => o.value)");
    assert.deepEqual([...countries].sort(), ["AT", "BE", "DE", "ES", "FR", "NL"], "the sandbox gateway's countries");
    const logos = await driver.executeScript("return [...document.querySelectorAll('.banks img')].map((i) => i.src)");
    assert.ok(logos.length > 0 && logos.every((src) => src.startsWith("data:image/")), `logos arrive as data, the window fetches none: ${logos.map((l) => l.slice(0, 30))}`);
    await shot("03a-add-bank-catalog");
    await click("[data-connector='-1']");
    await $("[data-action=continue-in-browser]");
    await shot("03-add-bank-form");
    await click("[data-action=continue-in-browser]");
    // The stand-in browser approves at the bank and hands saldo://callback to
    // a second saldo-desktop, which forwards it to this window.
    await $("[data-testid=connected]", 60000);
    const log = fs.readFileSync(browserLog, "utf8");
    assert.match(log, /redirect saldo:\/\/callback/, "the bank sent the person back through the deep link");
    await $("[data-account-choice]", 30000);
    await shot("04-choose-accounts");
    const boxes = await driver.findElements(By.css("[data-account-choice]"));
    assert.equal(boxes.length, 3, "the three accounts of the mock bank are offered (R12)");
    await click("[data-action=finish]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "sync finishes");
  });

  await t.test("overview shows totals and balances", async () => {
    await waitText("[data-testid=totals]", /EUR|€/, 30000);
    const totals = await textOf("[data-testid=totals]");
    assert.match(totals, /KWD|KD/, "a total per currency");
    // The first account's balance line and monthly bars are drawn from the
    // synced history right away.
    await $(".chart svg path.line", 30000);
    await $(".chart svg rect.bar-in", 30000);
    await shot("05-overview");
  });

  await t.test("transactions: virtual list, search, hostile text stays text, details", async () => {
    await click("[data-nav=transactions]");
    await $("[data-tx]", 30000);
    const rendered = (await driver.findElements(By.css("[data-tx]"))).length;
    assert.ok(rendered > 5 && rendered < 120, `only the rows in view are in the DOM (${rendered})`);
    await shot("06-transactions");
    const search = await $("[data-testid=search]");
    const t0 = Date.now();
    await search.sendKeys("script");
    await waitText("[data-tx]", /<script>alert\('saldo'\)<\/script>/);
    timings.search_ms = Date.now() - t0;
    // Only the search's rows are in the list now (not the earlier ones on their way out).
    await $("[data-testid=tx-list][data-shown-query=script]:not([aria-busy=true])");
    const injected = await driver.executeScript("return document.querySelectorAll('script:not([src]), img[src=\"x\"]').length");
    assert.equal(injected, 0, "hostile descriptions render as text, never as elements");
    await click("[data-tx]");
    await waitText("[data-testid=detail]", /remittanceInformation/);
    await waitText("[data-testid=detail]", /script/); // the details of the row clicked, a search result
    await shot("07-transaction-detail");
    await search.clear();
    await search.sendKeys("onerror");
    await waitText("[data-tx]", /<img src=x onerror=alert\(1\)>/);
    assert.equal(await driver.executeScript("return document.querySelectorAll('img[src=\"x\"]').length"), 0);
  });

  await t.test("a forged deep link is refused with a clear message", async () => {
    // Through the desktop's URL handling, as any program of the user could:
    // `gio open` finds the saldo:// handler the app registered at start and
    // launches a second saldo-desktop, which forwards the link.
    execFileSync("gio", ["open", "saldo://callback?flowId=forged-flow&state=forged&code=stolen"], { env, timeout: 20000 });
    await waitText(".banner.error", /A bank link was refused/);
    await shot("08-forged-link");
    await click(".banner.error button[aria-label=Dismiss]");
  });

  await t.test("export through the same code as the CLI", async () => {
    await click("[data-nav=export]");
    await click("[data-format=beancount]");
    await shot("09-export");
    await click("[data-action=export]");
    await waitText(".banner.ok", /Exported/, 60000);
    const books = fs.readFileSync(exportFile, "utf8");
    assert.match(books, /^; Saldo export/, "a beancount file was written");
    assert.match(books, /open Assets:Saldo-Mock-Bank:/, "with the bank's accounts");
  });

  await t.test("banks screen, settings, disconnect", async () => {
    await click("[data-nav=settings]");
    await waitText("h1", /Settings/);
    await shot("10-settings");
    // Testing a gateway that is not there says so in one sentence; nothing changes.
    await click("[data-testid=change-gateway] summary");
    const address = await $("input[aria-label='Gateway address']");
    await address.sendKeys("http://127.0.0.1:9/");
    await click("[data-action=test-gateway]");
    await waitText("[data-testid=gateway-test]", /Not reached: could not reach the gateway/, 20000);
    await shot("10b-settings-test-gateway");
    // Dark theme, chosen by hand (light/dark otherwise follow the system).
    await click("[data-theme-choice=dark]");
    await driver.wait(async () => (await driver.executeScript("return document.documentElement.dataset.theme")) === "dark", 10000);
    const bg = await driver.executeScript("return getComputedStyle(document.body).backgroundColor");
    assert.notEqual(bg, "rgb(245, 246, 248)", "the page is no longer light");
    await click("[data-nav=overview]");
    await $(".chart svg path.line", 30000);
    await shot("05b-overview-dark");
    await click("[data-nav=settings]");
    await click("[data-theme-choice=system]");
    await click("[data-nav=connections]");
    await $("[data-connection]");
    await shot("11-banks");
    // Reconnect opens on the connection's own bank: its form at once, no
    // catalog to pick another bank from.
    const bankName = await textOf("[data-connection] h2");
    await click("[data-action=reconnect]");
    await waitText(".bank-form h3", new RegExp(bankName.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
    assert.equal((await driver.findElements(By.css(".pick-bank"))).length, 0, "no catalog in a reconnect");
    assert.equal((await driver.findElements(By.xpath("//button[contains(., 'Other bank')]"))).length, 0, "no way to another bank");
    await shot("11b-reconnect-own-bank");
    await click(".modal [aria-label=Close]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the dialog closes");
    await click("[data-action=disconnect]");
    await shot("12-disconnect-confirm");
    await click("[data-action=confirm-disconnect]");
    await waitText(".empty-title", /No banks connected/, 30000);
    await click("[data-nav=overview]");
    await waitText(".empty-title", /No banks connected yet/);
  });

  await t.test("a bank that asks which SCA method to use (SELECT_OPTION)", async () => {
    await click("[data-nav=overview]");
    await click("[data-action=add-bank]");
    const country = await $("select[aria-label=Country]");
    await driver.executeScript("arguments[0].value = 'NL'; arguments[0].dispatchEvent(new Event('change', { bubbles: true }))", country);
    await click("[data-connector='101']");
    await click("[data-action=continue-in-browser]");
    await $("[data-option]", 30000);
    await shot("15-choose-sca-method");
    await click("[data-option]");
    // The chosen method sends the person to the bank; the callback comes
    // back through saldo:// as before.
    await $("[data-testid=connected]", 60000);
    await $("[data-account-choice]", 30000);
    await click("[data-action=finish]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "sync finishes");
    await waitText("[data-testid=totals]", /JPY|¥|￥/, 30000);
  });

  await t.test("the app's log has what happened and none of the callback's one-time values", async () => {
    const log = fs.readFileSync(path.join(process.env.XDG_DATA_HOME, "app.saldo.desktop/logs/saldo.log"), "utf8");
    assert.match(log, /bank callback accepted/, "the log is the app's");
    assert.match(log, /bank callback refused/, "the forged link is logged");
    const secrets = fs.readFileSync(browserLog + ".full", "utf8").trim().split("\n")
      .flatMap((u) => [...new URL(u).searchParams.values()]).filter((v) => v.length >= 8);
    assert.ok(secrets.length >= 2, "the callback carried one-time values");
    for (const v of [...secrets, "stolen", "forged-flow"]) assert.ok(!log.includes(v), `the log never repeats ${v.slice(0, 4)}…`);
  });

  const pid = execFileSync("pgrep", ["-f", "-n", app]).toString().trim();
  const rss = Number(fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) * 1024;
  timings.app_rss_bytes = rss;
  fs.mkdirSync(path.join(root, "tests/output"), { recursive: true });
  fs.writeFileSync(path.join(root, "tests/output/desktop-figures.json"), JSON.stringify(timings, null, 2));
  console.log("desktop figures", timings);
});
