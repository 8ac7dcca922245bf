// Banks: each connection with its status, syncs, consent and accounts;
// Sync now, Reconnect, Disconnect (confirmed; revokes and deletes, R14);
// accounts the bank no longer returns shown on demand (R13).
import { useEffect, useState } from "preact/hooks";
import type { ConnectionStatus, ConnectionView, IpcError, Overview, SyncProgress, SyncRunState } from "../bindings";
import { api, asError, events } from "../backend/api";
import { day, when } from "../backend/format";
import { Amount, Banner, Empty, Loading, Modal } from "./ui";
import { TransfersCard } from "./transfers";
import { t } from "../i18n";

/** What a person reads for a connection's state (every state named: a new one fails the typecheck). */
function statusLabel(s: ConnectionStatus): string {
  switch (s) {
    case "active": return t("connection.active");
    case "needs_reconnect": return t("connection.needsReconnect");
    case "revoked": return t("connection.revoked");
  }
}

/** A sync's state in words (every state named: a new one fails the typecheck). */
function progressState(s: SyncRunState): string {
  switch (s) {
    case "QUEUED": return t("sync.queued");
    case "RUNNING": return t("sync.running");
    case "AWAIT_AUTH": return t("sync.awaitAuth");
    case "COMPLETED": return t("sync.completed");
    case "FAILED": return t("sync.failed");
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

  if (!data) return error ? <Banner kind="error" title={t("connections.loadFailed")}>{error.message}</Banner> : <Loading />;
  const gone = data.accounts.filter((a) => a.disappeared).length;
  return (
    <section>
      <header class="page-head">
        <h1>{t("nav.banks")}</h1>
        <div class="actions">
          {gone > 0 && <label class="check small"><input type="checkbox" checked={showGone} onChange={(e) => setShowGone(e.currentTarget.checked)} /> {t("connections.showClosed", { count: gone })}</label>}
          <button onClick={() => sync(null)} disabled={data.connections.length === 0 || syncing.size > 0} data-action="sync-all">{t("connections.syncAll")}</button>
          <button class="primary" onClick={props.onAdd}>{t("common.addBank")}</button>
        </div>
      </header>
      {error && <Banner kind="error" title={t("connections.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {data.connections.length === 0 && <Empty title={t("connections.none")}>{t("connections.noneText")}</Empty>}
      {data.connections.map((c) => {
        const p = progress[c.id];
        const busy = syncing.has(c.id);
        const accounts = data.accounts.filter((a) => a.connection_id === c.id && (showGone || !a.disappeared));
        return (
          <article key={c.id} class="card connection" data-connection={c.id}>
            <div class="card-head">
              <div>
                <h2>{c.bank_name}</h2>
                <div class="muted small">
                  {c.offline ? <span class="pill offline" data-testid="offline">{t("connections.offline")}</span> : <>
                  <span class={`pill ${c.status}`}>{statusLabel(c.status)}</span>
                  {" "}{t("connections.lastSync", { when: when(c.last_sync_at) })}{c.next_sync_at ? ` · ${t("connections.nextSync", { when: when(c.next_sync_at) })}` : ""}
                  {c.consent_valid_until ? ` · ${t("connections.accessUntil", { date: day(c.consent_valid_until) })}` : ""}
                  </>}
                </div>
              </div>
              <div class="actions">
                {!c.offline && <button onClick={() => sync(c.id)} disabled={busy} data-action="sync">{busy ? t("common.syncing") : t("connections.syncNow")}</button>}
                {!c.offline && <button onClick={() => props.onReconnect(c)} data-action="reconnect">{t("common.reconnect")}</button>}
                <button class="danger" onClick={() => setConfirm(c.id)} data-action="disconnect">{t("connections.disconnect")}</button>
              </div>
            </div>
            {(busy || p) && (
              <div class={`progress ${progressClass(p?.state)}`} data-testid="sync-status" aria-live="polite">
                {busy && <span class="spinner" aria-hidden="true" />}
                {p ? (p.message ?? t("connections.progress", { state: progressState(p.state), pages: p.pages_done, count: p.new_transactions })) : t("connections.starting")}
              </div>
            )}
            <table class="accounts-table">
              <thead><tr><th>{t("connections.account")}</th><th>{t("common.iban")}</th><th class="num">{t("overview.balance")}</th><th>{t("connections.sync")}</th></tr></thead>
              <tbody>
                {accounts.map((a) => (
                  <tr key={a.id} class={a.disappeared ? "gone" : ""}>
                    <td>{a.name}{a.disappeared && <span class="pill">{t("connections.closed")}</span>}</td>
                    <td class="mono small">{a.iban ?? "—"}</td>
                    <td class="num">{a.booked ? <Amount amount={a.booked.amount} currency={a.booked.currency} /> : <span class="muted">—</span>}</td>
                    <td><label class="switch"><input type="checkbox" checked={a.enabled} disabled={a.disappeared} onChange={(e) => toggle(a.id, e.currentTarget.checked)} data-toggle={a.id} aria-label={t("connections.syncAccount", { account: a.name })} /><span /></label></td>
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
        <Modal title={t("connections.confirmTitle")} onClose={() => setConfirm(null)}>
          <p>{t("connections.confirmText")}</p>
          <div class="modal-actions">
            <button onClick={() => setConfirm(null)}>{t("connections.keep")}</button>
            <button class="danger" onClick={() => disconnect(confirm)} data-action="confirm-disconnect">{t("connections.confirm")}</button>
          </div>
        </Modal>
      )}
    </section>
  );
}

