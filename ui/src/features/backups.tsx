// Nothing lost: the recovery code (shown once, confirmed by retyping,
// printable), backups to a folder the person picks, restore (on the first
// run or over the current data), and the key settings.
import { useEffect, useState } from "preact/hooks";
import type { AppStatus, BackupStatus, BackupToRestore, IpcError, Mode } from "../bindings";
import { api, asError } from "../backend/api";
import { Banner, Modal } from "./ui";

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

function size(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} kB`;
}

function when(rfc3339: string): string {
  const d = new Date(rfc3339);
  return Number.isNaN(d.getTime()) ? rfc3339 : d.toLocaleString();
}

/** The code, once: it closes only when the person typed it back. */
export function RecoveryCodeDialog(props: { code: string; onDone: () => void }) {
  const [typed, setTyped] = useState("");
  const [nudge, setNudge] = useState(false);
  const ok = sameCode(typed, props.code);
  return (
    <Modal title="Your recovery code" onClose={() => setNudge(true)}>
      <div class="recovery-sheet" data-testid="recovery-sheet">
        <p>This code opens your backups on any computer, even if this one is lost or its keyring is reset. Saldo does not keep it: write it down or print this page, and store it somewhere safe, away from this computer.</p>
        <p class="recovery-code mono" data-testid="recovery-code" aria-label="Recovery code">{props.code}</p>
        <ol class="small">
          <li>Install Saldo on the new computer.</li>
          <li>On its first screen choose “Restore from a backup”.</li>
          <li>Pick your latest backup file and type this code.</li>
        </ol>
        <p class="muted small">Anyone with this code and one of your backup files can read your financial history. A new code replaces this one for backups made from then on.</p>
      </div>
      <div class="no-print">
        <label class="field">Type the code again to confirm you have it
          <input class="mono" autocomplete="off" spellcheck={false} value={typed} onInput={(e) => setTyped(e.currentTarget.value)} data-field="recovery-confirm" />
        </label>
        {nudge && !ok && <p class="small warn" role="status">Type the code above to close this window: without it, your backups cannot be opened elsewhere.</p>}
        <div class="row">
          <button onClick={() => window.print()} data-action="print-code">Print…</button>
          <button class="primary" disabled={!ok} onClick={props.onDone} data-action="confirm-code">I have written it down</button>
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
      <h2>Backups and recovery</h2>
      {error && <Banner kind="error" title="That did not work" onClose={() => setError(null)}>{error.message}</Banner>}
      {b && !b.has_recovery_code && (
        <Banner kind="warning" title="No recovery code yet">Without one, a backup opens only with this computer's keyring. Make one and keep it safe.</Banner>
      )}
      <div class="row">
        <button data-action="make-recovery-code" disabled={busy !== null} onClick={() => act("code", async () => { setCode((await api.makeRecoveryCode()).code); })}>
          {b?.has_recovery_code ? "Make a new recovery code" : "Make a recovery code"}
        </button>
      </div>
      <p>Backups go to <span class="mono" data-testid="backup-folder">{b?.folder ?? "…"}</span></p>
      <p class="muted small">Pick a folder that a sync tool or cloud drive watches to keep a copy elsewhere. Backups stay encrypted; Saldo writes one after each day with a successful sync and keeps 7 daily, 4 weekly and 12 monthly.</p>
      <div class="row">
        <button data-action="choose-backup-folder" disabled={busy !== null} onClick={() => act("folder", async () => { const s = await api.chooseBackupFolder(); if (s) setB(s); })}>Choose folder…</button>
        <button class="primary" data-action="backup-now" disabled={busy !== null} onClick={() => act("backup", async () => { const i = await api.backupNow(); setDone(`Backed up: ${i.name} (${size(i.bytes)})`); await reload(); })}>
          {busy === "backup" ? "Backing up…" : "Back up now"}
        </button>
        <button data-action="restore-open" disabled={busy !== null} onClick={() => setRestoring(true)}>Restore a backup…</button>
      </div>
      {done && <p class="small ok" role="status" data-testid="backup-done">{done}</p>}
      {b && b.backups.length > 0 && (
        <ul class="plain small" data-testid="backup-list" aria-label="Latest backups">
          {b.backups.map((i) => <li key={i.path}><span class="mono">{i.name}</span> · {when(i.created_at)} · {size(i.bytes)}</li>)}
        </ul>
      )}
      {b && b.count === 0 && <p class="muted small">No backups in this folder yet.</p>}
      {code && <RecoveryCodeDialog code={code} onDone={() => { setCode(null); void reload(); }} />}
      {restoring && (
        <Modal title="Restore a backup" onClose={() => setRestoring(false)} wide>
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
    if (usePass && pass !== pass2) { setError({ code: "invalid", message: "the two passphrases differ" }); return; }
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
        <button type="button" onClick={pick} data-action="choose-backup-file">{file ? "Choose another file…" : "Choose a backup file…"}</button>
        {file && <span class="small" data-testid="restore-file">Backup of {when(file.created_at)} (Saldo {file.app_version})</span>}
      </div>
      {file && (
        <>
          <label class="field">{file.opens_with_passphrase ? "Recovery code, or the passphrase Saldo had then" : "Recovery code"}
            <input type="password" autocomplete="off" spellcheck={false} required value={secret} onInput={(e) => setSecret(e.currentTarget.value)} data-field="restore-secret" />
          </label>
          {props.status.keyring_available ? (
            <label class="check"><input type="checkbox" checked={usePass} onChange={(e) => setUsePass(e.currentTarget.checked)} data-field="restore-use-passphrase" /> Protect the restored data with a passphrase instead of this computer's keyring</label>
          ) : <p class="muted small">There is no keyring here: choose a passphrase for the restored data.</p>}
          {usePass && (
            <div class="row">
              <label class="field">New passphrase<input type="password" autocomplete="new-password" minLength={8} required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="restore-passphrase" /></label>
              <label class="field">Repeat<input type="password" autocomplete="new-password" required value={pass2} onInput={(e) => setPass2(e.currentTarget.value)} data-field="restore-passphrase-repeat" /></label>
            </div>
          )}
          {file.replaces_newer && (
            <label class="check warn"><input type="checkbox" checked={confirmNewer} onChange={(e) => setConfirmNewer(e.currentTarget.checked)} data-field="restore-overwrite" /> The data here changed after this backup was made. Replace it anyway (it is kept aside, not deleted).</label>
          )}
        </>
      )}
      {error && <Banner kind="error" title="Not restored">{sentence(error.message)} Nothing was changed.</Banner>}
      <button class="primary" type="submit" disabled={!file || busy || (file.replaces_newer && !confirmNewer)} data-action="restore">{busy ? "Checking and restoring…" : "Restore"}</button>
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
    if (open !== "to-keyring" && pass !== pass2) { setError({ code: "invalid", message: "the two passphrases differ" }); return; }
    setBusy(true);
    setError(null);
    try {
      const next = await api.changeProtection(passMode ? current : null, open === "to-keyring" ? null : pass);
      setOk(open === "to-keyring" ? "Your data is now protected by a key in this computer's keyring." : open === "change" ? "Passphrase changed." : "Your data is now protected by your passphrase.");
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
      <h2>Security</h2>
      <p>Your data is encrypted with {passMode ? "your passphrase" : "a key in your system keyring"}.</p>
      <p class="muted small">Data folder: <span class="mono">{s.data_dir}</span></p>
      {ok && <p class="small ok" role="status" data-testid="key-done">{ok}</p>}
      <div class="row">
        {passMode && <button data-action="change-passphrase" onClick={() => { setOpen("change"); setOk(null); }}>Change passphrase…</button>}
        {passMode && s.keyring_available && <button data-action="to-keyring" onClick={() => { setOpen("to-keyring"); setOk(null); }}>Use the keyring instead…</button>}
        {!passMode && <button data-action="to-passphrase" onClick={() => { setOpen("to-pass"); setOk(null); }}>Use a passphrase instead…</button>}
        {passMode && <button data-action="lock" onClick={() => api.lock().then(props.onStatus, (e) => setError(asError(e)))}>Lock now</button>}
      </div>
      {passMode && (
        <label class="field inline">Lock after
          <select data-setting="lock-after" value={minutes ?? 0} onChange={(e) => {
            const v = Number(e.currentTarget.value);
            api.saveSettings({ ...s.settings, lock_after_minutes: v > 0 ? v : null }).then(props.onStatus, (err) => setError(asError(err)));
          }}>
            <option value={0}>never</option>
            {[5, 15, 30, 60].map((m) => <option value={m}>{m} minutes without use</option>)}
          </select>
        </label>
      )}
      {open && (
        <form class="key-form" onSubmit={submit} data-testid="key-form">
          {passMode && (
            <label class="field">Current passphrase<input type="password" autocomplete="current-password" required value={current} onInput={(e) => setCurrent(e.currentTarget.value)} data-field="current-passphrase" /></label>
          )}
          {open !== "to-keyring" && (
            <div class="row">
              <label class="field">New passphrase<input type="password" autocomplete="new-password" minLength={8} required value={pass} onInput={(e) => setPass(e.currentTarget.value)} data-field="new-passphrase" /></label>
              <label class="field">Repeat<input type="password" autocomplete="new-password" required value={pass2} onInput={(e) => setPass2(e.currentTarget.value)} data-field="new-passphrase-repeat" /></label>
            </div>
          )}
          <p class="muted small">Saldo re-encrypts your data; this takes a moment with many transactions. Your recovery code keeps working.</p>
          {error && <Banner kind="error" title="Not changed">{error.code === "wrong_passphrase" ? "That is not your current passphrase." : error.message}</Banner>}
          <div class="row">
            <button type="button" onClick={() => { setOpen(null); setError(null); }}>Cancel</button>
            <button class="primary" type="submit" disabled={busy} data-action="apply-key">{busy ? "Re-encrypting…" : "Apply"}</button>
          </div>
        </form>
      )}
      {!open && error && <Banner kind="error" title="Not changed" onClose={() => setError(null)}>{error.message}</Banner>}
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
    <Modal title="Keep your history safe" onClose={props.onDone}>
      <p>Your bank gives back only a few months of history if you have to connect it again. If this computer is lost or its keyring reset, a recovery code and a backup bring all of it back — here or on a new computer.</p>
      <p class="muted small">Saldo shows the code once; you write it down or print it. Backups go to a folder you choose in Settings.</p>
      {error && <Banner kind="error" title="No code made">{error.message}</Banner>}
      <div class="row">
        <button class="primary" data-action="recovery-now" onClick={() => api.makeRecoveryCode().then((c) => setCode(c.code), (e) => setError(asError(e)))}>Make my recovery code</button>
        <button data-action="recovery-later" onClick={props.onDone}>Later (Settings → Backups)</button>
      </div>
    </Modal>
  );
}
