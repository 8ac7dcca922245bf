// First run (demo banks or a gateway; keyring or passphrase) and unlock.
import { useState } from "preact/hooks";
import type { AppStatus, IpcError, Mode } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";
import { RestoreForm } from "./backups";
import { t } from "../i18n";

export function Setup(props: { status: AppStatus; onDone: (s: AppStatus) => void }) {
  const [mode, setMode] = useState<Mode>("sandbox");
  const [url, setUrl] = useState("");
  const [usePass, setUsePass] = useState(!props.status.keyring_available);
  const [pass, setPass] = useState("");
  const [pass2, setPass2] = useState("");
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const [restore, setRestore] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (usePass && pass !== pass2) {
      setError({ code: "invalid", message: t("common.passphrasesDiffer") });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      props.onDone(await api.setup({ mode, gateway_url: mode === "gateway" ? url : null, passphrase: usePass ? pass : null }));
    } catch (err) {
      setError(asError(err));
    } finally {
      setBusy(false);
    }
  };

  if (restore) {
    return (
      <main class="welcome">
        <div class="card setup" data-testid="setup-restore">
          <h1 class="brand big"><span class="logo" aria-hidden="true">S</span> {t("setup.restoreTitle")}</h1>
          <p class="muted">{t("setup.restoreText")}</p>
          <p class="small">{t("setup.banksThrough")} <label class="check inline"><input type="radio" name="rmode" checked={mode === "sandbox"} onChange={() => setMode("sandbox")} /> {t("setup.throughDemo")}</label>{" "}
            <label class="check inline"><input type="radio" name="rmode" checked={mode === "gateway"} onChange={() => setMode("gateway")} /> {t("setup.throughGateway")}</label></p>
          {mode === "gateway" && (
            <label class="field">{t("common.gatewayAddress")}
              <input type="url" placeholder="https://gateway.example" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
            </label>
          )}
          <RestoreForm status={props.status} mode={mode} gatewayUrl={mode === "gateway" ? url : undefined} onDone={props.onDone} />
          <button type="button" class="ghost small" onClick={() => setRestore(false)}>{t("setup.startFresh")}</button>
        </div>
      </main>
    );
  }

  return (
    <main class="welcome">
      <form class="card setup" onSubmit={submit}>
        <h1 class="brand big"><span class="logo" aria-hidden="true">S</span> Saldo</h1>
        <p class="lead">{t("setup.lead")}</p>
        <fieldset>
          <legend>{t("setup.how")}</legend>
          <label class={`choice ${mode === "sandbox" ? "chosen" : ""}`}>
            <input type="radio" name="mode" value="sandbox" checked={mode === "sandbox"} onChange={() => setMode("sandbox")} data-choice="sandbox" />
            <span><strong>{t("setup.demo")}</strong><br /><span class="muted">{t("setup.demoText")}</span></span>
          </label>
          <label class={`choice ${mode === "gateway" ? "chosen" : ""}`}>
            <input type="radio" name="mode" value="gateway" checked={mode === "gateway"} onChange={() => setMode("gateway")} data-choice="gateway" />
            <span><strong>{t("setup.gateway")}</strong><br /><span class="muted">{t("setup.gatewayText")}</span></span>
          </label>
          {mode === "gateway" && (
            <label class="field">{t("common.gatewayAddress")}
              <input type="url" required placeholder="https://gateway.example" value={url} onInput={(e) => setUrl(e.currentTarget.value)} data-field="gateway-url" />
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>{t("setup.protect")}</legend>
          {props.status.keyring_available ? (
            <label class="check">
              <input type="checkbox" checked={usePass} onChange={(e) => setUsePass(e.currentTarget.checked)} data-field="use-passphrase" />
              {t("setup.usePassphrase")}
            </label>
          ) : (
            <p class="muted">{t("setup.noKeyring")}</p>
          )}
          {!usePass && <p class="muted small">{t("setup.keyring")}</p>}
          {usePass && (
            <div class="row">
              <label class="field">{t("common.passphrase")}<input type="password" autocomplete="new-password" minLength={8} required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="passphrase" /></label>
              <label class="field">{t("common.repeat")}<input type="password" autocomplete="new-password" required value={pass2} onInput={(e) => setPass2(e.currentTarget.value)} data-field="passphrase-repeat" /></label>
            </div>
          )}
        </fieldset>
        {error && <Banner kind="error" title={t("setup.failed")}>{error.message}</Banner>}
        <button class="primary wide" type="submit" disabled={busy} data-action="start">{busy ? t("setup.busy") : t("setup.start")}</button>
        <button type="button" class="ghost wide" onClick={() => setRestore(true)} data-action="setup-restore">{t("setup.restore")}</button>
        <p class="muted small">{t("setup.dataFolder", { dir: props.status.data_dir })}</p>
      </form>
    </main>
  );
}

export function Unlock(props: { status: AppStatus; onDone: (s: AppStatus) => void }) {
  const [pass, setPass] = useState("");
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      props.onDone(await api.unlock(pass));
    } catch (err) {
      setError(asError(err));
      setPass("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="welcome">
      <form class="card setup narrow" onSubmit={submit}>
        <h1 class="brand big"><span class="logo" aria-hidden="true">S</span> {t("unlock.title")}</h1>
        <label class="field">{t("common.passphrase")}
          <input type="password" autocomplete="current-password" required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="unlock-passphrase" />
        </label>
        {error && <Banner kind="error" title={error.code === "wrong_passphrase" ? t("unlock.wrong") : t("unlock.failed")}>{error.code === "wrong_passphrase" ? t("unlock.wrongText") : error.message}</Banner>}
        <button class="primary wide" type="submit" disabled={busy} data-action="unlock">{busy ? t("unlock.busy") : t("unlock.button")}</button>
      </form>
    </main>
  );
}
