// What every desktop test needs: a home of its own (the registered saldo://
// handler, the stand-in browser as the default web browser, logs and data
// all live there), tauri-driver, a WebDriver session on the real
// saldo-desktop, and helpers that wait for what a person would see.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, "../..");
const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), ".cache/saldo-target");
export const app = path.join(target, "debug/saldo-desktop");
const sandbox = path.join(target, "debug/saldo-sandbox");
const shots = path.join(root, "tests/output/screenshots");

/** A fresh home for one app: its env, data dir and files. */
export function makeHome() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "saldo-desktop-"));
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    XDG_STATE_HOME: path.join(home, ".local/state"),
    SALDO_DATA_DIR: path.join(home, "data"),
    SALDO_EXPORT_PATH: path.join(home, "export.beancount"),
    SALDO_SANDBOX_BIN: sandbox,
    SALDO_DESKTOP_BIN: app,
    SALDO_BROWSER_LOG: path.join(home, "browser.log"),
    BROWSER: path.join(here, "browser-standin.sh"),
  };
  fs.mkdirSync(env.XDG_CONFIG_HOME, { recursive: true });
  const apps = path.join(process.env.XDG_DATA_HOME || path.join(home, ".local/share"), "applications");
  fs.mkdirSync(apps, { recursive: true });
  fs.writeFileSync(path.join(apps, "saldo-test-browser.desktop"),
    `[Desktop Entry]\nType=Application\nName=Stand-in browser\nExec=${env.BROWSER} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n`);
  fs.writeFileSync(path.join(env.XDG_CONFIG_HOME, "mimeapps.list"),
    "[Default Applications]\nx-scheme-handler/http=saldo-test-browser.desktop\nx-scheme-handler/https=saldo-test-browser.desktop\n");
  return { home, env, dataDir: env.SALDO_DATA_DIR, exportFile: env.SALDO_EXPORT_PATH, browserLog: env.SALDO_BROWSER_LOG };
}

/** Polls `check` every `every` ms until it returns something truthy (which
 *  it returns); after `ms` fails naming `what` (a string, or a function giving
 *  one). `check` throws to give up at once. */
async function waitFor(what, check, { ms, every = 50 }) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${ms / 1000} s: ${typeof what === "function" ? what() : what}`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Whether something accepts connections on 127.0.0.1:port (true, false,
 *  or null when the attempt neither connects nor is refused in a second). */
function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const done = (v) => { socket.destroy(); resolve(v); };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(1000, () => done(null));
  });
}

const driverPort = 4444; // openApp's server; tauri-driver's default
const nativePort = 4445; // WebKitWebDriver behind it; tauri-driver's default

/** tauri-driver for an env (the app it starts inherits it). Resolves once
 *  WebKitWebDriver reports itself ready and tauri-driver accepts connections,
 *  so openApp can start a session at once. */
export async function startDriver(env) {
  // A driver from an earlier test may still be exiting: a new one could not
  // listen, and the old one would answer instead.
  await waitFor(`ports ${driverPort} and ${nativePort} still in use (an earlier tauri-driver or WebKitWebDriver still running?)`,
    async () => (await listening(driverPort)) === false && (await listening(nativePort)) === false, { ms: 10000 });
  const proc = spawn("tauri-driver", ["--port", String(driverPort), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"], { env, stdio: ["ignore", "inherit", "inherit"] });
  let ended = null;
  proc.once("exit", (code, signal) => { ended = signal ? `killed by ${signal}` : `exit code ${code}`; });
  proc.once("error", (e) => { ended = e.message; });
  const alive = () => {
    if (ended) throw new Error(`tauri-driver ended (${ended}) before it was ready`);
  };
  try {
    // Asked directly, not through tauri-driver (which logs a backtrace for
    // every request it cannot forward yet).
    await waitFor(`WebKitWebDriver ready on 127.0.0.1:${nativePort}/status`, async () => {
      alive();
      try {
        const res = await fetch(`http://127.0.0.1:${nativePort}/status`, { signal: AbortSignal.timeout(2000) });
        return res.ok && (await res.json()).value?.ready === true;
      } catch {
        return false; // not listening yet
      }
    }, { ms: 20000 });
    await waitFor(`tauri-driver listening on 127.0.0.1:${driverPort}`, async () => {
      alive();
      return (await listening(driverPort)) === true;
    }, { ms: 20000 });
  } catch (e) {
    proc.kill();
    throw e;
  }
  return proc;
}

/** Waits until no saldo-desktop of this build runs: a new one would hand
 *  its arguments to the old one (single instance) and exit. */
async function noAppRunning(ms = 10000) {
  let pids = "";
  await waitFor(() => `an earlier saldo-desktop is still running (pid ${pids})`, () => {
    try {
      pids = execFileSync("pgrep", ["-f", "-x", app], { encoding: "utf8" }).trim().split("\n").join(", ");
      return false;
    } catch {
      return true; // pgrep: nothing found
    }
  }, { ms, every: 100 });
  // The single-instance plugin's D-Bus name outlives the process for a
  // moment: an app started meanwhile hands its arguments to the instance
  // that is going away, gets no reply and exits — and the WebDriver session
  // waiting for its window never comes.
  await waitFor("the earlier saldo-desktop's single-instance D-Bus name to be released", () => {
    try {
      const out = execFileSync("gdbus", ["call", "--session", "--dest", "org.freedesktop.DBus",
        "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.NameHasOwner",
        "app.saldo.desktop.SingleInstance"], { encoding: "utf8" });
      return /false/.test(out);
    } catch {
      return true; // no session bus: no name to wait for
    }
  }, { ms, every: 100 });
}

/** Ends a session and makes sure its app is gone before tauri-driver
 *  stops: killed mid-cleanup, WebKitWebDriver can leave the app running
 *  (orphaned), and a later test would then talk to the old instance. */
export async function closeApp(driver, driverProc) {
  await driver?.quit().catch(() => {});
  try {
    await noAppRunning(20000);
  } catch {
    try { execFileSync("pkill", ["-TERM", "-f", "-x", app]); } catch { /* gone meanwhile */ }
    await noAppRunning(5000);
  }
  if (driverProc && driverProc.exitCode === null && driverProc.signalCode === null) {
    // tauri-driver stops WebKitWebDriver on SIGTERM; wait for it to be gone
    // so the next test's driver finds its ports free.
    const gone = new Promise((r) => driverProc.once("exit", r));
    driverProc.kill();
    const timer = setTimeout(() => driverProc.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
  }
}

/** A WebDriver session on the app (starts it) with helpers bound to it. */
export async function openApp() {
  await noAppRunning();
  // A window that never comes (the app exited at once) fails the test in a
  // minute instead of waiting for it until the CI run is cut.
  let timer;
  const driver = await Promise.race([
    new Builder()
      .usingServer("http://127.0.0.1:4444/")
      .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
      .build(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("no WebDriver session on saldo-desktop after 90 s: did the app exit at once?")), 90000);
    }),
  ]).finally(() => clearTimeout(timer));
  let failures = 0;
  const shot = async (name) => {
    // WebKitWebDriver captures the last composited frame: let two frames pass
    // so the picture shows what the test just saw.
    try {
      await driver.executeAsyncScript("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 250)))");
    } catch (e) {
      // WebKitWebDriver now and then answers an async script it ran with a
      // result it cannot parse ("Could not parse script result"); the wait
      // only settles the picture, so a plain pause stands in for it.
      if (!/parse script result/.test(String(e && e.message))) throw e;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    fs.mkdirSync(shots, { recursive: true });
    fs.writeFileSync(path.join(shots, `desktop-${name}.png`), await driver.takeScreenshot(), "base64");
  };
  const $ = (css, ms = 20000) => driver.wait(until.elementLocated(By.css(css)), ms, `waiting for ${css}`);
  const click = async (css, ms) => {
    const el = await $(css, ms);
    await driver.wait(until.elementIsVisible(el), ms ?? 20000);
    await driver.wait(until.elementIsEnabled(el), ms ?? 20000);
    await el.click();
    return el;
  };
  const textOf = async (css, ms) => (await $(css, ms)).getText();
  /** Replaces a field's text (the UI sees an input event, then the keys). */
  const typeInto = async (css, text) => {
    const el = await $(css);
    await driver.executeScript("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input', { bubbles: true }))", el);
    await el.sendKeys(text);
  };
  const waitText = async (css, re, ms = 30000) => {
    try {
      await driver.wait(async () => {
        // One round trip reads every match (rows of a virtual list come and go).
        const texts = await driver.executeScript("return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)", css);
        return texts.some((t) => re.test(t));
      }, ms, `waiting for ${css} to show ${re}`);
    } catch (e) {
      // What the window showed when it went wrong, for whoever reads the log.
      await shot(`failure-${Date.now()}-${++failures}`).catch(() => {});
      throw e;
    }
  };
  return { driver, shot, $, click, textOf, waitText, typeInto };
}

/** A sandbox gateway server of its own (not the app's embedded one), on any
 * free port, its state in `home`; `flags` add scenarios. */
export async function startGateway(env, home, flags = []) {
  const args = ["serve", "--port", "0", ...flags, "--state", path.join(home, "gateway.json")];
  const proc = spawn(env.SALDO_SANDBOX_BIN, args, { stdio: ["ignore", "pipe", "inherit"] });
  const lines = readline.createInterface({ input: proc.stdout });
  for await (const line of lines) {
    const url = line.match(/^Saldo sandbox gateway at (http:\/\/\S+)/)?.[1];
    if (url) return { proc, url: url.replace(/\/$/, "") };
  }
  throw new Error("the sandbox server did not start");
}
