// The minimal Tauri v2 app's figures (tests/desktop/minimal-app), measured
// exactly as bench.mjs measures Saldo: a WebDriver session starts the binary
// (tauri-driver → WebKitWebDriver), first paint is the time from asking for
// the session to the page's <h1> being found, and idle memory is VmRSS of the
// app and its descendant processes by kind, read 5 s after that (the same
// wait as Saldo's). Prints `name: value` lines and writes
// tests/output/desktop-bench-minimal.json.
//
// Run inside Xvfb and a D-Bus session, with tauri-driver on port 4444 and
// SALDO_MINIMAL_BIN pointing at the release binary.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";
import { describeTree, rssByKind } from "./procs.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../output");
const app = process.env.SALDO_MINIMAL_BIN;

const figures = {};
const put = (k, v) => {
  figures[k] = v;
  console.log(`${k}: ${v}`);
};

const t0 = performance.now();
const driver = await new Builder()
  .usingServer("http://127.0.0.1:4444/")
  .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
  .build();
try {
  await driver.wait(until.elementLocated(By.css("h1")), 120000, "the minimal app's page");
  put("first_paint_ms", Math.round(performance.now() - t0));
  const pid = execFileSync("pgrep", ["-f", "-n", "-x", app]).toString().trim();
  await new Promise((r) => setTimeout(r, 5000));
  const rss = rssByKind(pid);
  put("rss_idle_bytes", rss.total);
  put("rss_idle_app_bytes", rss.app);
  put("rss_idle_web_bytes", rss.web);
  put("rss_idle_network_bytes", rss.network);
  put("rss_idle_other_bytes", rss.other);
  put("dom_nodes", await driver.executeScript("return document.getElementsByTagName('*').length"));
  if (process.env.SALDO_BENCH_TREE) console.log(describeTree(pid));
} finally {
  await driver.quit().catch(() => {});
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "desktop-bench-minimal.json"), JSON.stringify(figures, null, 2));
