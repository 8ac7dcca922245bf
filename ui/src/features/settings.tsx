// Settings: gateway (shown), automatic daily sync, theme, the key, backups.
import { useState } from "preact/hooks";
import type { AppStatus, IpcError, Theme } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";
import { BackupCard, KeyCard } from "./backups";

const THEMES: readonly Theme[] = ["system", "light", "dark"];

export function SettingsScreen(props: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const [error, setError] = useState<IpcError | null>(null);
  const s = props.status;
  const [url, setUrl] = useState(s.gateway_url ?? "");
  const [tested, setTested] = useState<string | null>(null);
  const save = async (patch: Partial<AppStatus["settings"]>) => {
    try { props.onStatus(await api.saveSettings({ ...s.settings, ...patch })); } catch (e) { setError(asError(e)); }
  };
  return (
    <section>
      <header class="page-head"><h1>Settings</h1></header>
      {error && <Banner kind="error" title="Not saved" onClose={() => setError(null)}>{error.message}</Banner>}
      <div class="card settings">
        <h2>Banks</h2>
        <p>{s.mode === "sandbox" ? "Demo banks: a simulated gateway running inside Saldo." : `Gateway: ${s.gateway_url ?? ""}`}</p>
        <details class="small" data-testid="change-gateway">
          <summary>Change gateway</summary>
          <p class="muted small">Your data stays. Banks connected through the other gateway ask you to reconnect them through the new one.</p>
          <div class="row">
            <input type="url" aria-label="Gateway address" placeholder="https://gateway.example" value={url} onInput={(e) => { setUrl(e.currentTarget.value); setTested(null); }} />
            <button data-action="test-gateway" disabled={!url.trim()} onClick={() => api.testGateway(url).then((t) => setTested(`Reached: ${t.banks} bank(s) in ${t.countries} countries.`), (e) => setTested(`Not reached: ${asError(e).message}`))}>Test connection</button>
            <button data-action="use-gateway" disabled={!url.trim()} onClick={() => api.changeGateway("gateway", url).then(props.onStatus, (e) => setError(asError(e)))}>Use this gateway</button>
          </div>
          {tested && <p class="small" data-testid="gateway-test" role="status">{tested}</p>}
          {s.mode === "gateway" && <button class="ghost small" data-action="use-demo" onClick={() => api.changeGateway("sandbox", null).then(props.onStatus, (e) => setError(asError(e)))}>Use the demo banks instead</button>}
        </details>
        <p class="muted small">Bank callbacks: {s.deep_link ? "saldo:// links" : "a local address on 127.0.0.1 (saldo:// is not registered)"}</p>
        <label class="check"><input type="checkbox" checked={s.settings.auto_sync} onChange={(e) => save({ auto_sync: e.currentTarget.checked })} /> Sync automatically once a day (never asks you to sign in; banks that need it are flagged)</label>
        <details class="small">
          <summary>How Saldo names itself to the gateway</summary>
          <p class="muted small">Sent with every bank connection (the gateway's <span class="mono">tppContext</span>). Leave empty unless your gateway's operator gave you values.</p>
          <label class="field">TPP id
            <input data-setting="tpp-id" placeholder="saldo" value={s.settings.tpp_id ?? ""} onChange={(e) => save({ tpp_id: e.currentTarget.value.trim() || null })} />
          </label>
          <label class="field">App name
            <input data-setting="app-name" placeholder="Saldo" value={s.settings.app_name ?? ""} onChange={(e) => save({ app_name: e.currentTarget.value.trim() || null })} />
          </label>
        </details>
        <h2>Appearance</h2>
        <div class="row" role="radiogroup" aria-label="Theme">
          {THEMES.map((t) => (
            <label class="check"><input type="radio" name="theme" checked={s.settings.theme === t} onChange={() => save({ theme: t })} data-theme-choice={t} /> {t === "system" ? "Follow the system" : t[0]?.toUpperCase() + t.slice(1)}</label>
          ))}
        </div>
      </div>
      <KeyCard status={s} onStatus={props.onStatus} />
      <BackupCard status={s} onStatus={props.onStatus} />
    </section>
  );
}
