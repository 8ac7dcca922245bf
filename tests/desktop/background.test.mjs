// In the background, in the real app over WebDriver (issue 18): a bank's
// access that ends in 10 days is told by a desktop notification (the
// org.freedesktop.Notifications.Notify call observed on the session bus with
// dbus-monitor — nothing is mocked; no notification server runs in Xvfb, the
// call is what the app owes); "Start at login" writes the login item that
// starts Saldo in the tray; closing the window keeps Saldo running and its
// daily sync fetches the bank's new rows with no window (the gateway's clock
// advanced three days; the debug builds' seams SALDO_DAILY_CHECK_SECS and
// SALDO_DAILY_INTERVAL_SECS make "daily" seconds); a second launch brings
// the window back. Screenshots: desktop-65, -66.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { By } from "selenium-webdriver";
import { closeApp, makeHome, openApp, startDriver, startGateway } from "./harness.mjs";

const { env, home } = makeHome();
env.SALDO_DAILY_CHECK_SECS = "3";
env.SALDO_DAILY_INTERVAL_SECS = "40";
let driverProc;
let session;
let gateway;
let monitor;
let heard = "";

const saldoCli = path.join(path.dirname(env.SALDO_DESKTOP_BIN), "saldo");
const transactionCalls = async () => {
  const s = await (await fetch(`${gateway.url}/sandbox/stats`)).json();
  return Object.entries(s.calls).filter(([k]) => k.includes("/transactions")).reduce((a, [, n]) => a + n, 0);
};
// Every stored row, through the command line's CSV export (a JSON list stops at 1000).
const rows = () => {
  const o = spawnSync(saldoCli, ["--data-dir", env.SALDO_DATA_DIR, "--gateway", gateway.url, "export", "--format", "csv"], { env, encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(o.status, 0, o.stderr);
  return o.stdout.trim().split("\n").length - 1;
};
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await wait(500);
  }
  throw new Error(`timed out: ${what}`);
}

before(async () => {
  gateway = await startGateway(env, home, []);
  // Connect "170 days ago" at a bank whose access lasts 180 days: it ends in 10.
  await fetch(`${gateway.url}/sandbox/clock`, { method: "POST", body: JSON.stringify({ advanceDays: -170 }), headers: { "content-type": "application/json" } });
  monitor = spawn("dbus-monitor", ["--session", "interface='org.freedesktop.Notifications',member='Notify'"], { env, stdio: ["ignore", "pipe", "ignore"] });
  monitor.stdout.on("data", (d) => { heard += d.toString(); });
  driverProc = await startDriver(env);
  session = await openApp();
});

after(async () => {
  await closeApp(session?.driver, driverProc).catch(() => {});
  spawnSync("pkill", ["-f", env.SALDO_DESKTOP_BIN]);
  monitor?.kill();
  gateway?.proc.kill();
});

test("notifications, the login item and the sync with the window closed", async (t) => {
  const { $, click, shot, waitText, driver } = session;

  await t.test("an access that ends in 10 days is a notification", async () => {
    await click("[data-choice=gateway]", 60000);
    await session.typeInto("[data-field=gateway-url]", gateway.url);
    await click("[data-action=start]");
    await waitText("h1", /Overview/);
    await click("[data-action=recovery-later]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 10000, "the offer closes");
    await click("[data-action=add-bank]");
    await click("[data-connector='-1']", 30000);
    await click("[data-action=continue-in-browser]");
    await $("[data-account-choice]", 60000);
    await click("[data-action=finish]");
    await driver.wait(async () => (await driver.findElements(By.css(".modal"))).length === 0, 120000, "the first sync finishes");
    await until("the Notify call on the session bus", () => heard.includes("access ends soon"), 30000);
    assert.match(heard, /string "Saldo Mock Bank: access ends soon"/, heard);
    assert.match(heard, /ends in 10 day\(s\)/, "the days left, from the consent's end");
    assert.equal(heard.match(/access ends soon/g).length, 1, "told once, not at every check");
  });

  await t.test("Settings: the notifications can be turned off; start at login writes the login item", async () => {
    await click("[data-nav=settings]");
    await $("[data-testid=background]");
    assert.equal(await (await $("[data-notify=consent_ending]")).isSelected(), true, "on by default");
    assert.equal(await (await $("[data-notify=daily_summary]")).isSelected(), false, "the summary is opt-in");
    await click("[data-setting=start-at-login]");
    const dir = path.join(env.XDG_CONFIG_HOME, "autostart");
    await until("a login item in ~/.config/autostart", () => fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith(".desktop")), 10000);
    const item = fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith(".desktop"))), "utf8");
    assert.match(item, /--minimised/, "it starts Saldo in the tray, without a window");
    const panel = await $("[data-testid=background]");
    await driver.executeScript("arguments[0].scrollIntoView()", panel);
    await shot("65-background-settings");
    await click("[data-setting=start-at-login]");
    await until("the login item removed", () => !fs.readdirSync(dir).some((f) => f.endsWith(".desktop")), 10000);
  });

  await t.test("with the window closed, the daily sync goes on", async () => {
    const before = rows();
    const callsBefore = await transactionCalls();
    // The bank books more: days pass at the gateway.
    await fetch(`${gateway.url}/sandbox/clock`, { method: "POST", body: JSON.stringify({ advanceDays: 3 }), headers: { "content-type": "application/json" } });
    await driver.executeScript("window.close()").catch(() => {});
    await wait(1500);
    const running = spawnSync("pgrep", ["-f", env.SALDO_DESKTOP_BIN], { encoding: "utf8" }).stdout.trim();
    assert.ok(running.length > 0, "closing the window does not quit Saldo");
    await until("a sync with no window", async () => (await transactionCalls()) > callsBefore, 90000);
    await until("the new rows stored", () => rows() > before, 30000);
    // A second launch brings the window back (the tray's "Open" does the same).
    const second = spawnSync(env.SALDO_DESKTOP_BIN, [], { env, timeout: 30000 });
    assert.equal(second.status, 0, "the second launch hands over and exits");
    assert.ok(spawnSync("pgrep", ["-f", env.SALDO_DESKTOP_BIN], { encoding: "utf8" }).stdout.trim().length > 0, "the first is still running");
    await shot("66-after-background-sync").catch(() => {});
  });
});
