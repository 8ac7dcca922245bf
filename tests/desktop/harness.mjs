// What every desktop test needs: a home of its own (the registered saldo://
// handler, the stand-in browser as the default web browser, logs and data
// all live there), tauri-driver, a WebDriver session on the real
// saldo-desktop, and helpers that wait for what a person would see.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
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

/** tauri-driver for an env (the app it starts inherits it). */
export async function startDriver(env) {
  const proc = spawn("tauri-driver", ["--port", "4444", "--native-driver", "/usr/bin/WebKitWebDriver"], { env, stdio: ["ignore", "inherit", "inherit"] });
  await new Promise((r) => setTimeout(r, 1500));
  return proc;
}

/** Waits until no saldo-desktop of this build runs: a new one would hand
 *  its arguments to the old one (single instance) and exit. */
async function noAppRunning(tries = 100) {
  for (let i = 0; i < tries; i++) {
    try {
      execFileSync("pgrep", ["-f", "-x", app]);
    } catch {
      return; // pgrep: nothing found
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("an earlier saldo-desktop is still running");
}

/** Ends a session and makes sure its app is gone before tauri-driver
 *  stops: killed mid-cleanup, WebKitWebDriver can leave the app running
 *  (orphaned), and a later test would then talk to the old instance. */
export async function closeApp(driver, driverProc) {
  await driver?.quit().catch(() => {});
  try {
    await noAppRunning(200);
  } catch {
    try { execFileSync("pkill", ["-TERM", "-f", "-x", app]); } catch { /* gone meanwhile */ }
    await noAppRunning(50);
  }
  driverProc?.kill();
}

/** A WebDriver session on the app (starts it) with helpers bound to it. */
export async function openApp() {
  await noAppRunning();
  const driver = await new Builder()
    .usingServer("http://127.0.0.1:4444/")
    .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
    .build();
  let failures = 0;
  const shot = async (name) => {
    // WebKitWebDriver captures the last composited frame: let two frames pass
    // so the picture shows what the test just saw.
    await driver.executeAsyncScript("const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 250)))");
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
  return { driver, shot, $, click, textOf, waitText };
}
