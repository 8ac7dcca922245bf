// Settings: gateway (shown), automatic daily sync, theme, language, the key, backups.
import { useState } from "preact/hooks";
import type { AppStatus, IpcError, Theme } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";
import { BackupCard, KeyCard } from "./backups";
import { BackgroundCard } from "./background";
import { LANGUAGES, LANGUAGE_NAMES, systemLanguage, t, tx } from "../i18n";

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
      <header class="page-head"><h1>{t("nav.settings")}</h1></header>
      {error && <Banner kind="error" title={t("settings.notSaved")} onClose={() => setError(null)}>{error.message}</Banner>}
      <div class="card settings">
        <h2>{t("nav.banks")}</h2>
        <p>{s.mode === "sandbox" ? t("settings.sandbox") : t("settings.gateway", { url: s.gateway_url ?? "" })}</p>
        <details class="small" data-testid="change-gateway">
          <summary>{t("settings.changeGateway")}</summary>
          <p class="muted small">{t("settings.changeGatewayText")}</p>
          <div class="row">
            <input type="url" aria-label={t("common.gatewayAddress")} placeholder="https://gateway.example" value={url} onInput={(e) => { setUrl(e.currentTarget.value); setTested(null); }} />
            <button data-action="test-gateway" disabled={!url.trim()} onClick={() => api.testGateway(url).then((r) => setTested(t("settings.reached", { banks: r.banks, countries: r.countries })), (e) => setTested(t("settings.notReached", { error: asError(e).message })))}>{t("settings.testGateway")}</button>
            <button data-action="use-gateway" disabled={!url.trim()} onClick={() => api.changeGateway("gateway", url).then(props.onStatus, (e) => setError(asError(e)))}>{t("settings.useGateway")}</button>
          </div>
          {tested && <p class="small" data-testid="gateway-test" role="status">{tested}</p>}
          {s.mode === "gateway" && <button class="ghost small" data-action="use-demo" onClick={() => api.changeGateway("sandbox", null).then(props.onStatus, (e) => setError(asError(e)))}>{t("settings.useDemo")}</button>}
        </details>
        <p class="muted small">{s.deep_link ? t("settings.callbacksDeepLink") : t("settings.callbacksLoopback")}</p>
        <label class="check"><input type="checkbox" checked={s.settings.auto_sync} onChange={(e) => save({ auto_sync: e.currentTarget.checked })} /> {t("settings.autoSync")}</label>
        <details class="small">
          <summary>{t("settings.identity")}</summary>
          <p class="muted small">{tx("settings.identityText", { mono: (chunks) => <span class="mono">{chunks}</span> })}</p>
          <label class="field">{t("settings.tppId")}
            <input data-setting="tpp-id" placeholder="saldo" value={s.settings.tpp_id ?? ""} onChange={(e) => save({ tpp_id: e.currentTarget.value.trim() || null })} />
          </label>
          <label class="field">{t("settings.appName")}
            <input data-setting="app-name" placeholder="Saldo" value={s.settings.app_name ?? ""} onChange={(e) => save({ app_name: e.currentTarget.value.trim() || null })} />
          </label>
        </details>
        <h2>{t("settings.appearance")}</h2>
        <div class="row" role="radiogroup" aria-label={t("settings.theme")}>
          {THEMES.map((theme) => (
            <label class="check" key={theme}><input type="radio" name="theme" checked={s.settings.theme === theme} onChange={() => save({ theme })} data-theme-choice={theme} /> {theme === "system" ? t("settings.themeSystem") : theme === "light" ? t("settings.themeLight") : t("settings.themeDark")}</label>
          ))}
        </div>
        <label class="field inline">{t("settings.language")}
          <select data-setting="language" value={s.settings.language ?? ""} onChange={(e) => save({ language: e.currentTarget.value || null })}>
            <option value="">{t("settings.languageSystem", { language: LANGUAGE_NAMES[systemLanguage()] })}</option>
            {LANGUAGES.map((l) => <option key={l} value={l} lang={l}>{LANGUAGE_NAMES[l]}</option>)}
          </select>
        </label>
      </div>
      <BackgroundCard status={s} onStatus={props.onStatus} />
      <KeyCard status={s} onStatus={props.onStatus} />
      <BackupCard status={s} onStatus={props.onStatus} />
    </section>
  );
}
