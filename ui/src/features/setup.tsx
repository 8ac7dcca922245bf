// First run (demo banks or a gateway; keyring or passphrase) and unlock.
import { useState } from "preact/hooks";
import type { AppStatus, IpcError, Mode } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner } from "./ui";
import { RestoreForm } from "./backups";

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
      setError({ code: "invalid", message: "the two passphrases differ" });
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
      <div class="welcome">
        <div class="card setup" data-testid="setup-restore">
          <div class="brand big"><span class="logo" aria-hidden="true">S</span> Restore from a backup</div>
          <p class="muted">Your accounts, history, categories and bank connections come back from the backup. Banks may ask you to reconnect.</p>
          <p class="small">Banks through: <label class="check inline"><input type="radio" name="rmode" checked={mode === "sandbox"} onChange={() => setMode("sandbox")} /> the demo banks</label>{" "}
            <label class="check inline"><input type="radio" name="rmode" checked={mode === "gateway"} onChange={() => setMode("gateway")} /> my gateway</label></p>
          {mode === "gateway" && (
            <label class="field">Gateway address
              <input type="url" placeholder="https://gateway.example" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
            </label>
          )}
          <RestoreForm status={props.status} mode={mode} gatewayUrl={mode === "gateway" ? url : undefined} onDone={props.onDone} />
          <button type="button" class="ghost small" onClick={() => setRestore(false)}>Start fresh instead</button>
        </div>
      </div>
    );
  }

  return (
    <div class="welcome">
      <form class="card setup" onSubmit={submit}>
        <div class="brand big"><span class="logo" aria-hidden="true">S</span> Saldo</div>
        <p class="lead">All your bank accounts in one place — offline, in an encrypted file on this computer.</p>
        <fieldset>
          <legend>How do you want to start?</legend>
          <label class={`choice ${mode === "sandbox" ? "chosen" : ""}`}>
            <input type="radio" name="mode" value="sandbox" checked={mode === "sandbox"} onChange={() => setMode("sandbox")} data-choice="sandbox" />
            <span><strong>Try with demo banks</strong><br /><span class="muted">Simulated banks with realistic data. Nothing leaves this computer.</span></span>
          </label>
          <label class={`choice ${mode === "gateway" ? "chosen" : ""}`}>
            <input type="radio" name="mode" value="gateway" checked={mode === "gateway"} onChange={() => setMode("gateway")} data-choice="gateway" />
            <span><strong>Use my gateway</strong><br /><span class="muted">Connect real banks through your open-banking gateway.</span></span>
          </label>
          {mode === "gateway" && (
            <label class="field">Gateway address
              <input type="url" required placeholder="https://gateway.example" value={url} onInput={(e) => setUrl(e.currentTarget.value)} data-field="gateway-url" />
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>Protecting your data</legend>
          {props.status.keyring_available ? (
            <label class="check">
              <input type="checkbox" checked={usePass} onChange={(e) => setUsePass(e.currentTarget.checked)} data-field="use-passphrase" />
              Use a passphrase instead of the system keyring
            </label>
          ) : (
            <p class="muted">No system keyring is available, so a passphrase protects your data. Keep it safe: without it the data cannot be opened.</p>
          )}
          {!usePass && <p class="muted small">A random key is kept in your system keyring; Saldo unlocks by itself.</p>}
          {usePass && (
            <div class="row">
              <label class="field">Passphrase<input type="password" autocomplete="new-password" minLength={8} required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="passphrase" /></label>
              <label class="field">Repeat<input type="password" autocomplete="new-password" required value={pass2} onInput={(e) => setPass2(e.currentTarget.value)} data-field="passphrase-repeat" /></label>
            </div>
          )}
        </fieldset>
        {error && <Banner kind="error" title="Not set up yet">{error.message}</Banner>}
        <button class="primary wide" type="submit" disabled={busy} data-action="start">{busy ? "Setting up…" : "Start using Saldo"}</button>
        <button type="button" class="ghost wide" onClick={() => setRestore(true)} data-action="setup-restore">Restore from a backup…</button>
        <p class="muted small">Data folder: {props.status.data_dir}</p>
      </form>
    </div>
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
    <div class="welcome">
      <form class="card setup narrow" onSubmit={submit}>
        <div class="brand big"><span class="logo" aria-hidden="true">S</span> Saldo is locked</div>
        <label class="field">Passphrase
          <input type="password" autocomplete="current-password" required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="unlock-passphrase" />
        </label>
        {error && <Banner kind="error" title={error.code === "wrong_passphrase" ? "Wrong passphrase" : "Could not unlock"}>{error.code === "wrong_passphrase" ? "That passphrase does not open your data. Nothing was changed." : error.message}</Banner>}
        <button class="primary wide" type="submit" disabled={busy} data-action="unlock">{busy ? "Unlocking…" : "Unlock"}</button>
      </form>
    </div>
  );
}
