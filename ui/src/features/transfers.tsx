// Transfers between the person's own accounts that Saldo could not decide
// alone (several rows of one amount within a few days), and the person's
// accounts Saldo does not sync ("my other accounts"): money sent there is a
// transfer, not spending.
import { useEffect, useState } from "preact/hooks";
import type { IpcError, OwnAccountView, TxView } from "../bindings";
import { api, asError } from "../backend/api";
import { day } from "../backend/format";
import { Amount, Banner } from "./ui";

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
      return `Added. ${found} more transfer(s) found.`;
    });
  };

  return (
    <article class="card transfers" data-testid="transfers">
      <h2>Transfers between your accounts</h2>
      {notice && <Banner kind="info" title={notice} onClose={() => setNotice(null)} />}
      {error && <Banner kind="error" title="Could not do that" onClose={() => setError(null)}>{error.message}</Banner>}
      {groups.length === 0 ? (
        <p class="muted small">Nothing to review: every transfer Saldo found pairs up one way only.</p>
      ) : (
        <>
          <p class="muted small">These rows have the same amount within a few days; Saldo will not guess which belong together.</p>
          {groups.map((g) => {
            const outs = g.filter((t) => t.amount.startsWith("-"));
            const ins = g.filter((t) => !t.amount.startsWith("-"));
            return (
              <div class="review-group" data-review-group>
                {g.map((t) => (
                  <div class="row review-row">
                    <span class="muted small">{day(t.date)}</span>
                    <span>{props.names.get(t.account_id) ?? ""}</span>
                    <span class="muted small">{t.counterparty_clean ?? t.counterparty ?? t.description ?? ""}</span>
                    <Amount amount={t.amount} currency={t.currency} />
                    <button class="ghost small" data-action="not-a-transfer" onClick={() => act(async () => { await api.notATransfer(t.id); return "Not a transfer: Saldo will leave it alone."; })}>Not a transfer</button>
                  </div>
                ))}
                {outs.length >= 1 && ins.length >= 1 && outs.flatMap((o) => ins.map((i) => (
                  <button class="small" data-action="pair" onClick={() => act(async () => { await api.pairTransfer(o.id, i.id); return "Paired as one transfer."; })}>
                    {day(o.date)} out → {day(i.date)} in: one transfer
                  </button>
                )))}
              </div>
            );
          })}
        </>
      )}
      <h3>My other accounts</h3>
      <p class="muted small">Accounts of yours that Saldo does not sync. Money sent to them is a transfer, not spending.</p>
      <ul class="own-accounts">
        {own.map((o) => (
          <li data-own={o.iban}>
            <span class="mono small">{o.iban}</span> {o.name}
            <button class="ghost small" aria-label={`Forget ${o.iban}`} onClick={() => act(async () => { await api.removeOwnAccount(o.iban); return `${o.iban} forgotten.`; })}>✕</button>
          </li>
        ))}
      </ul>
      <form class="row" onSubmit={add}>
        <input aria-label="IBAN" placeholder="IBAN" required value={iban} onInput={(e) => setIban(e.currentTarget.value)} data-field="own-iban" />
        <input aria-label="Name" placeholder="Name (optional)" value={name} onInput={(e) => setName(e.currentTarget.value)} data-field="own-name" />
        <button class="small" type="submit" data-action="add-own">Add</button>
      </form>
    </article>
  );
}
