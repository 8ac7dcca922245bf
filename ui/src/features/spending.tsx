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
    const name = words || [draft.direction && (draft.direction === "in" ? "Money in" : "Money out"), draft.iban.trim(), draft.min.trim() && `from ${draft.min.trim()}`, draft.max.trim() && `up to ${draft.max.trim()}`].filter(Boolean).join(", ");
    void act(async () => {
      const step = await api.addRule({
        name, category: draft.category,
        counterparty: words && draft.where === "counterparty" ? words : null, text: words && draft.where === "text" ? words : null,
        direction: draft.direction || null, min: draft.min.trim() || null, max: draft.max.trim() || null, iban: draft.iban.trim() || null, account: null,
      });
      setDraft({ ...draft, words: "", direction: "", min: "", max: "", iban: "" });
      return `Rule added: ${step.changed} transaction(s) filed under ${draft.category}. Undo reverts it.`;
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
    return `Rule ${r.name} is now tried ${position === 1 ? "first" : `at place ${position}`}. Apply to past transactions to refile them.`;
  });
  const preview = () => act(async () => {
    const a = await api.applyRules(true);
    setPending(a.changed);
    return a.changed === 0 ? "The rules agree with every transaction: nothing would change." : `${a.changed} transaction(s) would change category.`;
  });
  const apply = () => act(async () => {
    const a = await api.applyRules(false);
    setPending(null);
    return `${a.changed} transaction(s) changed category. Undo reverts it.`;
  });
  const undo = () => act(async () => {
    const what = await api.undoCategories();
    return what ? `Undone: ${what}.` : "Nothing to undo.";
  });
  const remove = (r: RuleView) => act(async () => {
    await api.deleteRule(r.id);
    return `Rule ${r.name} deleted; its transactions keep their category until the rules are applied again.`;
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
        <h1>Spending</h1>
        <div class="actions">
          <div class="seg" role="group" aria-label="Group by">
            <button class={by === "category" ? "active" : ""} aria-pressed={by === "category"} data-by="category" onClick={() => setBy("category")}>Categories</button>
            <button class={by === "counterparty" ? "active" : ""} aria-pressed={by === "counterparty"} data-by="counterparty" onClick={() => setBy("counterparty")}>Counterparties</button>
          </div>
          <select aria-label="Period" value={period} onChange={(e) => setPeriod(e.currentTarget.value as Period)} data-field="period">
            <option value="30d">Last 30 days</option>
            <option value="year">This year</option>
            <option value="12m">Last 12 months</option>
            <option value="all">All time</option>
          </select>
          <label class="check small"><input type="checkbox" checked={gross} onChange={(e) => setGross(e.currentTarget.checked)} data-field="gross" /> Include transfers between my accounts</label>
        </div>
      </header>
      {error && <Banner kind="error" title="Could not build the report" onClose={() => setError(null)}>{error.message}</Banner>}
      {lines === null && !error && <Loading />}
      {lines !== null && spending.length === 0 && <Empty title="No spending in this period">Sync your banks or choose a longer period.</Empty>}
      {notice && (
        <Banner kind="info" title={notice} onClose={() => setNotice(null)}
          action={pending !== null && pending > 0 ? <button class="primary small" data-action="apply-rules" onClick={apply}>Apply</button> : <button class="small" data-action="undo" onClick={undo}>Undo</button>} />
      )}
      {currencies.map((cur) => {
        const rows = spending.filter((l) => l.currency === cur).slice(0, 20);
        const max = Math.max(...rows.map((l) => magnitude(l.spending)), 1);
        return (
          <article class="card report" data-testid={`report-${cur}`}>
            <h2>Spending in {cur}</h2>
            <ul class="bars">
              {rows.map((l) => (
                <li>
                  <button class="bar-row" data-report-group={l.group ?? ""} onClick={() => drill(l.group)}
                    aria-label={`${l.group ?? (by === "category" ? "Uncategorised" : "Unknown")}: ${l.spending} ${cur}, ${l.rows} transaction(s); open them`}>
                    <span class="bar-label">{l.group ?? (by === "category" ? "Uncategorised" : "Unknown")}</span>
                    <span class="bar-track"><span class="bar-fill" style={{ width: `${(magnitude(l.spending) / max) * 100}%` }} /></span>
                    <Amount amount={l.spending} currency={cur} class="bar-amt" />
                  </button>
                </li>
              ))}
            </ul>
          </article>
        );
      })}
      {worth.map((w) => (
        <article class="card" data-testid="networth" data-currency={w.currency}>
          <h2>Net worth in {w.currency}</h2>
          <p class="muted small">Your synced accounts' balances at each month's end, rebuilt from their history and anchored on what the bank last said.</p>
          <BalanceChart points={w.points} currency={w.currency} />
        </article>
      ))}
      <article class="card rules" data-testid="rules">
        <div class="card-head">
          <h2>Rules</h2>
          <div class="actions">
            <button class="small" data-action="preview-rules" onClick={preview}>Apply to past transactions…</button>
            <button class="ghost small" onClick={undo}>Undo last change</button>
          </div>
        </div>
        <p class="muted small">Tried in order; the first that matches files a transaction, and says so. Your own choices always win. New transactions are filed as they arrive.</p>
        <form class="row add-rule" onSubmit={addRule} data-testid="add-rule">
          <select aria-label="Match" value={draft.where} onChange={(e) => setDraft({ ...draft, where: e.currentTarget.value })}>
            <option value="counterparty">Counterparty has the words</option>
            <option value="text">Bank text has the words</option>
          </select>
          <input aria-label="Words" placeholder="e.g. Bakkerij Jansen" value={draft.words} onInput={(e) => setDraft({ ...draft, words: e.currentTarget.value })} data-field="rule-words" />
          <select aria-label="Category of the rule" required value={draft.category} onChange={(e) => setDraft({ ...draft, category: e.currentTarget.value })} data-field="rule-category">
            <option value="">Category…</option>
            {categories.map((c) => <option value={c.path}>{c.path}</option>)}
          </select>
          <button class="primary small" type="submit" data-action="add-rule">Add rule</button>
          <details class="rule-more small" data-testid="rule-more">
            <summary>More conditions</summary>
            <div class="row">
              <select aria-label="Money in or out" value={draft.direction} onChange={(e) => setDraft({ ...draft, direction: e.currentTarget.value })} data-field="rule-direction">
                <option value="">Money in or out</option>
                <option value="out">Money out only</option>
                <option value="in">Money in only</option>
              </select>
              <input aria-label="Smallest amount" inputMode="decimal" placeholder="at least" size={10} value={draft.min} onInput={(e) => setDraft({ ...draft, min: e.currentTarget.value })} data-field="rule-min" />
              <input aria-label="Largest amount" inputMode="decimal" placeholder="at most" size={10} value={draft.max} onInput={(e) => setDraft({ ...draft, max: e.currentTarget.value })} data-field="rule-max" />
              <input aria-label="Counterparty account (IBAN)" placeholder="their IBAN" value={draft.iban} onInput={(e) => setDraft({ ...draft, iban: e.currentTarget.value })} data-field="rule-iban" />
            </div>
            <p class="muted">Every condition given must hold. Amounts are sizes: 50 means 50 in or out.</p>
          </details>
        </form>
        <table class="rules-table small">
          <thead><tr><th>Rule</th><th>When</th><th>Category</th><th /></tr></thead>
          <tbody>
            {rules.map((r, i) => (
              <tr key={r.id} data-rule={r.id}>
                <td>{r.name}</td>
                <td class="muted">{r.when}</td>
                <td>{r.category}</td>
                <td class="rule-actions">
                  <button class="ghost small" aria-label={`Try rule ${r.name} earlier`} disabled={i === 0} onClick={() => move(r, i)} data-action="rule-up">↑</button>
                  <button class="ghost small" aria-label={`Try rule ${r.name} later`} disabled={i === rules.length - 1} onClick={() => move(r, i + 2)} data-action="rule-down">↓</button>
                  <button class="ghost small" aria-label={`Delete rule ${r.name}`} onClick={() => remove(r)}>✕</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </article>
    </section>
  );
}
