// Two small SVG charts: a balance line and monthly in/out bars. Values are
// parsed to numbers only to place pixels; labels show the exact amounts.
import type { BalancePoint, MonthView } from "../bindings";
import { day, money, month, spokenMoney } from "../backend/format";
import { t } from "../i18n";

export function BalanceChart(props: { points: BalancePoint[]; currency: string }) {
  const pts = props.points;
  if (pts.length === 0) return <div class="chart-empty muted">{t("chart.noBalance")}</div>;
  const W = 560, H = 160, P = 8;
  const vals = pts.map((p) => Number(p.amount));
  const min = Math.min(...vals), max = Math.max(...vals);
  const span = max - min || Math.abs(max) || 1;
  const x = (i: number) => (pts.length === 1 ? W / 2 : P + (i * (W - 2 * P)) / (pts.length - 1));
  const y = (v: number) => H - P - ((v - min) / span) * (H - 2 * P);
  const line = vals.map((v, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
  const last = pts[pts.length - 1];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t("chart.balanceLabel", { latest: last ? spokenMoney(last.amount, props.currency) : "" })}>
        <path d={`${line} L${x(pts.length - 1)},${H - P} L${x(0)},${H - P} Z`} class="area" />
        <path d={line} class="line" />
        {vals.map((v, i) => (pts.length <= 60 || i === vals.length - 1) && <circle key={i} cx={x(i)} cy={y(v)} r="3" class="dot"><title>{`${day(pts[i]?.date)}: ${money(pts[i]?.amount ?? "0", props.currency)}`}</title></circle>)}
      </svg>
      <figcaption class="chart-caption muted small">
        <span>{day(pts[0]?.date)} — {day(last?.date)}</span>
        <span>{t("chart.lowHigh", { low: money(String(pts[vals.indexOf(min)]?.amount ?? "0"), props.currency), high: money(String(pts[vals.indexOf(max)]?.amount ?? "0"), props.currency) })}</span>
      </figcaption>
    </figure>
  );
}

export function MonthlyChart(props: { months: MonthView[]; currency: string }) {
  const rows = props.months.filter((m) => m.currency === props.currency).slice(-12);
  if (rows.length === 0) return <div class="chart-empty muted">{t("chart.noMonths", { currency: props.currency })}</div>;
  const W = 560, H = 170, P = 18;
  const max = Math.max(...rows.flatMap((r) => [Number(r.income), -Number(r.expense)]), 1);
  const bw = (W - 2 * P) / rows.length;
  const h = (v: number) => (Math.abs(v) / max) * (H - 2 * P - 12);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t("chart.monthlyLabel", { currency: props.currency })}>
        {rows.map((r, i) => {
          const inc = h(Number(r.income)), exp = h(Number(r.expense));
          const x0 = P + i * bw;
          return (
            <g key={r.month}>
              <rect x={x0 + bw * 0.12} y={H - P - inc} width={bw * 0.36} height={inc} class="bar-in"><title>{t("chart.monthIn", { month: month(r.month), amount: money(r.income, r.currency) })}</title></rect>
              <rect x={x0 + bw * 0.52} y={H - P - exp} width={bw * 0.36} height={exp} class="bar-out"><title>{t("chart.monthOut", { month: month(r.month), amount: money(r.expense, r.currency) })}</title></rect>
              <text x={x0 + bw / 2} y={H - 4} class="axis">{month(r.month)}</text>
            </g>
          );
        })}
      </svg>
      <figcaption class="legend small"><span class="key in" /> {t("common.moneyIn")} <span class="key out" /> {t("common.moneyOut")}</figcaption>
    </figure>
  );
}
