// Export: format, accounts, date range; the file is chosen in the native
// save dialog and written by the same code as `saldo export`.
import { useEffect, useState } from "preact/hooks";
import type { AccountView, ExportResult, IpcError } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";
import { t, type MessageKey } from "../i18n";

// Format names are names (not translated); what each is for is.
const FORMATS: [string, string, MessageKey][] = [
  ["csv", "CSV", "export.csv"],
  ["json", "JSON", "export.json"],
  ["jsonl", "JSON Lines", "export.jsonl"],
  ["ofx", "OFX", "export.ofx"],
  ["qif", "QIF", "export.qif"],
  ["beancount", "Beancount", "export.beancount"],
  ["ledger", "Ledger / hledger", "export.ledger"],
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
      <header class="page-head"><h1>{t("nav.export")}</h1></header>
      <form class="card export" onSubmit={run}>
        <fieldset>
          <legend>{t("export.format")}</legend>
          <div class="formats">
            {FORMATS.map(([id, name, what]) => (
              <label key={id} class={`choice ${format === id ? "chosen" : ""}`}>
                <input type="radio" name="format" value={id} checked={format === id} onChange={() => setFormat(id)} data-format={id} />
                <span><strong>{name}</strong><br /><span class="muted small">{t(what)}</span></span>
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset>
          <legend>{t("overview.accounts")}</legend>
          {accounts.length === 0 && <p class="muted">{t("export.noAccounts")}</p>}
          {accounts.map((a) => (
            <label class="check" key={a.id}>
              <input type="checkbox" checked={chosen.has(a.id)} onChange={(e) => { const n = new Set(chosen); if (e.currentTarget.checked) n.add(a.id); else n.delete(a.id); setChosen(n); }} />
              {a.name} <span class="muted small">{a.bank_name}</span>
            </label>
          ))}
        </fieldset>
        <fieldset class="row">
          <legend>{t("export.dates")}</legend>
          <label class="inline">{t("common.from")} <input type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} /></label>
          <label class="inline">{t("common.to")} <input type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} /></label>
        </fieldset>
        {error && <Banner kind="error" title={t("export.failed")}>{error.message}</Banner>}
        {done && <Banner kind="ok" title={t("export.done")}>{t("export.doneText", { transactions: done.transactions, accounts: done.accounts, path: done.path })}</Banner>}
        <button class="primary" type="submit" disabled={busy || chosen.size === 0} data-action="export">{busy ? t("export.busy") : t("export.button")}</button>
      </form>
    </section>
  );
}
