// Where the money goes: spending (and income) by category or counterparty
// over a period, exact per currency, transfers between the person's own
// accounts left out unless they ask for the gross flows. Every bar opens
// the transactions behind it.
import { useEffect, useState } from "preact/hooks";
import type { CategoryView, IpcError, NetWorthView, ReportLineView, RuleView } from "../bindings";
import { api, asError } from "../backend/api";
import { Amount, Banner, Empty, Loading } from "./ui";
import { BalanceChart } from "./charts";
import type { Drill } from "./transactions";
import { t } from "../i18n";

type Period = "30d" | "year" | "12m" | "all";

function range(p: Period): { from: string | null; to: string | null } {
  const today = new Date();
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  switch (p) {
    case "30d": return { from: iso(new Date(today.getTime() - 29 * 86400000)), to: iso(today) };
    case "year": return { from: `${today.getFullYear()}-01-01`, to: iso(today) };
    case "12m": { const d = new Date(today); d.setFullYear(d.getFullYear() - 1); d.setDate(d.getDate() + 1); return { from: iso(d), to: iso(today) }; }
    default: return { from: null, to: null };
  }
}

/** A bar's length: a proportion on screen only; every figure shown is the exact string. */
function magnitude(s: string): number {
  return Math.abs(Number(s));
}

export function SpendingScreen(props: { version: number; onDrill: (d: Drill) => void }) {
  const [by, setBy] = useState<"category" | "counterparty">("category");
  const [period, setPeriod] = useState<Period>("12m");
  const [gross, setGross] = useState(false);
  const [lines, setLines] = useState<ReportLineView[] | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [rules, setRules] = useState<RuleView[]>([]);
  const [pending, setPending] = useState<number | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const [categories, setCategories] = useState<CategoryView[]>([]);
  const [draft, setDraft] = useState({ words: "", where: "counterparty", category: "", direction: "", min: "", max: "", iban: "" });

  useEffect(() => {
    const r = range(period);
    setLines(null);
    api.report({ by, from: r.from, to: r.to, gross }).then(setLines, (e) => setError(asError(e)));
  }, [by, period, gross, props.version, tick]);
  useEffect(() => { api.rules().then(setRules, (e) => setError(asError(e))); }, [props.version, tick]);
  useEffect(() => { api.categories().then(setCategories, () => {}); }, [props.version]);
  const [worth, setWorth] = useState<NetWorthView[]>([]);
  useEffect(() => { api.networth().then(setWorth, (e) => setError(asError(e))); }, [props.version]);
  // A rule by hand: words of the counterparty or of the text, a category;
  // added last and applied to past transactions as one step (Undo reverts it).
  const addRule = (e: Event) => {
    e.preventDefault();
    const words = draft.words.trim();
    const extra = [draft.direction, draft.min.trim(), draft.max.trim(), draft.iban.trim()].some((v) => v !== "");
    if ((!words && !extra) || !draft.category) return;
    const name = words || [draft.direction && (draft.direction === "in" ? t("common.moneyIn") : t("common.moneyOut")), draft.iban.trim(), draft.min.trim() && t("rules.nameFrom", { amount: draft.min.trim() }), draft.max.trim() && t("rules.nameUpTo", { amount: draft.max.trim() })].filter(Boolean).join(", ");
    void act(async () => {
      const step = await api.addRule({
        name, category: draft.category,
        counterparty: words && draft.where === "counterparty" ? words : null, text: words && draft.where === "text" ? words : null,
        direction: draft.direction || null, min: draft.min.trim() || null, max: draft.max.trim() || null, iban: draft.iban.trim() || null, account: null,
      });
      setDraft({ ...draft, words: "", direction: "", min: "", max: "", iban: "" });
      return t("rules.added", { count: step.changed, category: draft.category });
    });
  };

  const act = async (f: () => Promise<string>) => {
    try {
      setNotice(await f());
      setTick((t) => t + 1);
    } catch (e) {
      setError(asError(e));
    }
  };
  // Positions are 1-based: moving up from index i puts the rule at position i.
  const move = (r: RuleView, position: number) => act(async () => {
    await api.moveRule(r.id, position);
    return t("rules.moved", { rule: r.name, position });
  });
  const preview = () => act(async () => {
    const a = await api.applyRules(true);
    setPending(a.changed);
    return a.changed === 0 ? t("rules.previewNone") : t("rules.preview", { count: a.changed });
  });
  const apply = () => act(async () => {
    const a = await api.applyRules(false);
    setPending(null);
    return t("rules.applied", { count: a.changed });
  });
  const undo = () => act(async () => {
    const what = await api.undoCategories();
    return what ? t("common.undone", { what }) : t("common.nothingToUndo");
  });
  const remove = (r: RuleView) => act(async () => {
    await api.deleteRule(r.id);
    return t("rules.deleted", { rule: r.name });
  });

  const drill = (group: string | null) => {
    const r = range(period);
    if (by === "category") props.onDrill(group === null ? { uncategorized: true, ...r } : { category: group, ...r });
    else if (group !== null) props.onDrill({ counterparty: group, ...r });
  };
  const spending = (lines ?? []).filter((l) => Number(l.spending) > 0);
  const currencies = [...new Set(spending.map((l) => l.currency))];

  return (
    <section>
      <header class="page-head">
        <h1>{t("nav.spending")}</h1>
        <div class="actions">
          <div class="seg" role="group" aria-label={t("spending.groupBy")}>
            <button class={by === "category" ? "active" : ""} aria-pressed={by === "category"} data-by="category" onClick={() => setBy("category")}>{t("spending.categories")}</button>
            <button class={by === "counterparty" ? "active" : ""} aria-pressed={by === "counterparty"} data-by="counterparty" onClick={() => setBy("counterparty")}>{t("spending.counterparties")}</button>
          </div>
          <select aria-label={t("spending.period")} value={period} onChange={(e) => setPeriod(e.currentTarget.value as Period)} data-field="period">
            <option value="30d">{t("spending.last30")}</option>
            <option value="year">{t("spending.thisYear")}</option>
            <option value="12m">{t("spending.last12")}</option>
            <option value="all">{t("spending.allTime")}</option>
          </select>
          <label class="check small"><input type="checkbox" checked={gross} onChange={(e) => setGross(e.currentTarget.checked)} data-field="gross" /> {t("spending.gross")}</label>
        </div>
      </header>
      {error && <Banner kind="error" title={t("spending.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {lines === null && !error && <Loading />}
      {lines !== null && spending.length === 0 && <Empty title={t("spending.none")}>{t("spending.noneText")}</Empty>}
      {notice && (
        <Banner kind="info" title={notice} onClose={() => setNotice(null)}
          action={pending !== null && pending > 0 ? <button class="primary small" data-action="apply-rules" onClick={apply}>{t("rules.apply")}</button> : <button class="small" data-action="undo" onClick={undo}>{t("common.undo")}</button>} />
      )}
      {currencies.map((cur) => {
        const rows = spending.filter((l) => l.currency === cur).slice(0, 20);
        const max = Math.max(...rows.map((l) => magnitude(l.spending)), 1);
        return (
          <article key={cur} class="card report" data-testid={`report-${cur}`}>
            <h2>{t("spending.in", { currency: cur })}</h2>
            <ul class="bars">
              {rows.map((l) => (
                <li key={l.group ?? ""}>
                  {/* Named by what it shows (the group, the amount in words) and how many rows it opens. */}
                  <button class="bar-row" data-report-group={l.group ?? ""} onClick={() => drill(l.group)}>
                    <span class="bar-label">{l.group ?? (by === "category" ? t("common.uncategorised") : t("spending.unknown"))}</span>
                    <span class="bar-track" aria-hidden="true"><span class="bar-fill" style={{ width: `${(magnitude(l.spending) / max) * 100}%` }} /></span>
                    <Amount amount={l.spending} currency={cur} class="bar-amt" />
                    <span class="sr-only">{t("spending.barRows", { count: l.rows })}</span>
                  </button>
                </li>
              ))}
            </ul>
          </article>
        );
      })}
      {worth.map((w) => (
        <article key={w.currency} class="card" data-testid="networth" data-currency={w.currency}>
          <h2>{t("spending.netWorth", { currency: w.currency })}</h2>
          <p class="muted small">{t("spending.netWorthText")}</p>
          <BalanceChart points={w.points} currency={w.currency} />
        </article>
      ))}
      <article class="card rules" data-testid="rules">
        <div class="card-head">
          <h2>{t("rules.title")}</h2>
          <div class="actions">
            <button class="small" data-action="preview-rules" onClick={preview}>{t("rules.applyPast")}</button>
            <button class="ghost small" onClick={undo}>{t("rules.undoLast")}</button>
          </div>
        </div>
        <p class="muted small">{t("rules.text")}</p>
        <form class="row add-rule" onSubmit={addRule} data-testid="add-rule">
          <select aria-label={t("rules.match")} value={draft.where} onChange={(e) => setDraft({ ...draft, where: e.currentTarget.value })}>
            <option value="counterparty">{t("rules.matchCounterparty")}</option>
            <option value="text">{t("rules.matchText")}</option>
          </select>
          <input aria-label={t("rules.words")} placeholder={t("rules.wordsExample")} value={draft.words} onInput={(e) => setDraft({ ...draft, words: e.currentTarget.value })} data-field="rule-words" />
          <select aria-label={t("rules.category")} required value={draft.category} onChange={(e) => setDraft({ ...draft, category: e.currentTarget.value })} data-field="rule-category">
            <option value="">{t("rules.categoryPick")}</option>
            {categories.map((c) => <option key={c.path} value={c.path}>{c.path}</option>)}
          </select>
          <button class="primary small" type="submit" data-action="add-rule">{t("common.addRule")}</button>
          <details class="rule-more small" data-testid="rule-more">
            <summary>{t("rules.more")}</summary>
            <div class="row">
              <select aria-label={t("rules.direction")} value={draft.direction} onChange={(e) => setDraft({ ...draft, direction: e.currentTarget.value })} data-field="rule-direction">
                <option value="">{t("rules.direction")}</option>
                <option value="out">{t("rules.outOnly")}</option>
                <option value="in">{t("rules.inOnly")}</option>
              </select>
              <input aria-label={t("rules.min")} inputMode="decimal" placeholder={t("rules.atLeast")} size={10} value={draft.min} onInput={(e) => setDraft({ ...draft, min: e.currentTarget.value })} data-field="rule-min" />
              <input aria-label={t("rules.max")} inputMode="decimal" placeholder={t("rules.atMost")} size={10} value={draft.max} onInput={(e) => setDraft({ ...draft, max: e.currentTarget.value })} data-field="rule-max" />
              <input aria-label={t("rules.iban")} placeholder={t("rules.theirIban")} value={draft.iban} onInput={(e) => setDraft({ ...draft, iban: e.currentTarget.value })} data-field="rule-iban" />
            </div>
            <p class="muted">{t("rules.moreText")}</p>
          </details>
        </form>
        <table class="rules-table small">
          <thead><tr><th>{t("rules.rule")}</th><th>{t("rules.when")}</th><th>{t("common.category")}</th><td /></tr></thead>
          <tbody>
            {rules.map((r, i) => (
              <tr key={r.id} data-rule={r.id}>
                <td>{r.name}</td>
                <td class="muted">{r.when}</td>
                <td>{r.category}</td>
                <td class="rule-actions">
                  <button class="ghost small" aria-label={t("rules.earlier", { rule: r.name })} disabled={i === 0} onClick={() => move(r, i)} data-action="rule-up">↑</button>
                  <button class="ghost small" aria-label={t("rules.later", { rule: r.name })} disabled={i === rules.length - 1} onClick={() => move(r, i + 2)} data-action="rule-down">↓</button>
                  <button class="ghost small" aria-label={t("rules.delete", { rule: r.name })} onClick={() => remove(r)}>✕</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
    </section>
  );
}
