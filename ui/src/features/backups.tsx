// Nothing lost: the recovery code (shown once, confirmed by retyping,
// printable), backups to a folder the person picks, restore (on the first
// run or over the current data), and the key settings.
import { useEffect, useState } from "preact/hooks";
import type { AppStatus, BackupStatus, BackupToRestore, IpcError, Mode } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner, Modal } from "./ui";
import { bytes, when } from "../backend/format";
import { t, tx } from "../i18n";

/** A code compared as typed: case, spaces and dashes do not matter. */
export function sameCode(a: string, b: string): boolean {
  const norm = (s: string) => s.toUpperCase().replace(/[\s-]/g, "");
  return norm(a) !== "" && norm(a) === norm(b);
}

/** A message as a sentence: capital first, full stop last. */
function sentence(m: string): string {
  const t = m.trim();
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** The code, once: it closes only when the person typed it back. */
export function RecoveryCodeDialog(props: { code: string; onDone: () => void }) {
  const [typed, setTyped] = useState("");
  const [nudge, setNudge] = useState(false);
  const ok = sameCode(typed, props.code);
  return (
    <Modal title={t("recovery.title")} onClose={() => setNudge(true)}>
      <div class="recovery-sheet" data-testid="recovery-sheet">
        <p>{t("recovery.text")}</p>
        <p class="recovery-code mono" data-testid="recovery-code" aria-label={t("recovery.code")}>{props.code}</p>
        <ol class="small">
          <li>{t("recovery.step1")}</li>
          <li>{t("recovery.step2")}</li>
          <li>{t("recovery.step3")}</li>
        </ol>
        <p class="muted small">{t("recovery.warning")}</p>
      </div>
      <div class="no-print">
        <label class="field">{t("recovery.retype")}
          <input class="mono" autocomplete="off" spellcheck={false} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-field="recovery-confirm" />
        </label>
        {nudge && !ok && <p class="small warn" role="status">{t("recovery.nudge")}</p>}
        <div class="row">
          <button onClick={() => window.print()} data-action="print-code">{t("recovery.print")}</button>
          <button class="primary" disabled={!ok} onClick={props.onDone} data-action="confirm-code">{t("recovery.confirm")}</button>
        </div>
      </div>
    </Modal>
  );
}

/** Settings: the recovery code, the backup folder, backups. */
export function BackupCard(props: { onStatus: (s: AppStatus) => void; status: AppStatus }) {
  const [b, setB] = useState<BackupStatus | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [restoring, setRestoring] = useState(false);
  const reload = () => api.backupStatus().then(setB, (e) => setError(asError(e)));
  useEffect(() => { void reload(); }, []);
  const act = async (what: string, f: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    setDone(null);
    try { await f(); } catch (e) { setError(asError(e)); } finally { setBusy(null); }
  };
  return (
    <div class="card settings" data-testid="backups">
      <h2>{t("backups.title")}</h2>
      {error && <Banner kind="error" title={t("common.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
      {b && !b.has_recovery_code && (
        <Banner kind="warning" title={t("backups.noCode")}>{t("backups.noCodeText")}</Banner>
      )}
      <div class="row">
        <button data-action="make-recovery-code" disabled={busy !== null} onClick={() => act("code", async () => { setCode((await api.makeRecoveryCode()).code); })}>
          {b?.has_recovery_code ? t("backups.newCode") : t("backups.makeCode")}
        </button>
      </div>
      <p>{tx("backups.folder", { folder: b?.folder ?? "…", mono: (chunks) => <span class="mono" data-testid="backup-folder">{chunks}</span> })}</p>
      <p class="muted small">{t("backups.folderText")}</p>
      <div class="row">
        <button data-action="choose-backup-folder" disabled={busy !== null} onClick={() => act("folder", async () => { const s = await api.chooseBackupFolder(); if (s) setB(s); })}>{t("backups.chooseFolder")}</button>
        <button class="primary" data-action="backup-now" disabled={busy !== null} onClick={() => act("backup", async () => { const i = await api.backupNow(); setDone(t("backups.done", { name: i.name, size: bytes(i.bytes) })); await reload(); })}>
          {busy === "backup" ? t("backups.busy") : t("backups.now")}
        </button>
        <button data-action="restore-open" disabled={busy !== null} onClick={() => setRestoring(true)}>{t("backups.restore")}</button>
      </div>
      {done && <p class="small ok" role="status" data-testid="backup-done">{done}</p>}
      {b && b.backups.length > 0 && (
        <ul class="plain small" data-testid="backup-list" aria-label={t("backups.latest")}>
          {b.backups.map((i) => <li key={i.path}><span class="mono">{i.name}</span> · {when(i.created_at)} · {bytes(i.bytes)}</li>)}
        </ul>
      )}
      {b && b.count === 0 && <p class="muted small">{t("backups.none")}</p>}
      {code && <RecoveryCodeDialog code={code} onDone={() => { setCode(null); void reload(); }} />}
      {restoring && (
        <Modal title={t("backups.restoreTitle")} onClose={() => setRestoring(false)} wide>
          <RestoreForm status={props.status} onDone={(s) => { setRestoring(false); props.onStatus(s); }} />
        </Modal>
      )}
    </div>
  );
}

/** Restore: pick the file, type the code (or the passphrase of the time), choose how the data is protected here. */
export function RestoreForm(props: { status: AppStatus; mode?: Mode; gatewayUrl?: string; onDone: (s: AppStatus) => void }) {
  const [file, setFile] = useState<BackupToRestore | null>(null);
  const [secret, setSecret] = useState("");
  const [usePass, setUsePass] = useState(!props.status.keyring_available);
  const [pass, setPass] = useState("");
  const [pass2, setPass2] = useState("");
  const [confirmNewer, setConfirmNewer] = useState(false);
  const [error, setError] = useState<IpcError | null>(null);
  const [busy, setBusy] = useState(false);
  const pick = async () => {
    setError(null);
    try { const f = await api.chooseBackupFile(); if (f) { setFile(f); setConfirmNewer(false); } } catch (e) { setError(asError(e)); }
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!file) return;
    if (usePass && pass !== pass2) { setError({ code: "invalid", message: t("common.passphrasesDiffer") }); return; }
    setBusy(true);
    setError(null);
    try {
      props.onDone(await api.restoreBackup({
        path: file.path, secret, passphrase: usePass ? pass : null, overwrite_newer: confirmNewer,
        mode: props.mode ?? null, gateway_url: props.gatewayUrl ?? null,
      }));
    } catch (err) {
      setError(asError(err));
      setSecret("");
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="restore" onSubmit={submit} data-testid="restore-form">
      <div class="row">
        <button type="button" onClick={pick} data-action="choose-backup-file">{file ? t("restore.another") : t("restore.choose")}</button>
        {file && <span class="small" data-testid="restore-file">{t("restore.file", { when: when(file.created_at), version: file.app_version })}</span>}
      </div>
      {file && (
        <>
          <label class="field">{file.opens_with_passphrase ? t("restore.secretOrPassphrase") : t("recovery.code")}
            <input type="password" autocomplete="off" spellcheck={false} required value={secret} onInput={(e) => setSecret(e.currentTarget.value)} data-field="restore-secret" />
          </label>
          {props.status.keyring_available ? (
            <label class="check"><input type="checkbox" checked={usePass} onChange={(e) => setUsePass(e.currentTarget.checked)} data-field="restore-use-passphrase" /> {t("restore.usePassphrase")}</label>
          ) : <p class="muted small">{t("restore.noKeyring")}</p>}
          {usePass && (
            <div class="row">
              <label class="field">{t("common.newPassphrase")}<input type="password" autocomplete="new-password" minLength={8} required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="restore-passphrase" /></label>
              <label class="field">{t("common.repeat")}<input type="password" autocomplete="new-password" required value={pass2} onInput={(e) => setPass2(e.currentTarget.value)} data-field="restore-passphrase-repeat" /></label>
            </div>
          )}
          {file.replaces_newer && (
            <label class="check warn"><input type="checkbox" checked={confirmNewer} onChange={(e) => setConfirmNewer(e.currentTarget.checked)} data-field="restore-overwrite" /> {t("restore.overwrite")}</label>
          )}
        </>
      )}
      {error && <Banner kind="error" title={t("restore.failed")}>{t("restore.failedText", { error: sentence(error.message) })}</Banner>}
      <button class="primary" type="submit" disabled={!file || busy || (file.replaces_newer && !confirmNewer)} data-action="restore">{busy ? t("restore.busy") : t("restore.button")}</button>
    </form>
  );
}

/** Settings: how the key is kept; change the passphrase or move between keyring and passphrase. */
export function KeyCard(props: { status: AppStatus; onStatus: (s: AppStatus) => void }) {
  const s = props.status;
  const [open, setOpen] = useState<"change" | "to-pass" | "to-keyring" | null>(null);
  const [current, setCurrent] = useState("");
  const [pass, setPass] = useState("");
  const [pass2, setPass2] = useState("");
  const [error, setError] = useState<IpcError | null>(null);
  const [ok, setOk] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passMode = s.protection === "passphrase";
  const submit = async (e: Event) => {
    e.preventDefault();
    if (open !== "to-keyring" && pass !== pass2) { setError({ code: "invalid", message: t("common.passphrasesDiffer") }); return; }
    setBusy(true);
    setError(null);
    try {
      const next = await api.changeProtection(passMode ? current : null, open === "to-keyring" ? null : pass);
      setOk(open === "to-keyring" ? t("key.nowKeyring") : open === "change" ? t("key.changed") : t("key.nowPassphrase"));
      setOpen(null);
      setCurrent(""); setPass(""); setPass2("");
      props.onStatus(next);
    } catch (err) {
      setError(asError(err));
    } finally {
      setBusy(false);
    }
  };
  const minutes = s.settings.lock_after_minutes;
  return (
    <div class="card settings" data-testid="key-settings">
      <h2>{t("key.title")}</h2>
      <p>{passMode ? t("key.byPassphrase") : t("key.byKeyring")}</p>
      <p class="muted small">{tx("key.dataFolder", { dir: s.data_dir, mono: (chunks) => <span class="mono">{chunks}</span> })}</p>
      {ok && <p class="small ok" role="status" data-testid="key-done">{ok}</p>}
      <div class="row">
        {passMode && <button data-action="change-passphrase" onClick={() => { setOpen("change"); setOk(null); }}>{t("key.change")}</button>}
        {passMode && s.keyring_available && <button data-action="to-keyring" onClick={() => { setOpen("to-keyring"); setOk(null); }}>{t("key.toKeyring")}</button>}
        {!passMode && <button data-action="to-passphrase" onClick={() => { setOpen("to-pass"); setOk(null); }}>{t("key.toPassphrase")}</button>}
        {passMode && <button data-action="lock" onClick={() => api.lock().then(props.onStatus, (e) => setError(asError(e)))}>{t("key.lock")}</button>}
      </div>
      {passMode && (
        <label class="field inline">{t("key.lockAfter")}
          <select data-setting="lock-after" value={minutes ?? 0} onChange={(e) => {
            const v = Number(e.currentTarget.value);
            api.saveSettings({ ...s.settings, lock_after_minutes: v > 0 ? v : null }).then(props.onStatus, (err) => setError(asError(err)));
          }}>
            <option value={0}>{t("key.never")}</option>
            {[5, 15, 30, 60].map((m) => <option key={m} value={m}>{t("key.minutes", { minutes: m })}</option>)}
          </select>
        </label>
      )}
      {open && (
        <form class="key-form" onSubmit={submit} data-testid="key-form">
          {passMode && (
            <label class="field">{t("key.current")}<input type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} data-field="current-passphrase" /></label>
          )}
          {open !== "to-keyring" && (
            <div class="row">
              <label class="field">{t("common.newPassphrase")}<input type="password" autocomplete="new-password" minLength={8} required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="new-passphrase" /></label>
              <label class="field">{t("common.repeat")}<input type="password" autocomplete="new-password" required value={pass2} onInput={(e) => setPass2(e.currentTarget.value)} data-field="new-passphrase-repeat" /></label>
            </div>
          )}
          <p class="muted small">{t("key.reencrypt")}</p>
          {error && <Banner kind="error" title={t("key.failed")}>{error.code === "wrong_passphrase" ? t("key.wrong") : error.message}</Banner>}
          <div class="row">
            <button type="button" onClick={() => { setOpen(null); setError(null); }}>{t("common.cancel")}</button>
            <button class="primary" type="submit" disabled={busy} data-action="apply-key">{busy ? t("key.busy") : t("rules.apply")}</button>
          </div>
        </form>
      )}
      {!open && error && <Banner kind="error" title={t("key.failed")} onClose={() => setError(null)}>{error.message}</Banner>}
    </div>
  );
}

/** Right after the first run: offer the recovery code (a restored install
 *  already has one and is not asked). */
export function RecoveryOffer(props: { onDone: () => void }) {
  const [code, setCode] = useState<string | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [needed, setNeeded] = useState<boolean | null>(null);
  useEffect(() => {
    api.backupStatus().then((b) => { setNeeded(!b.has_recovery_code); if (b.has_recovery_code) props.onDone(); }, () => { setNeeded(false); props.onDone(); });
  }, []);
  if (!needed) return null;
  if (code) return <RecoveryCodeDialog code={code} onDone={props.onDone} />;
  return (
    <Modal title={t("offer.title")} onClose={props.onDone}>
      <p>{t("offer.text")}</p>
      <p class="muted small">{t("offer.note")}</p>
      {error && <Banner kind="error" title={t("offer.failed")}>{error.message}</Banner>}
      <div class="row">
        <button class="primary" data-action="recovery-now" onClick={() => api.makeRecoveryCode().then((c) => setCode(c.code), (e) => setError(asError(e)))}>{t("offer.now")}</button>
        <button data-action="recovery-later" onClick={props.onDone}>{t("offer.later")}</button>
      </div>
    </Modal>
  );
}
