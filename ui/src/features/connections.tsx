// Banks: each connection with its status, syncs, consent and accounts;
// Sync now, Reconnect, Disconnect (confirmed; revokes and deletes, R14);
// accounts the bank no longer returns shown on demand (R13).
import { useEffect, useState } from "preact/hooks";
import type { ConnectionStatus, ConnectionView, IpcError, Overview, SyncProgress, SyncRunState } from "../bindings";
import { api, asError, events } from "../backend/api";
import { day, when } from "../backend/format";
import { Amount, Banner, Empty, Loading, Modal } from "./ui";
import { TransfersCard } from "./transfers";

/** What a person reads for a connection's state (every state named: a new one fails the typecheck). */
function statusLabel(s: ConnectionStatus): string {
  switch (s) {
    case "active": return "Connected";
    case "needs_reconnect": return "Reconnect needed";
    case "revoked": return "Disconnected at the bank";
  }
}

function progressClass(s: SyncRunState | undefined): string {
  switch (s) {
    case "FAILED": return "failed";
    case "AWAIT_AUTH": return "warn";
    case "QUEUED": case "RUNNING": case "COMPLETED": case undefined: return "";
  }
}

export function ConnectionsScreen(props: { version: number; onChanged: () => void; onReconnect: (connection: ConnectionView) => void; onAdd: () => void }) {
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [progress, setProgress] = useState<Record<number, SyncProgress>>({});
  const [syncing, setSyncing] = useState<Set<number>>(new Set());
  const [confirm, setConfirm] = useState<number | null>(null);
  const [showGone, setShowGone] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => { api.overview().then(setData, (e) => setError(asError(e))); }, [props.version, tick]);
  useEffect(() => {
    const un = events.onSyncProgress((p) => setProgress((m) => ({ ...m, [p.connection_id]: p })));
    return () => void un.then((f) => f());
  }, []);

  const sync = async (id: number | null) => {
    const ids = id === null ? (data?.connections.map((c) => c.id) ?? []) : [id];
    setSyncing((s) => new Set([...s, ...ids]));
    try {
      const results = await api.syncNow(id);
      setProgress((m) => Object.fromEntries([...Object.entries(m), ...results.map((r) => [r.connection_id, r])]));
    } catch (e) {
      setError(asError(e));
    } finally {
      setSyncing((s) => new Set([...s].filter((x) => !ids.includes(x))));
      setTick((t) => t + 1);
      props.onChanged();
    }
  };
  const toggle = async (account: number, enabled: boolean) => {
    try { await api.setAccountEnabled(account, enabled); } catch (e) { setError(asError(e)); }
    setTick((t) => t + 1);
  };
  const disconnect = async (id: number) => {
    setConfirm(null);
    try {
      await api.disconnect(id);
      props.onChanged();
    } catch (e) {
      setError(asError(e));
    }
    setTick((t) => t + 1);
  };

  if (!data) return error ? <Banner kind="error" title="Could not load your banks">{error.message}</Banner> : <Loading />;
  const gone = data.accounts.filter((a) => a.disappeared).length;
  return (
    <section>
      <header class="page-head">
        <h1>Banks</h1>
        <div class="actions">
          {gone > 0 && <label class="check small"><input type="checkbox" checked={showGone} onChange={(e) => setShowGone(e.currentTarget.checked)} /> Show {gone} closed account(s)</label>}
          <button onClick={() => sync(null)} disabled={data.connections.length === 0 || syncing.size > 0} data-action="sync-all">Sync all</button>
          <button class="primary" onClick={props.onAdd}>+ Add a bank</button>
        </div>
      </header>
      {error && <Banner kind="error" title="Something went wrong" onClose={() => setError(null)}>{error.message}</Banner>}
      {data.connections.length === 0 && <Empty title="No banks connected">Add a bank to start. With demo banks, nothing leaves this computer.</Empty>}
      {data.connections.map((c) => {
        const p = progress[c.id];
        const busy = syncing.has(c.id);
        const accounts = data.accounts.filter((a) => a.connection_id === c.id && (showGone || !a.disappeared));
        return (
          <article class="card connection" data-connection={c.id}>
            <div class="card-head">
              <div>
                <h2>{c.bank_name}</h2>
                <div class="muted small">
                  <span class={`pill ${c.status}`}>{statusLabel(c.status)}</span>
                  {" "}Last sync {when(c.last_sync_at)}{c.next_sync_at ? ` · next ${when(c.next_sync_at)}` : ""}
                  {c.consent_valid_until ? ` · access until ${day(c.consent_valid_until)}` : ""}
                </div>
              </div>
              <div class="actions">
                <button onClick={() => sync(c.id)} disabled={busy} data-action="sync">{busy ? "Syncing…" : "Sync now"}</button>
                <button onClick={() => props.onReconnect(c)} data-action="reconnect">Reconnect</button>
                <button class="danger" onClick={() => setConfirm(c.id)} data-action="disconnect">Disconnect</button>
              </div>
            </div>
            {(busy || p) && (
              <div class={`progress ${progressClass(p?.state)}`} data-testid="sync-status" aria-live="polite">
                {busy && <span class="spinner" aria-hidden="true" />}
                {p ? (p.message ?? `${p.state.toLowerCase()}: ${p.pages_done} page(s), ${p.new_transactions} new transaction(s)`) : "Starting…"}
              </div>
            )}
            <table class="accounts-table">
              <thead><tr><th>Account</th><th>IBAN</th><th class="num">Balance</th><th>Sync</th></tr></thead>
              <tbody>
                {accounts.map((a) => (
                  <tr class={a.disappeared ? "gone" : ""}>
                    <td>{a.name}{a.disappeared && <span class="pill">closed at the bank</span>}</td>
                    <td class="mono small">{a.iban ?? "—"}</td>
                    <td class="num">{a.booked ? <Amount amount={a.booked.amount} currency={a.booked.currency} /> : <span class="muted">—</span>}</td>
                    <td><label class="switch"><input type="checkbox" checked={a.enabled} disabled={a.disappeared} onChange={(e) => toggle(a.id, e.currentTarget.checked)} data-toggle={a.id} aria-label={`Sync ${a.name}`} /><span /></label></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        );
      })}
      {data.connections.length > 0 && (
        <TransfersCard version={props.version + tick} names={new Map(data.accounts.map((a) => [a.id, a.name]))} onChanged={() => setTick((t) => t + 1)} />
      )}
      {confirm !== null && (
        <Modal title="Disconnect this bank?" onClose={() => setConfirm(null)}>
          <p>Saldo will revoke its access at the bank and delete this bank's accounts, balances and transactions from this computer. Export them first if you want to keep them.</p>
          <div class="modal-actions">
            <button onClick={() => setConfirm(null)}>Keep it</button>
            <button class="danger" onClick={() => disconnect(confirm)} data-action="confirm-disconnect">Disconnect and delete</button>
          </div>
        </Modal>
      )}
    </section>
  );
}

