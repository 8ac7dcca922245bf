// Export: format, accounts, date range; the file is chosen in the native
// save dialog and written by the same code as `saldo export`.
import { useEffect, useState } from "preact/hooks";
import type { AccountView, ExportResult, IpcError } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";

const FORMATS: [string, string, string][] = [
  ["csv", "CSV", "Spreadsheets (Excel, LibreOffice, Numbers)"],
  ["json", "JSON", "One document with accounts, balances and transactions"],
  ["jsonl", "JSON Lines", "One record per line, for scripts"],
  ["ofx", "OFX", "GnuCash, Quicken, banking apps"],
  ["qif", "QIF", "Older finance apps"],
  ["beancount", "Beancount", "Plain-text accounting (bean-check)"],
  ["ledger", "Ledger / hledger", "Plain-text accounting (hledger check --strict)"],
];

export function ExportScreen(props: { version: number }) {
  const [accounts, setAccounts] = useState<AccountView[]>([]);
  const [format, setFormat] = useState("csv");
  const [chosen, setChosen] = useState<Set<number>>(new Set());
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<ExportResult | null>(null);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    api.overview().then((o) => {
      const mine = o.accounts.filter((a) => a.enabled);
      setAccounts(mine);
      setChosen(new Set(mine.map((a) => a.id)));
    }, (e) => setError(asError(e)));
  }, [props.version]);

  const run = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const r = await api.exportData({ format, accounts: [...chosen], from: from || null, to: to || null });
      if (r) setDone(r);
    } catch (err) {
      setError(asError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <header class="page-head"><h1>Export</h1></header>
      <form class="card export" onSubmit={run}>
        <fieldset>
          <legend>Format</legend>
          <div class="formats">
            {FORMATS.map(([id, name, what]) => (
              <label class={`choice ${format === id ? "chosen" : ""}`}>
                <input type="radio" name="format" value={id} checked={format === id} onChange={() => setFormat(id)} data-format={id} />
                <span><strong>{name}</strong><br /><span class="muted small">{what}</span></span>
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>Accounts</legend>
          {accounts.length === 0 && <p class="muted">No enabled accounts yet.</p>}
          {accounts.map((a) => (
            <label class="check">
              <input type="checkbox" checked={chosen.has(a.id)} onChange={(e) => { const n = new Set(chosen); if (e.currentTarget.checked) n.add(a.id); else n.delete(a.id); setChosen(n); }} />
              {a.name} <span class="muted small">{a.bank_name}</span>
            </label>
          ))}
        </fieldset>
        <fieldset class="row">
          <legend>Dates (booking date, optional)</legend>
          <label class="inline">From <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} /></label>
          <label class="inline">To <input type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} /></label>
        </fieldset>
        {error && <Banner kind="error" title="The export failed">{error.message}</Banner>}
        {done && <Banner kind="ok" title="Exported">{done.transactions.toLocaleString()} transaction(s) of {done.accounts} account(s) to {done.path}</Banner>}
        <button class="primary" type="submit" disabled={busy || chosen.size === 0} data-action="export">{busy ? "Exporting…" : "Export…"}</button>
      </form>
    </section>
  );
}
