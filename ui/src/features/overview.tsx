// Overview: totals per currency, accounts with balances, charts, and what
// needs attention (accounts to enable, consents expiring, reconnects).
import { useEffect, useRef, useState } from "preact/hooks";
import type { AccountView, BalancePoint, ConnectionView, IpcError, MonthView, Overview } from "../bindings";
import { api, asError } from "../backend/api";
import { day } from "../backend/format";
import { Amount, Banner, Empty, Loading } from "./ui";
import { BalanceChart, MonthlyChart } from "./charts";
import type { Screen } from "../app";
import { t } from "../i18n";

export function OverviewScreen(props: { version: number; onOpen: (s: Screen, account?: number | null) => void; onAdd: () => void; onReconnect: (connection: ConnectionView) => void }) {
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [charts, setCharts] = useState<{ account: number; history: BalancePoint[]; months: MonthView[] } | null>(null);
  const [chartError, setChartError] = useState<IpcError | null>(null);
  const chartGen = useRef(0);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    api.overview().then((o) => {
      setData(o);
      setError(null);
      const first = o.accounts.find((a) => a.enabled && !a.disappeared);
      setSelected((s) => (s !== null && o.accounts.some((a) => a.id === s) ? s : first?.id ?? null));
    }, (e) => setError(asError(e)));
  }, [props.version, tick]);

  useEffect(() => {
    if (selected === null) return;
    // Only the answer to the latest request is drawn; a failure keeps what
    // is on screen and says so.
    const gen = ++chartGen.current;
    Promise.all([api.balanceHistory(selected), api.monthly(selected, false)]).then(([history, months]) => {
      if (gen !== chartGen.current) return;
      setCharts({ account: selected, history, months });
      setChartError(null);
    }, (e) => { if (gen === chartGen.current) setChartError(asError(e)); });
  }, [selected, props.version, tick]);

  if (error) return <Banner kind="error" title={t("overview.loadFailed")}>{error.message}</Banner>;
  if (!data) return <Loading />;
  if (data.connections.length === 0) {
    return (
      <section>
        <h1>{t("nav.overview")}</h1>
        <Empty title={t("overview.noBanks")}>
          <p>{t("overview.noBanksText")}</p>
          <button class="primary" onClick={props.onAdd}>{t("common.addBank")}</button>
        </Empty>
      </section>
    );
  }
  const visible = data.accounts.filter((a) => !a.disappeared);
  const toEnable = visible.filter((a) => !a.enabled);
  const expiring = data.connections.filter((c) => c.status === "needs_reconnect" || (c.consent_days_left !== null && c.consent_days_left <= 14));
  const account = data.accounts.find((a) => a.id === selected) ?? null;
  const enable = async (a: AccountView) => {
    await api.setAccountEnabled(a.id, true).catch((e) => setError(asError(e)));
    setTick((t) => t + 1);
  };

  return (
    <section>
      <header class="page-head">
        <h1>{t("nav.overview")}</h1>
      </header>
      <div class="totals" data-testid="totals">
        {data.totals.length === 0 && <div class="card total muted">{t("overview.noTotals")}</div>}
        {data.totals.map((total) => (
          <div class="card total" key={total.currency}>
            <div class="muted small">{t("overview.total", { currency: total.currency })}</div>
            <Amount amount={total.amount} currency={total.currency} class="big" />
          </div>
        ))}
      </div>
      {expiring.map((c) => (
        <Banner key={c.id} kind={c.status === "needs_reconnect" ? "error" : "warning"} title={c.status === "needs_reconnect" ? t("overview.needsReconnect", { bank: c.bank_name }) : c.consent_days_left !== null && c.consent_days_left >= 0 ? t("overview.accessEndsIn", { bank: c.bank_name, days: c.consent_days_left }) : t("overview.accessEndsSoon", { bank: c.bank_name })}
          action={<button class="primary small" onClick={() => props.onReconnect(c)}>{t("common.reconnect")}</button>}>
          {t("overview.reconnectText")}
        </Banner>
      ))}
      {visible.filter((a) => a.enabled && a.gaps.length > 0).map((a) => (
        <Banner key={a.id} kind="warning" title={t("overview.gapTitle", { account: a.name })}
          action={<button class="primary small" data-action="refetch" onClick={() => api.syncNow(a.connection_id).then(() => setTick((t) => t + 1), (e) => setError(asError(e)))}>{t("overview.fetchAgain")}</button>}>
          {t("overview.gapText", { when: a.gaps.map((g) => (g.after ? t("overview.gapBetween", { from: day(g.after), to: day(g.before) }) : t("overview.gapBefore", { date: day(g.before) }))).join(", ") })}
        </Banner>
      ))}
      {toEnable.length > 0 && (
        <Banner kind="info" title={t("overview.toEnable", { count: toEnable.length })}>
          {t("overview.toEnableText")} {toEnable.map((a) => (
            <button key={a.id} class="chip" data-enable={a.id} onClick={() => enable(a)}>{t("overview.enable", { account: a.name })}</button>
          ))}
        </Banner>
      )}
      <div class="grid2">
        <div class="card">
          <h2>{t("overview.accounts")}</h2>
          <ul class="accounts" role="listbox" aria-label={t("overview.accounts")}>
            {visible.filter((a) => a.enabled).map((a) => (
              <li key={a.id} role="option" aria-selected={a.id === selected} tabIndex={0} class={`account ${a.id === selected ? "selected" : ""}`}
                onClick={() => setSelected(a.id)} onKeyDown={(e) => { if (e.key === "Enter") setSelected(a.id); }} data-account={a.id}>
                <div>
                  <div class="name">{a.name}</div>
                  <div class="muted small">{a.bank_name} · {a.iban ?? a.currency}</div>
                </div>
                <div class="right">
                  {a.booked ? <Amount amount={a.booked.amount} currency={a.booked.currency} /> : <span class="muted">{t("overview.notSynced")}</span>}
                  {a.available && a.booked && a.available.amount !== a.booked.amount && <div class="muted small">{t("overview.available")} <Amount amount={a.available.amount} currency={a.available.currency} /></div>}
                  <div class="muted small">{a.as_of ? t("overview.asOf", { date: day(a.as_of) }) : ""}</div>
                </div>
              </li>
            ))}
          </ul>
        </div>
        <div class="card">
          <div class="card-head">
            <h2>{account ? account.name : t("overview.balance")}</h2>
            {account && <button class="ghost small" onClick={() => props.onOpen("transactions", account.id)}>{t("overview.openTransactions")}</button>}
          </div>
          {chartError && <p class="muted small" role="alert">{t("overview.chartsFailed", { error: chartError.message })}</p>}
          {account && charts?.account === account.id ? (
            <>
              <BalanceChart points={charts.history} currency={account.currency} />
              <h3 title={t("overview.incomeTitle")}>{t("overview.income")} <span class="muted small">{t("overview.incomeNote")}</span></h3>
              <MonthlyChart months={charts.months} currency={account.currency} />
            </>
          ) : account && !chartError && <Loading />}
        </div>
      </div>
    </section>
  );
}
