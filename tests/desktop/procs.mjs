// Memory of a desktop app's process tree, by kind: the app itself, WebKit's
// web process(es) and network process, and anything else it started (e.g.
// bwrap or xdg-dbus-proxy for WebKit's sandbox). Used by bench.mjs and
// bench-minimal.mjs, so Saldo and the minimal Tauri app are read the same way.
import fs from "node:fs";
import path from "node:path";

function children(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

function kindOf(pid, root) {
  if (String(pid) === String(root)) return "app";
  let argv0 = "";
  try {
    argv0 = path.basename(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]);
  } catch {}
  if (argv0 === "WebKitWebProcess") return "web";
  if (argv0 === "WebKitNetworkProcess") return "network";
  return "other";
}

/** VmRSS (bytes) of `pid` and all its descendants, summed per kind, plus the total. */
export function rssByKind(pid) {
  const sum = { app: 0, web: 0, network: 0, other: 0, total: 0, processes: 0 };
  const stack = [String(pid)];
  while (stack.length) {
    const p = stack.pop();
    let status = "";
    try {
      status = fs.readFileSync(`/proc/${p}/status`, "utf8");
    } catch {
      continue;
    }
    const m = status.match(/VmRSS:\s+(\d+)/);
    const bytes = m ? Number(m[1]) * 1024 : 0;
    sum[kindOf(p, pid)] += bytes;
    sum.total += bytes;
    sum.processes += 1;
    stack.push(...children(p));
  }
  return sum;
}

/** The process tree as `pid argv0 rss_kB` lines, for diagnosis. */
export function describeTree(pid) {
  const lines = [];
  const walk = (p, depth) => {
    try {
      const argv0 = path.basename(fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0")[0]);
      const rss = fs.readFileSync(`/proc/${p}/status`, "utf8").match(/VmRSS:\s+(\d+)/)?.[1] ?? "?";
      lines.push(`${"  ".repeat(depth)}${p} ${argv0} ${rss} kB`);
    } catch {
      return;
    }
    for (const c of children(p)) walk(c, depth + 1);
  };
  walk(pid, 0);
  return lines.join("\n");
}
