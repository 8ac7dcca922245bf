// Transfers between the person's own accounts that Saldo could not decide
// alone (several rows of one amount within a few days), and the person's
// accounts Saldo does not sync ("my other accounts"): money sent there is a
// transfer, not spending.
import { useEffect, useState } from "preact/hooks";
import type { IpcError, OwnAccountView, TxView } from "../bindings";
import { api, asError } from "../backend/api";
import { day } from "../backend/format";
import { Amount, Banner } from "./ui";
import { t } from "../i18n";

export function TransfersCard(props: { version: number; names: Map<number, string>; onChanged: () => void }) {
  const [groups, setGroups] = useState<TxView[][]>([]);
  const [own, setOwn] = useState<OwnAccountView[]>([]);
  const [iban, setIban] = useState("");
  const [name, setName] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    api.transferReview().then(setGroups, (e) => setError(asError(e)));
    api.ownAccounts().then(setOwn, (e) => setError(asError(e)));
  }, [props.version, tick]);

  const act = async (f: () => Promise<string>) => {
    try {
      setNotice(await f());
      setError(null);
      setTick((t) => t + 1);
      props.onChanged();
    } catch (e) {
      setError(asError(e));
    }
  };
  const add = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      const found = await api.addOwnAccount(iban, name || null);
      setIban("");
      setName("");
      return t("transfers.added", { count: found });
    });
  };

  return (
    <article class="card transfers" data-testid="transfers">
      <h2>{t("transfers.title")}</h2>
      {notice && <Banner kind="info" title={notice} onClose={() => setNotice(null)} />}
      {error && <Banner kind="error" title={t("transfers.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {groups.length === 0 ? (
        <p class="muted small">{t("transfers.nothing")}</p>
      ) : (
        <>
          <p class="muted small">{t("transfers.review")}</p>
          {groups.map((g) => {
            const outs = g.filter((tx) => tx.amount.startsWith("-"));
            const ins = g.filter((tx) => !tx.amount.startsWith("-"));
            return (
              <div key={g.map((tx) => tx.id).join("-")} class="review-group" data-review-group>
                {g.map((tx) => (
                  <div key={tx.id} class="row review-row">
                    <span class="muted small">{day(tx.date)}</span>
                    <span>{props.names.get(tx.account_id) ?? ""}</span>
                    <span class="muted small">{tx.counterparty_clean ?? tx.counterparty ?? tx.description ?? ""}</span>
                    <Amount amount={tx.amount} currency={tx.currency} />
                    <button class="ghost small" data-action="not-a-transfer" onClick={() => act(async () => { await api.notATransfer(tx.id); return t("transfers.notATransferDone"); })}>{t("transfers.notATransfer")}</button>
                  </div>
                ))}
                {outs.length >= 1 && ins.length >= 1 && outs.flatMap((o) => ins.map((i) => (
                  <button key={`${o.id}-${i.id}`} class="small" data-action="pair" onClick={() => act(async () => { await api.pairTransfer(o.id, i.id); return t("transfers.paired"); })}>
                    {t("transfers.pair", { out: day(o.date), in: day(i.date) })}
                  </button>
                )))}
              </div>
            );
          })}
        </>
      )}
      <h3>{t("transfers.own")}</h3>
      <p class="muted small">{t("transfers.ownText")}</p>
      <ul class="own-accounts">
        {own.map((o) => (
          <li key={o.iban} data-own={o.iban}>
            <span class="mono small">{o.iban}</span> {o.name}
            <button class="ghost small" aria-label={t("transfers.forget", { iban: o.iban })} onClick={() => act(async () => { await api.removeOwnAccount(o.iban); return t("transfers.forgotten", { iban: o.iban }); })}>✕</button>
          </li>
        ))}
      </ul>
      <form class="row" onSubmit={add}>
        <input aria-label={t("common.iban")} placeholder={t("common.iban")} required value={iban} onInput={(e) => setIban(e.currentTarget.value)} data-field="own-iban" />
        <input aria-label={t("transfers.name")} placeholder={t("transfers.nameOptional")} value={name} onInput={(e) => setName(e.currentTarget.value)} data-field="own-name" />
        <button class="small" type="submit" data-action="add-own">{t("transfers.add")}</button>
      </form>
    </article>
  );
}
