import { useEffect, useState } from "preact/hooks";
import type { AppStatus, ConnectionView, IpcError, Settings, Step, Theme } from "./bindings";
import { api, asError, events } from "./backend/api";
import { Setup, Unlock } from "./features/setup";
import { OverviewScreen } from "./features/overview";
import { TransactionsScreen, type Drill } from "./features/transactions";
import { SpendingScreen } from "./features/spending";
import { ConnectionsScreen } from "./features/connections";
import { AddBank } from "./features/addbank";
import { ExportScreen } from "./features/export";
import { ImportScreen } from "./features/import";
import { SettingsScreen } from "./features/settings";
import { RecoveryOffer } from "./features/backups";
import { Banner } from "./features/ui";
import { t, applyLanguage, type MessageKey } from "./i18n";

export type Screen = "overview" | "transactions" | "spending" | "connections" | "import" | "export" | "settings";

const NAV: { id: Screen; label: MessageKey; icon: string }[] = [
  { id: "overview", label: "nav.overview", icon: "◎" },
  { id: "transactions", label: "nav.transactions", icon: "≡" },
  { id: "spending", label: "nav.spending", icon: "▤" },
  { id: "connections", label: "nav.banks", icon: "⌂" },
  { id: "import", label: "nav.import", icon: "⇪" },
  { id: "export", label: "nav.export", icon: "⇩" },
  { id: "settings", label: "nav.settings", icon: "⚙" },
];

/** The settings the whole window follows: its theme and its language. */
function applySettings(settings: Settings) {
  const theme: Theme = settings.theme === "light" || settings.theme === "dark" ? settings.theme : "system";
  document.documentElement.dataset["theme"] = theme;
  applyLanguage(settings.language);
}

export function App() {
  const [status, setStatus] = useState<AppStatus | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [screen, setScreen] = useState<Screen>("overview");
  const [adding, setAdding] = useState<{ reconnect: ConnectionView | null } | null>(null);
  const [linkNotice, setLinkNotice] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const [accountFilter, setAccountFilter] = useState<number | null>(null);
  const [drill, setDrill] = useState<Drill | null>(null);
  const [offerRecovery, setOfferRecovery] = useState(false);

  const refresh = () => setVersion((v) => v + 1);

  useEffect(() => {
    (async () => {
      try {
        let s = await api.status();
        if (s.phase === "locked") {
          try {
            s = await api.unlock(null);
          } catch (e) {
            const err = asError(e);
            if (err.code !== "locked") setError(err);
          }
        }
        setStatus(s);
        applySettings(s.settings);
      } catch (e) {
        setError(asError(e));
      }
    })();
  }, []);

  // A bank link that arrives while no "add bank" dialog is open (a forged or
  // stale saldo:// link) is reported here, never silently dropped.
  useEffect(() => {
    const un = events.onConnectStep((step: Step) => {
      if (step.kind === "failed" && step.flow_id === "") setLinkNotice(step.message);
    });
    return () => void un.then((f) => f());
  }, []);

  // Statement files dropped on the window open the Import screen with them.
  useEffect(() => {
    const un = events.onFilesDropped(() => setScreen("import"));
    return () => void un.then((f) => f());
  }, []);

  // The window brought up after a notification opens the screen it was about.
  useEffect(() => {
    const un = events.onOpenScreen((s) => { if (s === "connections" || s === "transactions") setScreen(s); });
    return () => void un.then((f) => f());
  }, []);

  // Lock after the chosen minutes without input (passphrase-protected only:
  // a keyring install would open again by itself).
  const idleMinutes = status?.phase === "ready" && status.protection === "passphrase" ? status.settings.lock_after_minutes : null;
  useEffect(() => {
    if (!idleMinutes) return;
    let last = Date.now();
    const seen = () => { last = Date.now(); };
    const kinds = ["keydown", "pointerdown", "pointermove", "wheel"] as const;
    kinds.forEach((k) => window.addEventListener(k, seen, { passive: true }));
    const timer = window.setInterval(() => {
      if (Date.now() - last >= idleMinutes * 60_000) api.lock().then(setStatus, (e) => setError(asError(e)));
    }, 15_000);
    return () => { window.clearInterval(timer); kinds.forEach((k) => window.removeEventListener(k, seen)); };
  }, [idleMinutes]);

  if (!status) {
    return error ? <div class="center"><Banner kind="error" title={t("app.startFailed")}>{error.message}</Banner></div> : <div class="center muted">{t("app.opening")}</div>;
  }
  if (status.phase === "setup") return <Setup status={status} onDone={(s) => { setStatus(s); applySettings(s.settings); setOfferRecovery(true); }} />;
  if (status.phase === "locked") return <Unlock status={status} onDone={setStatus} />;

  const open = (s: Screen, account: number | null = null) => {
    setAccountFilter(account);
    setDrill(null);
    setScreen(s);
  };
  // A report's bar opens the transactions behind it.
  const drillInto = (d: Drill) => {
    setAccountFilter(null);
    setDrill(d);
    setScreen("transactions");
  };

  return (
    <div class="shell">
      <nav class="sidebar" aria-label={t("nav.main")}>
        <div class="brand"><span class="logo" aria-hidden="true">S</span> Saldo</div>
        {NAV.map((n) => (
          <button
            key={n.id}
            class={`nav ${screen === n.id ? "active" : ""}`}
            aria-current={screen === n.id ? "page" : undefined}
            data-nav={n.id}
            onClick={() => open(n.id)}
          >
            <span class="icon" aria-hidden="true">{n.icon}</span>
            {t(n.label)}
          </button>
        ))}
        <div class="grow" />
        <button class="primary wide" data-action="add-bank" onClick={() => setAdding({ reconnect: null })}>{t("common.addBank")}</button>
        <div class="mode muted small">{status.mode === "sandbox" ? t("app.modeSandbox") : t("app.modeGateway")}</div>
      </nav>
      <main class="content">
        {linkNotice && (
          <Banner kind="error" title={t("app.linkRefused")} onClose={() => setLinkNotice(null)}>
            {t("app.linkRefusedText", { reason: linkNotice })}
          </Banner>
        )}
        {screen === "overview" && <OverviewScreen version={version} onOpen={open} onAdd={() => setAdding({ reconnect: null })} onReconnect={(c) => setAdding({ reconnect: c })} />}
        {screen === "transactions" && <TransactionsScreen key={JSON.stringify(drill)} version={version} account={accountFilter} drill={drill} />}
        {screen === "spending" && <SpendingScreen version={version} onDrill={drillInto} />}
        {screen === "connections" && <ConnectionsScreen version={version} onChanged={refresh} onReconnect={(c) => setAdding({ reconnect: c })} onAdd={() => setAdding({ reconnect: null })} />}
        {screen === "import" && <ImportScreen version={version} onImported={refresh} onOpen={() => open("transactions")} />}
        {screen === "export" && <ExportScreen version={version} />}
        {screen === "settings" && <SettingsScreen status={status} onStatus={(s) => { setStatus(s); applySettings(s.settings); }} />}
      </main>
      {adding && <AddBank reconnect={adding.reconnect} onClose={() => { setAdding(null); refresh(); }} />}
      {offerRecovery && <RecoveryOffer onDone={() => setOfferRecovery(false)} />}
    </div>
  );
}
