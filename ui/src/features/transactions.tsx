// Transactions: one list over all accounts or one, filtered and sorted in
// the store (keyset pages), rendered virtually: only the rows in view exist
// in the DOM, so a million rows scroll like a hundred. Text from banks is
// rendered as text (Preact escapes it), never as HTML.
import { Fragment } from "preact";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AccountView, CategoryView, CounterpartyView, CursorView, IpcError, MonthView, ProposalView, TxDetail, TxFilter, TxView } from "../bindings";
import { api, asError } from "../backend/api";
import { day, month } from "../backend/format";
import { Amount, Banner, Empty, Loading } from "./ui";
import { t } from "../i18n";

const ROW = 52;
// The rendered window moves in steps of CHUNK rows with OVERSCAN rows to
// spare on each side, so scrolling re-renders once every CHUNK rows instead
// of on every scroll event (painting is the cost in a webview).
const CHUNK = 8;
const OVERSCAN = 16;
const PAGE = 200;

/** What a report opens: the transactions of one category or counterparty, in a period. */
export type Drill = { category?: string | null; counterparty?: string | null; uncategorized?: boolean; from?: string | null; to?: string | null };

export function TransactionsScreen(props: { version: number; account: number | null; drill?: Drill | null }) {
  const [accounts, setAccounts] = useState<AccountView[]>([]);
  const [categories, setCategories] = useState<CategoryView[]>([]);
  const d = props.drill ?? {};
  const [filter, setFilter] = useState<TxFilter>({ account: props.account, from: d.from ?? null, to: d.to ?? null, min: null, max: null, direction: null, text: null, sort: "date_desc", category: d.category ?? null, counterparty: d.counterparty ?? null, uncategorized: d.uncategorized ?? false, after: null, limit: PAGE });
  // Bumped when a category changes, to reload what is shown.
  const [edits, setEdits] = useState(0);
  const [notice, setNotice] = useState<string | null>(null);
  // Whether the notice is about a step Undo reverts (a rename is not).
  const [undoable, setUndoable] = useState(true);
  const [proposals, setProposals] = useState<ProposalView[]>([]);
  const [party, setParty] = useState<CounterpartyView | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [rows, setRows] = useState<TxView[]>([]);
  const [next, setNext] = useState<CursorView | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [scroll, setScroll] = useState(0); // in chunks of CHUNK rows
  const [height, setHeight] = useState(600);
  const [detail, setDetail] = useState<TxDetail | null>(null);
  const [active, setActive] = useState<number | null>(null);
  // The search whose results are on screen (for assistive tech and tests).
  const [shown, setShown] = useState<string>("");
  const box = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  useEffect(() => { api.overview().then((o) => setAccounts(o.accounts), () => {}); }, [props.version]);
  useEffect(() => { api.categories().then(setCategories, () => {}); }, [props.version]);
  // One counterparty's page: what the banks call it, since when, per month.
  useEffect(() => {
    if (!filter.counterparty) { setParty(null); return; }
    api.counterparty(filter.counterparty).then(setParty, () => setParty(null));
  }, [filter.counterparty, props.version, edits]);
  const rename = async (e: Event) => {
    e.preventDefault();
    const to = renaming?.trim();
    setRenaming(null);
    if (!party || !to || to === party.name) return;
    try {
      const n = await api.renameCounterparty(party.name, to);
      setNotice(t("tx.renamed", { count: n, name: to }));
      setUndoable(false);
      set({ counterparty: to });
    } catch (err) {
      setError(asError(err));
    }
  };

  // A new filter starts over; a search waits for the person to pause typing.
  useEffect(() => {
    const gen = ++generation.current;
    const t = setTimeout(async () => {
      setLoading(true);
      try {
        const page = await api.transactions({ ...filter, after: null });
        if (gen !== generation.current) return;
        setRows(page.rows);
        setNext(page.next);
        setShown(filter.text ?? "");
        setError(null);
        if (box.current) box.current.scrollTop = 0;
      } catch (e) {
        if (gen === generation.current) setError(asError(e));
      } finally {
        if (gen === generation.current) setLoading(false);
      }
    }, filter.text ? 180 : 0);
    return () => clearTimeout(t);
  }, [filter, props.version, edits]);

  const loadMore = async () => {
    if (!next || loading) return;
    const gen = generation.current;
    setLoading(true);
    try {
      const page = await api.transactions({ ...filter, after: next });
      if (gen !== generation.current) return;
      setRows((r) => r.concat(page.rows));
      setNext(page.next);
    } catch (e) {
      setError(asError(e));
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const first = Math.max(0, scroll * CHUNK - OVERSCAN);
  const last = Math.min(rows.length, scroll * CHUNK + Math.ceil(height / ROW) + OVERSCAN);
  useEffect(() => { if (last >= rows.length - 40) void loadMore(); }, [last, rows.length, next]);

  const activeIndex = active === null ? -1 : rows.findIndex((r) => r.id === active);
  const names = useMemo(() => new Map(accounts.map((a) => [a.id, a.name])), [accounts]);
  const set = (patch: Partial<TxFilter>) => setFilter((f) => ({ ...f, ...patch }));
  const open = async (tx: TxView) => {
    setActive(tx.id);
    try { setDetail(await api.transactionDetail(tx.id)); } catch (e) { setError(asError(e)); }
  };
  // The person files a row: one undoable step; then Saldo may propose a rule.
  const categorize = async (tx: TxView, path: string | null) => {
    try {
      await api.setCategory([tx.id], path);
      setNotice(path ? t("tx.filed", { category: path }) : t("tx.uncategorized"));
      setUndoable(true);
      setEdits((n) => n + 1);
      setProposals(await api.ruleProposals());
    } catch (e) {
      setError(asError(e));
    }
  };
  const undo = async () => {
    try {
      const what = await api.undoCategories();
      setNotice(what ? t("common.undone", { what }) : t("common.nothingToUndo"));
      setEdits((n) => n + 1);
      setProposals(await api.ruleProposals());
    } catch (e) {
      setError(asError(e));
    }
  };
  const accept = async (p: ProposalView) => {
    try {
      const step = await api.addRule({ name: p.counterparty, category: p.category, counterparty: p.counterparty, text: null, direction: null, min: null, max: null, iban: null, account: null });
      setNotice(t("tx.ruleAdded", { count: step.changed, counterparty: p.counterparty, category: p.category }));
      setUndoable(true);
      setProposals((ps) => ps.filter((x) => x !== p));
      setEdits((n) => n + 1);
    } catch (e) {
      setError(asError(e));
    }
  };
  const onKey = (e: KeyboardEvent) => {
    const i = rows.findIndex((r) => r.id === active);
    const move = e.key === "ArrowDown" ? 1 : e.key === "ArrowUp" ? -1 : 0;
    if (move) {
      e.preventDefault();
      const n = rows[Math.max(0, Math.min(rows.length - 1, i + move))];
      if (n) {
        setActive(n.id);
        const el = box.current;
        const idx = rows.indexOf(n);
        if (el && (idx * ROW < el.scrollTop || (idx + 1) * ROW > el.scrollTop + el.clientHeight)) el.scrollTop = idx * ROW - el.clientHeight / 2;
      }
    } else if (e.key === "Enter") {
      const n = rows[i];
      if (n) void open(n);
    } else if (e.key === "Escape") setDetail(null);
  };

  return (
    <section class="tx-screen">
      <header class="page-head"><h1>{t("nav.transactions")}</h1></header>
      <div class="filters card" role="search">
        <input class="search" type="search" placeholder={t("tx.searchPlaceholder")} aria-label={t("tx.search")}
          value={filter.text ?? ""} onInput={(e) => set({ text: e.currentTarget.value })} data-testid="search" />
        <select aria-label={t("connections.account")} value={filter.account ?? ""} onChange={(e) => set({ account: e.currentTarget.value ? Number(e.currentTarget.value) : null })}>
          <option value="">{t("tx.allAccounts")}</option>
          {accounts.filter((a) => a.enabled).map((a) => <option key={a.id} value={a.id}>{a.name} · {a.bank_name}</option>)}
        </select>
        <label class="inline">{t("common.from")} <input type="date" value={filter.from ?? ""} onChange={(e) => set({ from: e.currentTarget.value || null })} /></label>
        <label class="inline">{t("common.to")} <input type="date" value={filter.to ?? ""} onChange={(e) => set({ to: e.currentTarget.value || null })} /></label>
        <select aria-label={t("tx.direction")} value={filter.direction ?? ""} onChange={(e) => set({ direction: e.currentTarget.value || null })}>
          <option value="">{t("tx.inAndOut")}</option><option value="in">{t("common.moneyIn")}</option><option value="out">{t("common.moneyOut")}</option>
        </select>
        <input class="num" inputMode="decimal" placeholder={t("tx.min")} aria-label={t("tx.minLabel")} value={filter.min ?? ""} onChange={(e) => set({ min: e.currentTarget.value || null })} />
        <input class="num" inputMode="decimal" placeholder={t("tx.max")} aria-label={t("tx.maxLabel")} value={filter.max ?? ""} onChange={(e) => set({ max: e.currentTarget.value || null })} />
        <select aria-label={t("common.category")} data-field="category-filter" value={filter.uncategorized ? "\u0000none" : filter.category ?? ""}
          onChange={(e) => { const v = e.currentTarget.value; set(v === "\u0000none" ? { category: null, uncategorized: true } : { category: v || null, uncategorized: false }); }}>
          <option value="">{t("tx.allCategories")}</option>
          <option value={"\u0000none"}>{t("common.uncategorised")}</option>
          {categories.map((c) => <option key={c.path} value={c.path}>{c.path}</option>)}
        </select>
        {filter.counterparty && (
          <button class="ghost small" data-testid="counterparty-filter" onClick={() => set({ counterparty: null })} aria-label={t("tx.removeFilter", { filter: filter.counterparty })}>{filter.counterparty} ✕</button>
        )}
        <select aria-label={t("tx.sort")} value={filter.sort ?? "date_desc"} onChange={(e) => set({ sort: e.currentTarget.value })}>
          <option value="date_desc">{t("tx.newest")}</option><option value="date_asc">{t("tx.oldest")}</option>
          <option value="amount_desc">{t("tx.largest")}</option><option value="amount_asc">{t("tx.smallest")}</option>
        </select>
      </div>
      {error && <Banner kind="error" title={t("tx.loadFailed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {party && (
        <article class="card counterparty" data-testid="counterparty">
          <div class="card-head">
            <div>
              <h2>{party.name}</h2>
              <div class="muted small">{t("tx.atTheBank", { names: party.bank_names.join(" · ") })}{party.ibans.length ? ` · ${party.ibans.join(", ")}` : ""}</div>
              <div class="muted small">{t("tx.partySummary", { count: party.rows, first: party.first_seen ? day(party.first_seen) : "—", last: party.last_seen ? day(party.last_seen) : "—" })}</div>
            </div>
            {renaming === null ? (
              <button class="small" data-action="rename-counterparty" onClick={() => setRenaming(party.name)}>{t("tx.rename")}</button>
            ) : (
              <form class="row" onSubmit={rename}>
                <input aria-label={t("tx.newName")} data-field="counterparty-name" value={renaming} onInput={(e) => setRenaming(e.currentTarget.value)} />
                <button class="primary small" type="submit" data-action="save-name">{t("tx.save")}</button>
              </form>
            )}
          </div>
          <table class="months small">
            <thead><tr><th>{t("tx.month")}</th><th class="num">{t("tx.in")}</th><th class="num">{t("tx.out")}</th></tr></thead>
            <tbody>
              {party.months.slice(-12).reverse().map((m: MonthView) => (
                <tr key={`${m.month}-${m.currency}`}><td>{month(m.month)}</td><td class="num"><Amount amount={m.income} currency={m.currency} /></td><td class="num"><Amount amount={m.expense} currency={m.currency} /></td></tr>
              ))}
            </tbody>
          </table>
        </article>
      )}
      {notice && (
        <Banner kind="info" title={notice} onClose={() => setNotice(null)} action={undoable ? <button class="small" data-action="undo" onClick={undo}>{t("common.undo")}</button> : undefined} />
      )}
      {proposals.map((p) => (
        <Banner key={`${p.counterparty}\u0000${p.category}`} kind="info" title={t("tx.proposal", { counterparty: p.counterparty, category: p.category })}
          action={<><button class="primary small" data-action="accept-rule" onClick={() => accept(p)}>{t("common.addRule")}</button> <button class="ghost small" onClick={() => setProposals((ps) => ps.filter((x) => x !== p))}>{t("tx.notNow")}</button></>}>
          <span data-testid="proposal">{t("tx.proposalText", { evidence: p.evidence, changes: p.changes })}</span>
        </Banner>
      ))}
      <div class="tx-body">
        <div class="tx-frame card">
        <div class="tx-list" ref={box} tabIndex={0} role={rows.length > 0 ? "grid" : "group"} aria-label={t("nav.transactions")} aria-rowcount={rows.length > 0 ? rows.length : undefined}
          aria-activedescendant={activeIndex >= first && activeIndex < last ? `tx-${active}` : undefined}
          aria-busy={loading} data-shown-query={shown}
          onFocus={(e) => { if (active === null && rows[0] && e.currentTarget.matches(":focus-visible")) setActive(rows[0].id); }}
          onScroll={(e) => setScroll(Math.floor(e.currentTarget.scrollTop / ROW / CHUNK))} onKeyDown={onKey} data-testid="tx-list">
          {rows.length === 0 && !loading && <Empty title={filter.text ? t("tx.noMatch") : t("tx.none")}>{filter.text ? t("tx.noMatchText") : t("tx.noneText")}</Empty>}
          {rows.length === 0 && loading && <Loading />}
          <div style={{ height: `${rows.length * ROW}px`, position: "relative" }}>
            {rows.slice(first, last).map((tx, k) => (
              <div key={tx.id} id={`tx-${tx.id}`} role="row" aria-rowindex={first + k + 1} aria-selected={tx.id === active}
                class={`tx ${tx.id === active ? "active" : ""}`} style={{ top: `${(first + k) * ROW}px` }} onClick={() => open(tx)} data-tx={tx.id}>
                <div role="gridcell" class="tx-date">{day(tx.date)}</div>
                <div role="gridcell" class="tx-main">
                  <div class="tx-cp">{tx.counterparty_clean ?? tx.counterparty ?? "—"}
                    {tx.category && <span class={`pill cat ${tx.transfer_id !== null ? "transfer" : ""}`} data-category={tx.category}>{tx.transfer_id !== null ? "⇄ " : ""}{tx.category}</span>}
                  </div>
                  <div class="tx-desc muted small">{tx.description ?? tx.remittance ?? ""}</div>
                </div>
                <div role="gridcell" class="tx-acct muted small">{names.get(tx.account_id) ?? ""}</div>
                <div role="gridcell" class="tx-amt"><Amount amount={tx.amount} currency={tx.currency} /></div>
              </div>
            ))}
          </div>
        </div>
        </div>
        {detail && (
          <aside class="detail card" aria-label={t("tx.details")} data-testid="detail" data-detail={detail.id}>
            <div class="card-head"><h2>{t("tx.detailsTitle")}</h2><button class="ghost small" aria-label={t("tx.closeDetails")} onClick={() => setDetail(null)}>✕</button></div>
            {(() => {
              const tx = rows.find((r) => r.id === detail.id);
              return tx && (
                <div class="detail-summary">
                  <Amount amount={tx.amount} currency={tx.currency} class="big" />
                  <div class="name">{tx.counterparty_clean ?? tx.counterparty ?? tx.description ?? "—"}</div>
                  {tx.counterparty && tx.counterparty !== tx.counterparty_clean && <div class="muted small" data-testid="raw-counterparty">{t("tx.bankText", { text: tx.counterparty })}</div>}
                  {tx.counterparty_clean && filter.counterparty !== tx.counterparty_clean && (
                    <button class="link small" data-action="open-counterparty" onClick={() => set({ counterparty: tx.counterparty_clean, text: null })}>{t("tx.allWith", { counterparty: tx.counterparty_clean })}</button>
                  )}
                  <div class="muted small">{day(tx.date)} · {names.get(tx.account_id) ?? ""}</div>
                  <label class="field">{t("common.category")}
                    <select data-field="category" value={tx.category ?? ""} onChange={(e) => categorize(tx, e.currentTarget.value || null)}>
                      <option value="">{t("tx.noCategory")}</option>
                      {categories.map((c) => <option key={c.path} value={c.path}>{c.path}</option>)}
                    </select>
                  </label>
                  <div class="muted small" data-testid="category-reason">
                    {tx.transfer_id !== null ? `${t("tx.transfer", { id: tx.transfer_id })} ` : ""}
                    {tx.category_reason ? t("tx.why", { reason: tx.category_reason }) : t("tx.noRule")}
                  </div>
                </div>
              );
            })()}
            {detail.imported_from && <p class="muted small" data-testid="imported-from">{t("tx.importedFrom", { source: detail.imported_from })}</p>}
            <h3 class="small muted" data-testid="fields-heading">{t(detail.from_file ? "tx.asFile" : "tx.asSent")}</h3>
            <dl>
              {detail.fields.map(([k, v], i) => (<Fragment key={i}><dt>{k}</dt><dd>{v}</dd></Fragment>))}
            </dl>
          </aside>
        )}
      </div>
      <div class="muted small status-line">{t("tx.shown", { count: rows.length })}{next ? ` · ${t("tx.scrollMore")}` : ""}{loading ? ` · ${t("tx.loading")}` : ""}</div>
    </section>
  );
}
