// The desktop app's figures on a seeded data dir (see scripts/bench-desktop):
// cold start to first paint and to the overview's first rows, memory of the
// app's processes when idle (by kind: the app, WebKit's web and network
// processes), scrolling the virtual transaction list (frame times) and typing
// a search (keystroke to results). Prints `name: value` lines and writes
// tests/output/desktop-bench-<N>.json.
//
// Run inside Xvfb, a D-Bus session and an unlocked keyring, with
// SALDO_DATA_DIR pointing at the seeded dir and tauri-driver on port 4444.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";
import { describeTree, rssByKind } from "./procs.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, "../output");
const app = process.env.SALDO_DESKTOP_BIN;
const n = process.env.SALDO_BENCH_N ?? "?";

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.round((sorted.length - 1) * p)];
}
const round = (x) => Math.round(x * 10) / 10;

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
  await driver.manage().setTimeouts({ script: 180000 });
  await driver.wait(until.elementLocated(By.css(".shell h1")), 120000, "the unlocked main window");
  put("first_paint_ms", Math.round(performance.now() - t0));
  // Cold start to first rows: the overview's totals and account rows shown
  // (the numbers read from the database), from the same start.
  await driver.wait(until.elementLocated(By.css("[data-testid=totals] .total")), 60000);
  await driver.wait(until.elementLocated(By.css("[data-account]")), 60000);
  put("first_rows_ms", Math.round(performance.now() - t0));
  await driver.wait(until.elementLocated(By.css(".chart svg")), 60000);
  put("overview_ready_ms", Math.round(performance.now() - t0));
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

  await driver.findElement(By.css("[data-nav=transactions]")).click();
  const t1 = performance.now();
  await driver.wait(until.elementLocated(By.css("[data-tx]")), 60000);
  put("transactions_first_rows_ms", Math.round(performance.now() - t1));

  // The webview's own frame rate with nothing to do: the baseline (in a
  // virtual display without a GPU every frame is painted in software).
  const idle = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const frames = []; let last = performance.now();
    function step(now) { frames.push(now - last); last = now; if (frames.length < 40) requestAnimationFrame(step); else done(frames.slice(1)); }
    requestAnimationFrame(step);`);
  idle.sort((a, b) => a - b);
  put("idle_frame_p50_ms", round(percentile(idle, 0.5)));
  // What this display needs to paint a list at all: a static list of plain
  // text rows in the same place, scrolled the same way (no app code runs).
  const baseline = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    const d = document.createElement("div"); d.style.cssText = "flex:1;height:500px;overflow:auto;position:relative";
    let h = "<div style='height:" + 2000 * 52 + "px;position:relative'>";
    for (let i = 0; i < 2000; i++) h += "<div style='position:absolute;left:0;right:0;height:52px;top:" + i * 52 + "px;border-bottom:1px solid #ddd'>Row " + i + " · Albert Heijn 1234 · Groceries · -12.34</div>";
    d.innerHTML = h + "</div>"; document.querySelector(".tx-body").appendChild(d);
    const frames = []; let last = performance.now(); let i = 0;
    function step(now) { frames.push(now - last); last = now; d.scrollTop += 600; if (++i < 60) requestAnimationFrame(step); else { d.remove(); done(frames.slice(1)); } }
    requestAnimationFrame(step);`);
  baseline.sort((a, b) => a - b);
  put("static_list_frame_p50_ms", round(percentile(baseline, 0.5)));

  // Scroll two ways: a mouse wheel (104 px, two rows, per frame) and a
  // fling (600 px per frame), recording each frame's duration and whether
  // rows covered the middle of the view.
  const scrollRun = (px, count) => driver.executeAsyncScript(`
    const [px, count, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
    const el = document.querySelector("[data-testid=tx-list]");
    const frames = []; let blank = 0; let last = performance.now(); let i = 0;
    function step(now) {
      frames.push(now - last); last = now;
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (!hit || !hit.closest("[data-tx]")) blank++;
      el.scrollTop += px;
      if (++i < count) requestAnimationFrame(step);
      else done({ frames: frames.slice(1).sort((a, b) => a - b), blank, rows: Number(el.getAttribute("aria-rowcount")) });
    }
    requestAnimationFrame(step);`, px, count);
  const wheel = await scrollRun(104, 80);
  put("scroll_wheel_frame_p50_ms", round(percentile(wheel.frames, 0.5)));
  put("scroll_wheel_frame_p99_ms", round(percentile(wheel.frames, 0.99)));
  const fling = await scrollRun(600, 150);
  const frames = fling.frames;
  put("scroll_frame_p50_ms", round(percentile(frames, 0.5)));
  put("scroll_frame_p99_ms", round(percentile(frames, 0.99)));
  put("scroll_frame_ratio_to_static_list", round(percentile(frames, 0.5) / Math.max(percentile(baseline, 0.5), 0.1)));
  put("scroll_blank_frames", wheel.blank + fling.blank);
  put("scroll_rows_loaded", fling.rows);

  // Typing a search: keystroke to the list showing the results.
  const search = await driver.findElement(By.css("[data-testid=search]"));
  const times = [];
  for (const term of ["groceries", "salary", "rabatt", "zurich", "hyperlink", "no-such-word-anywhere", "rent", "refund"]) {
    // Empty the box (WebDriver's clear() fires no input event), wait for the
    // full list, then type the term key by key.
    await driver.executeScript("const i = arguments[0]; i.value = ''; i.dispatchEvent(new Event('input', { bubbles: true }))", search);
    await driver.wait(async () => (await driver.executeScript("return document.querySelector('[data-testid=tx-list]').dataset.shownQuery")) === "", 60000);
    await new Promise((r) => setTimeout(r, 300));
    const before = await driver.executeScript("return performance.now()");
    await search.sendKeys(term);
    const after = await driver.executeAsyncScript(`
      const [term, done] = [arguments[0], arguments[arguments.length - 1]];
      const grid = document.querySelector("[data-testid=tx-list]");
      const tick = () => (grid.dataset.shownQuery === term ? done(performance.now()) : requestAnimationFrame(tick));
      tick();`, term);
    times.push(after - before);
  }
  times.sort((a, b) => a - b);
  put("search_type_to_results_p50_ms", Math.round(percentile(times, 0.5)));
  put("search_type_to_results_p99_ms", Math.round(percentile(times, 0.99)));
  put("rss_after_browsing_bytes", rssByKind(pid).total);
} finally {
  await driver.quit().catch(() => {});
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, `desktop-bench-${n}.json`), JSON.stringify({ transactions: Number(n), ...figures }, null, 2));
