// Import: statement files (camt, MT940, CODA, OFX, QIF, CSV) chosen in the
// native dialog or dropped on the window; a preview says per row whether it
// is new, already here or a conflict, and per statement whether its
// balances add up; the import is one step, then a summary. The same core
// code as `saldo import`.
import { useEffect, useState } from "preact/hooks";
import type { AccountView, ImportReportView, ImportRequest, ImportStatementView, IpcError } from "../bindings";
import { api, asError, events } from "../backend/api";
import { Amount, Banner, Empty } from "./ui";
import { t, type MessageKey } from "../i18n";
import { day } from "../backend/format";

type Where = "auto" | "new" | number;

const STATUS: Record<string, MessageKey> = {
  new: "import.status.new",
  known: "import.status.known",
  conflict: "import.status.conflict",
  pending: "import.status.pending",
};

function Statement(props: { s: ImportStatementView; preview: boolean }) {
  const s = props.s;
  const off = (d: string | null) => d !== null && Number(d) !== 0;
  return (
    <article class="card import-statement" data-statement={s.account_id}>
      <div class="card-head">
        <div>
          <h3>{s.id ? t("import.statement", { id: s.id }) : t("import.statementNoId")}</h3>
          <div class="muted small">
            {s.from && s.to ? `${day(s.from)} – ${day(s.to)} · ` : ""}
            {s.new_account ? t("import.intoNew", { account: s.account }) : t("import.into", { account: s.account })}
            {s.file_account && s.file_account !== s.account ? ` · ${s.file_account}` : ""}
          </div>
        </div>
        <div class="counts" data-testid="counts">
          <span class="pill new">{t("import.new", { count: s.new })}</span>{" "}
          <span class="pill known">{t("import.known", { count: s.known })}</span>{" "}
          {s.conflicts > 0 && <span class="pill conflict">{t("import.conflicts", { count: s.conflicts })}</span>}{" "}
          {s.pending > 0 && <span class="pill pending">{t("import.pending", { count: s.pending })}</span>}
        </div>
      </div>
      {off(s.difference) && <Banner kind="warning" title={t("import.unbalanced")}>{t("import.unbalancedText", { difference: s.difference ?? "", currency: s.currency })}</Banner>}
      {off(s.gap_before) && <Banner kind="warning" title={t("import.gap")}>{t("import.gapText", { difference: s.gap_before ?? "", currency: s.currency })}</Banner>}
      {off(s.history_difference) && <Banner kind="warning" title={t("import.history")}>{t("import.historyText", { difference: s.history_difference ?? "", currency: s.currency })}</Banner>}
      {props.preview && s.rows.length > 0 && (
        <table class="import-rows">
          <thead><tr><th>{t("import.entry")}</th><th>{t("import.date")}</th><th>{t("import.who")}</th><th class="num">{t("import.amount")}</th><th>{t("import.status")}</th></tr></thead>
          <tbody>
            {s.rows.map((r) => (
              <tr key={`${r.entry}-${r.status}`} class={`row-${r.status}`} data-status={r.status}>
                <td class="muted">{r.entry}</td>
                <td>{day(r.booking_date)}</td>
                <td>{r.counterparty ?? r.description ?? "—"}{r.why && <div class="muted small">{r.why}</div>}</td>
                <td class="num"><Amount amount={r.amount} currency={s.currency} /></td>
                <td><span class={`pill ${r.status}`}>{t(STATUS[r.status] ?? "import.status.new")}</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {props.preview && s.rows_hidden > 0 && <p class="muted small">{t("import.moreRows", { count: s.rows_hidden })}</p>}
    </article>
  );
}

export function ImportScreen(props: { version: number; onImported: () => void; onOpen: () => void }) {
  const [files, setFiles] = useState<string[]>([]);
  const [accounts, setAccounts] = useState<AccountView[]>([]);
  const [where, setWhere] = useState<Where>("auto");
  const [name, setName] = useState("");
  const [currency, setCurrency] = useState("EUR");
  const [conflicts, setConflicts] = useState(false);
  const [preview, setPreview] = useState<ImportReportView | null>(null);
  const [done, setDone] = useState<ImportReportView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);

  const request = (): ImportRequest => ({
    account: typeof where === "number" ? where : null,
    new_account: where === "new" ? name : null,
    currency: currency || null,
    include_conflicts: conflicts,
  });

  const look = async (r: ImportRequest) => {
    setBusy(true);
    setError(null);
    try {
      setPreview(await api.previewImport(r));
    } catch (e) {
      setPreview(null);
      setError(asError(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    api.overview().then((o) => setAccounts(o.accounts.filter((a) => !a.disappeared)), (e) => setError(asError(e)));
    api.importFiles().then((f) => { setFiles(f); if (f.length > 0) void look(request()); }, (e) => setError(asError(e)));
    const un = events.onFilesDropped((f) => { setFiles(f); setDone(null); void look(request()); });
    return () => void un.then((f) => f());
  }, [props.version]);

  const choose = async () => {
    setError(null);
    try {
      const f = await api.chooseStatementFiles();
      if (f) {
        setFiles(f);
        setDone(null);
        await look(request());
      }
    } catch (e) {
      setError(asError(e));
    }
  };

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.importStatements(request());
      setDone(r);
      setPreview(null);
      setFiles([]);
      props.onImported();
    } catch (e) {
      setError(asError(e));
    } finally {
      setBusy(false);
    }
  };

  const reset = async () => {
    await api.clearImportFiles().catch(() => null);
    setFiles([]);
    setPreview(null);
    setDone(null);
  };

  const statements = (r: ImportReportView) => r.files.flatMap((f) => f.statements.map((s) => ({ f, s })));

  return (
    <section>
      <header class="page-head"><h1>{t("nav.import")}</h1></header>
      <div class="card import-drop" data-testid="import-drop">
        <p>{t("import.intro")}</p>
        <div class="actions">
          <button class="primary" onClick={choose} disabled={busy} data-action="choose-files">{t("import.choose")}</button>
          {files.length > 0 && <button class="ghost" onClick={reset} data-action="clear-files">{t("import.clear")}</button>}
        </div>
        {files.length > 0 && <p class="muted small" data-testid="import-files">{files.join(", ")}</p>}
      </div>
      {error && <Banner kind="error" title={t("import.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {done && (
        <div data-testid="import-summary">
          <Banner kind="ok" title={t("import.done")} action={<button class="small" onClick={props.onOpen} data-action="open-transactions">{t("import.openTransactions")}</button>}>
            {t("import.doneText", { new: done.new, known: done.known, conflicts: done.conflicts, accounts: done.accounts_created, points: done.balance_points })}
          </Banner>
          {statements(done).map(({ f, s }, i) => <Statement key={`${f.name}-${i}`} s={s} preview={false} />)}
        </div>
      )}
      {files.length > 0 && (
        <div class="card import-options">
          <fieldset>
            <legend>{t("import.where")}</legend>
            <label class="check"><input type="radio" name="where" checked={where === "auto"} onChange={() => { setWhere("auto"); void look({ ...request(), account: null, new_account: null }); }} data-where="auto" /> {t("import.whereAuto")}</label>
            {accounts.map((a) => (
              <label class="check" key={a.id}><input type="radio" name="where" checked={where === a.id} onChange={() => { setWhere(a.id); void look({ ...request(), account: a.id, new_account: null }); }} data-where={a.id} /> {a.name} <span class="muted small">{a.bank_name}</span></label>
            ))}
            <label class="check"><input type="radio" name="where" checked={where === "new"} onChange={() => setWhere("new")} data-where="new" /> {t("import.whereNew")}</label>
            {where === "new" && (
              <div class="row">
                <label class="inline">{t("import.name")} <input value={name} onInput={(e) => setName(e.currentTarget.value)} data-field="new-account" /></label>
                <label class="inline">{t("import.currency")} <input value={currency} maxLength={3} size={4} onInput={(e) => setCurrency(e.currentTarget.value.toUpperCase())} /></label>
                <button class="small" onClick={() => look(request())} disabled={busy || !name.trim()}>{t("import.refresh")}</button>
              </div>
            )}
          </fieldset>
          <label class="check"><input type="checkbox" checked={conflicts} onChange={(e) => { setConflicts(e.currentTarget.checked); void look({ ...request(), include_conflicts: e.currentTarget.checked }); }} data-field="include-conflicts" /> {t("import.includeConflicts")}</label>
        </div>
      )}
      {busy && !preview && <p class="muted">{t("import.reading")}</p>}
      {preview && files.length > 0 && (
        <div data-testid="import-preview">
          <div class="card-head">
            <p>{t("import.previewText", { new: preview.new, known: preview.known, conflicts: preview.conflicts, accounts: preview.accounts_created })}</p>
            <button class="primary" onClick={run} disabled={busy || (where === "new" && !name.trim())} data-action="import">{busy ? t("import.busy") : t("import.button", { count: preview.new })}</button>
          </div>
          {preview.files.map((f) => (
            <div key={f.name} data-file={f.name} class="import-file">
              <h2 class="small">{f.name} <span class="muted">{f.format}</span></h2>
              {f.imported_before && <p class="muted small">{t("import.before", { date: day(f.imported_before) })}</p>}
              {f.notes.map((n, i) => <p key={i} class="muted small">{n}</p>)}
              {f.statements.length === 0 && <Empty title={t("import.empty")} />}
              {f.statements.map((s, i) => <Statement key={i} s={s} preview />)}
            </div>
          ))}
        </div>
      )}
      {files.length === 0 && !done && <Empty title={t("import.none")}>{t("import.noneText")}</Empty>}
    </section>
  );
}
