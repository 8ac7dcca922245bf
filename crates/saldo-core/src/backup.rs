//! Nothing lost: the recovery code, encrypted backups, restore, and the key
//! settings (issue 16). Both shells call these; neither handles a key.
//!
//! ## The backup file
//! `saldo-YYYY-MM-DD-HHMMSS.saldo-backup` (UTC), one file:
//!
//! ```text
//! SALDO-BACKUP/1\n
//! {header JSON, one line}\n
//! the SQLCipher database, encrypted with the database key, to the end
//! ```
//!
//! The header ([`BackupHeader`]) holds nothing private: the format, Saldo
//! and schema versions, the time, the database's length and SHA-256 (a
//! truncated or altered file is refused before any cryptography), the
//! database key sealed to the recovery code's public key, the passphrase's
//! Argon2id parameters when the install was passphrase-protected (so either
//! the code or the passphrase opens it), and the manifest (account numbers,
//! counts, exact sums) sealed under the database key. Never the key in clear.
//!
//! ## Restore
//! The key is unsealed and proven (the sealed manifest opens) before any
//! file is written; the database is extracted beside `saldo.db`, checked
//! (integrity, counts and sums equal the manifest, schema not newer),
//! re-keyed to the install's key source, then switched in by renames
//! recorded in an intent file (`saldo.db.restore.json`): a crash at any
//! moment leaves the old database (the intent not yet written) or the new
//! one (the next open finishes the renames, [`finish_interrupted_restore`]),
//! never a mix. The replaced database is kept as
//! `saldo.db.before-restore-<time>`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use saldo_store::backup::Manifest;
use saldo_store::{StoreError, DB_FILE_NAME, LATEST_VERSION};
use saldo_vault::{
    DbKey, KdfParams, Passphrase, PassphraseFile, RecoveryCode, RecoveryFile, RecoveryPublic, SealedData, SealedKey,
    SecretStore, Sensitive, VaultError,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::session::{Protection, Session};
use crate::{CoreError, Result};

/// The first line of a backup file.
pub const MAGIC: &str = "SALDO-BACKUP/1";
/// The extension of backup files.
pub const EXTENSION: &str = "saldo-backup";
/// The setting that holds the backup folder the person chose.
pub const FOLDER_SETTING: &str = "backup.folder";
/// The setting that holds the UTC day of the last automatic backup.
pub const LAST_AUTOMATIC_SETTING: &str = "backup.last_automatic";
/// The manifest's purpose label when sealed under the database key.
const MANIFEST_PURPOSE: &str = "backup manifest";
/// The intent file of a restore in progress, beside the database.
const INTENT_FILE: &str = "saldo.db.restore.json";

/// The keys of a backup: whatever can open it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BackupKeys {
    /// The database key sealed to the recovery code of the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<SealedKey>,
    /// The passphrase's Argon2id parameters (the passphrase derives the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<KdfParams>,
}

/// Where the database lies in the file, to check it before trusting it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DatabaseDigest {
    /// Its length in bytes.
    pub bytes: u64,
    /// Its SHA-256, hex.
    pub sha256: String,
}

/// The clear header of a backup file: nothing private (see the module doc).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackupHeader {
    /// The Saldo version that made it.
    pub app_version: String,
    /// Its schema version (a newer one is refused before unlocking).
    pub schema_version: i64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// The database's length and digest.
    pub database: DatabaseDigest,
    /// What opens it.
    pub keys: BackupKeys,
    /// The [`Manifest`], sealed under the database key.
    pub manifest: SealedData,
}

/// A backup written.
#[derive(Clone, Debug, Serialize)]
pub struct BackupInfo {
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub manifest: Manifest,
    /// Its size.
    pub bytes: u64,
}

/// What unlocks a backup.
#[derive(Debug)]
pub enum Secret {
    /// The recovery code.
    RecoveryCode(RecoveryCode),
    /// The passphrase the install had when the backup was made.
    Passphrase(Passphrase),
    /// What a person typed at one prompt: the code, or else the passphrase.
    Typed(Sensitive<String>),
}

/// How the restored database is protected.
#[derive(Debug)]
pub enum Protect {
    /// The OS keyring: the install's key when it has one, else the backup's
    /// key, stored there.
    Keyring,
    /// A passphrase (re-keyed to it, fresh Argon2id parameters).
    Passphrase(Passphrase),
}

/// Options of [`restore`].
#[derive(Debug)]
pub struct RestoreOptions {
    /// How the restored database is protected.
    pub protect: Protect,
    /// Replace an install whose data changed after the backup was made.
    pub overwrite_newer: bool,
    /// Argon2id costs of a new passphrase (`None`: production's).
    pub kdf_costs: Option<(u32, u32)>,
}

/// What a restore did.
#[derive(Clone, Debug, Serialize)]
pub struct RestoreInfo {
    /// The restored database's manifest.
    pub manifest: Manifest,
    /// Where the replaced database was kept, if there was one.
    pub kept_aside: Option<PathBuf>,
    /// How the restored database is protected.
    pub protection: Protection,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> CoreError {
    CoreError::Local(format!("{what} {}: {e}", path.display()))
}

fn damaged(why: impl std::fmt::Display) -> CoreError {
    CoreError::Store(StoreError::Corrupt(format!("the backup is damaged: {why}")))
}

// ---------------------------------------------------------------- recovery

/// Makes a new recovery code and returns it, to be shown once: its public
/// half replaces the previous one (which stops working for backups made
/// from now on), the code itself is stored nowhere.
pub fn recovery_code(session: &Session) -> Result<Sensitive<String>> {
    recovery_code_with(session, saldo_vault::recovery::RECOVERY_M_COST, saldo_vault::recovery::RECOVERY_T_COST)
}

/// [`recovery_code`] with chosen Argon2id costs (tests use small ones).
pub fn recovery_code_with(session: &Session, m_cost: u32, t_cost: u32) -> Result<Sensitive<String>> {
    let code = RecoveryCode::generate()?;
    let public = RecoveryPublic::generate_with(&code, m_cost, t_cost)?;
    // Prove the seal opens with this code before the old file is replaced.
    let sealed = session.store.seal_key(&public)?;
    saldo_vault::recovery::open(&sealed, &code)?;
    RecoveryFile::new(public).save(session.store.path())?;
    Ok(code.formatted())
}

/// Whether this install has a recovery code.
pub fn has_recovery_code(session: &Session) -> Result<bool> {
    Ok(RecoveryFile::load(session.store.path())?.is_some())
}

// ---------------------------------------------------------------- backup

/// The backup folder: the one the person chose (setting), else
/// `<data dir>/backups`.
pub fn backup_folder(session: &Session) -> Result<PathBuf> {
    folder_of(&Source::of(session))
}

fn folder_of(src: &Source<'_>) -> Result<PathBuf> {
    Ok(match src.store.setting(FOLDER_SETTING)? {
        Some(f) if !f.is_empty() => PathBuf::from(f),
        _ => src.data_dir.join("backups"),
    })
}

/// What a backup needs of a session: a connection to its store (the
/// session's, or one of its own so that a long backup holds no lock the
/// window needs), its data directory and how its key is kept.
pub struct Source<'a> {
    /// A connection to the install's database.
    pub store: &'a saldo_store::Store,
    /// The data directory.
    pub data_dir: &'a Path,
    /// Keyring or passphrase.
    pub protection: Protection,
}

impl<'a> Source<'a> {
    /// The session's own.
    pub fn of(session: &'a Session) -> Self {
        Self { store: &session.store, data_dir: session.data_dir(), protection: session.protection() }
    }
}

/// Chooses the backup folder (automatic backups go there).
pub fn set_backup_folder(session: &Session, folder: &Path) -> Result<()> {
    let text = folder
        .to_str()
        .ok_or_else(|| CoreError::Invalid(format!("{} is not a folder name Saldo can keep", folder.display())))?;
    if !folder.is_absolute() {
        return Err(CoreError::Invalid("choose the backup folder by its full path".into()));
    }
    Ok(session.store.set_setting(FOLDER_SETTING, text)?)
}

/// The file name of a backup made at `at`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("saldo-{}.{EXTENSION}", at.format("%Y-%m-%d-%H%M%S"))
}

/// When a backup named by [`file_name`] was made; `None` for other files.
pub fn time_of(name: &str) -> Option<DateTime<Utc>> {
    let stem = name.strip_prefix("saldo-")?.strip_suffix(&format!(".{EXTENSION}"))?;
    let stem = stem.get(..17)?; // a `-2` suffix of a second backup in one second is allowed
    chrono::NaiveDateTime::parse_from_str(stem, "%Y-%m-%d-%H%M%S").ok().map(|t| t.and_utc())
}

/// Writes a backup now, to `dir` or the backup folder: an online copy of the
/// database (consistent while a sync writes), still encrypted, with its key
/// sealed to the recovery code (and the passphrase's parameters when the
/// install has one). Refused when neither exists: such a backup could not be
/// opened on another computer.
pub fn backup_now(session: &Session, dir: Option<&Path>) -> Result<BackupInfo> {
    backup_at(session, dir, Utc::now())
}

/// [`backup_now`] at a given time (tests).
pub fn backup_at(session: &Session, dir: Option<&Path>, now: DateTime<Utc>) -> Result<BackupInfo> {
    backup_from(&Source::of(session), dir, now)
}

/// [`backup_at`] from any connection to the install's database.
pub fn backup_from(src: &Source<'_>, dir: Option<&Path>, now: DateTime<Utc>) -> Result<BackupInfo> {
    let db = src.store.path().to_path_buf();
    let recovery = RecoveryFile::load(&db)?;
    let passphrase = match src.protection {
        Protection::Passphrase => PassphraseFile::load(&db)?.map(|f| f.current),
        Protection::Keyring => None,
    };
    if recovery.is_none() && passphrase.is_none() {
        return Err(CoreError::Local(
            "make a recovery code first: without one (or a passphrase) a backup could not be opened on another computer"
                .into(),
        ));
    }
    let dir = match dir {
        Some(d) => d.to_path_buf(),
        None => folder_of(src)?,
    };
    std::fs::create_dir_all(&dir).map_err(|e| io_err("cannot create the backup folder", &dir, e))?;
    let mut name = file_name(now);
    let mut n = 2;
    while dir.join(&name).exists() {
        name = format!("{}-{n}.{EXTENSION}", name.trim_end_matches(&format!(".{EXTENSION}")));
        n += 1;
    }
    let path = dir.join(&name);
    let copy = dir.join(format!(".{name}.db"));
    let _ = std::fs::remove_file(&copy);
    let manifest = src.store.backup_to(&copy, now)?;
    let result = pack(src.store, &copy, &path, &manifest, recovery, passphrase);
    let _ = std::fs::remove_file(&copy);
    let bytes = result?;
    Ok(BackupInfo { path, manifest, bytes })
}

fn pack(
    store: &saldo_store::Store,
    copy: &Path,
    path: &Path,
    manifest: &Manifest,
    recovery: Option<RecoveryFile>,
    passphrase: Option<KdfParams>,
) -> Result<u64> {
    let (bytes, sha256) = digest(copy)?;
    let sealed_manifest = store
        .seal_data(MANIFEST_PURPOSE, &serde_json::to_vec(manifest).map_err(|e| CoreError::Local(e.to_string()))?)?;
    let header = BackupHeader {
        app_version: manifest.app_version.clone(),
        schema_version: manifest.schema_version,
        created_at: manifest.created_at,
        database: DatabaseDigest { bytes, sha256 },
        keys: BackupKeys { recovery: recovery.map(|r| store.seal_key(&r.recipient)).transpose()?, passphrase },
        manifest: sealed_manifest,
    };
    let header = serde_json::to_string(&header).map_err(|e| CoreError::Local(e.to_string()))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<u64> {
        let mut out = saldo_vault::private::create_replacing_stale(&tmp, saldo_vault::private::PRIVATE_MODE)?;
        out.write_all(format!("{MAGIC}\n{header}\n").as_bytes())?;
        std::io::copy(&mut std::fs::File::open(copy)?, &mut out)?;
        out.sync_all()?;
        let size = out.metadata()?.len();
        drop(out);
        std::fs::rename(&tmp, path)?;
        saldo_vault::private::sync_dir(path.parent().unwrap_or(Path::new(".")))?;
        Ok(size)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err("cannot write the backup", path, e)
    })
}

fn digest(path: &Path) -> Result<(u64, String)> {
    let mut f = std::fs::File::open(path).map_err(|e| io_err("cannot read", path, e))?;
    let mut hasher = Sha256::new();
    let n = std::io::copy(&mut f, &mut hasher).map_err(|e| io_err("cannot read", path, e))?;
    Ok((n, hex_of(&hasher.finalize())))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The automatic backup after a successful sync: at most one per UTC day,
/// into the backup folder, then the folder's retention
/// ([`retention`]: 7 daily, 4 weekly, 12 monthly). `None` when one was
/// already made today, or when there is no recovery code or passphrase yet.
pub fn backup_after_sync(session: &Session) -> Result<Option<BackupInfo>> {
    backup_after_sync_from(&Source::of(session))
}

/// [`backup_after_sync`] from any connection to the install's database.
pub fn backup_after_sync_from(src: &Source<'_>) -> Result<Option<BackupInfo>> {
    let now = Utc::now();
    let today = now.date_naive().to_string();
    if src.store.setting(LAST_AUTOMATIC_SETTING)?.as_deref() == Some(today.as_str()) {
        return Ok(None);
    }
    if RecoveryFile::load(src.store.path())?.is_none() && src.protection == Protection::Keyring {
        tracing::info!("no automatic backup: there is no recovery code yet");
        return Ok(None);
    }
    let info = backup_from(src, None, now)?;
    src.store.set_setting(LAST_AUTOMATIC_SETTING, &today)?;
    if let Some(dir) = info.path.parent() {
        prune(dir, now)?;
    }
    Ok(Some(info))
}

/// Applies [`retention`] to the backups in `dir` (only files named like
/// Saldo's backups; anything else is left alone).
pub fn prune(dir: &Path, now: DateTime<Utc>) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_err("cannot read", dir, e))? {
        let entry = entry.map_err(|e| io_err("cannot read", dir, e))?;
        if let Some(at) = entry.file_name().to_str().and_then(time_of) {
            found.push((entry.path(), at));
        }
    }
    let times: Vec<DateTime<Utc>> = found.iter().map(|(_, t)| *t).collect();
    let keep = retention(&times, now);
    let mut removed = Vec::new();
    for (i, (path, _)) in found.into_iter().enumerate() {
        if !keep[i] {
            std::fs::remove_file(&path).map_err(|e| io_err("cannot remove", &path, e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// Which backups to keep (by index of `times`): the newest of each of the
/// last 7 days with a backup, of the last 4 ISO weeks, of the last 12
/// months; and any from the future (a clock that jumped). Pure.
pub fn retention(times: &[DateTime<Utc>], now: DateTime<Utc>) -> Vec<bool> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].cmp(&times[*a]));
    let mut keep = vec![false; times.len()];
    let mut bucket = |limit: usize, key: &dyn Fn(NaiveDate) -> (i32, u32)| {
        let mut seen: Vec<(i32, u32)> = Vec::new();
        for &i in &order {
            let k = key(times[i].date_naive());
            if seen.contains(&k) {
                continue;
            }
            if seen.len() == limit {
                break;
            }
            seen.push(k);
            keep[i] = true;
        }
    };
    bucket(7, &|d| (d.year(), d.ordinal()));
    bucket(4, &|d| (d.iso_week().year(), d.iso_week().week()));
    bucket(12, &|d| (d.year(), d.month()));
    for (i, t) in times.iter().enumerate() {
        if *t > now {
            keep[i] = true;
        }
    }
    keep
}

// ---------------------------------------------------------------- restore

/// Reads a backup's clear header (no secret needed): what it is, when it
/// was made, what opens it.
pub fn inspect(file: &Path) -> Result<BackupHeader> {
    Ok(read_header(file)?.0)
}

fn read_header(file: &Path) -> Result<(BackupHeader, u64)> {
    let f = std::fs::File::open(file).map_err(|e| io_err("cannot open", file, e))?;
    let mut r = BufReader::new(f);
    let mut magic = Vec::new();
    r.by_ref().take(64).read_until(b'\n', &mut magic).map_err(|e| io_err("cannot read", file, e))?;
    if magic != format!("{MAGIC}\n").as_bytes() {
        return Err(CoreError::Invalid(format!("{} is not a Saldo backup", file.display())));
    }
    let mut line = Vec::new();
    r.by_ref().take(1 << 20).read_until(b'\n', &mut line).map_err(|e| io_err("cannot read", file, e))?;
    if line.last() != Some(&b'\n') {
        return Err(damaged("its header is cut short"));
    }
    let header: BackupHeader = serde_json::from_slice(&line).map_err(|e| damaged(format!("its header: {e}")))?;
    Ok((header, (magic.len() + line.len()) as u64))
}

/// Whether `typed` (the recovery code, or else the passphrase of the time)
/// opens the backup `file`: checked before a window closes its database to
/// restore, so a wrong code changes nothing, not even the window's state.
pub fn check_secret(file: &Path, typed: &Sensitive<String>) -> Result<()> {
    let (header, _) = read_header(file)?;
    unseal(&header, Secret::Typed(Sensitive::new(typed.expose().to_owned()))).map(drop)
}

/// Whether the install in `data_dir` changed after `created_at` (its
/// database or write-ahead log was written later): restoring would lose
/// that, so it needs the person's confirmation.
pub fn install_is_newer(data_dir: &Path, created_at: DateTime<Utc>) -> bool {
    let db = data_dir.join(DB_FILE_NAME);
    [db.clone(), with_suffix(&db, "-wal")].iter().any(|p| {
        std::fs::metadata(p).and_then(|m| m.modified()).map(|t| DateTime::<Utc>::from(t) > created_at).unwrap_or(false)
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// The database key of a backup from what the person gave. A wrong
/// recovery code is [`VaultError::WrongRecoveryCode`], a wrong passphrase
/// [`StoreError::WrongKey`]; nothing is written either way.
fn unseal(header: &BackupHeader, secret: Secret) -> Result<(DbKey, Option<RecoveryPublic>)> {
    let by_code = |code: RecoveryCode| -> Result<(DbKey, Option<RecoveryPublic>)> {
        let sealed = header.keys.recovery.as_ref().ok_or_else(|| {
            CoreError::Invalid(
                "this backup was made before there was a recovery code: open it with the passphrase".into(),
            )
        })?;
        let key = saldo_vault::recovery::open(sealed, &code)?;
        prove(header, &key)?;
        Ok((key, Some(sealed.recipient.clone())))
    };
    let by_passphrase = |pass: Passphrase| -> Result<(DbKey, Option<RecoveryPublic>)> {
        let params = header.keys.passphrase.as_ref().ok_or_else(|| {
            CoreError::Invalid("this backup was not made with a passphrase: open it with the recovery code".into())
        })?;
        let key = params.derive(&pass)?;
        prove(header, &key)?;
        Ok((key, None))
    };
    match secret {
        Secret::RecoveryCode(code) => by_code(code),
        Secret::Passphrase(pass) => by_passphrase(pass),
        Secret::Typed(text) => match RecoveryCode::parse(text.expose()) {
            Ok(code) => by_code(code),
            Err(e) => {
                let not_a_code = CoreError::Invalid(e.to_string());
                if header.keys.passphrase.is_none() {
                    return Err(not_a_code);
                }
                // Not a code: the passphrase — unless it does not open the
                // backup and looked like a mistyped code.
                match by_passphrase(Passphrase::new(text.expose().clone())?) {
                    Err(wrong) if wrong.is_wrong_key() && RecoveryCode::looks_like_code(text.expose()) => {
                        Err(not_a_code)
                    }
                    other => other,
                }
            }
        },
    }
}

/// Proves a key before anything is written: the sealed manifest opens with it.
fn prove(header: &BackupHeader, key: &DbKey) -> Result<()> {
    header.manifest.open(key, MANIFEST_PURPOSE).map(drop).map_err(|_| CoreError::Store(StoreError::WrongKey))
}

#[derive(Serialize, Deserialize)]
struct Intent {
    staging: String,
    aside: String,
}

/// Finishes a restore that was interrupted after its new database was
/// complete (the intent file exists): the renames are done again, so the
/// install has the restored database, never a mix. Called by every open.
pub fn finish_interrupted_restore(data_dir: &Path) -> Result<()> {
    let intent_path = data_dir.join(INTENT_FILE);
    let intent: Intent = match std::fs::read(&intent_path) {
        Ok(b) => serde_json::from_slice(&b)
            .map_err(|e| CoreError::Local(format!("the restore record {} is damaged: {e}", intent_path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("cannot read", &intent_path, e)),
    };
    switch(data_dir, &intent)?;
    std::fs::remove_file(&intent_path).map_err(|e| io_err("cannot remove", &intent_path, e))?;
    saldo_vault::private::sync_dir(data_dir).map_err(|e| io_err("cannot sync", data_dir, e))
}

/// The renames of a restore, each safe to repeat: while the staged
/// database exists, whatever is at `saldo.db` is the old one and goes aside
/// (with its write-ahead log, so nothing of it is lost or applied to the
/// new one); then the staged one becomes `saldo.db`.
fn switch(data_dir: &Path, intent: &Intent) -> Result<()> {
    let db = data_dir.join(DB_FILE_NAME);
    let staging = data_dir.join(&intent.staging);
    let aside = data_dir.join(&intent.aside);
    let rename = |from: &Path, to: &Path| -> Result<()> {
        match std::fs::rename(from, to) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err("cannot rename", from, e)),
        }
    };
    if staging.exists() {
        rename(&with_suffix(&db, "-wal"), &with_suffix(&aside, "-wal"))?;
        let _ = std::fs::remove_file(with_suffix(&db, "-shm"));
        rename(&db, &aside)?;
        saldo_vault::private::sync_dir(data_dir).map_err(|e| io_err("cannot sync", data_dir, e))?;
        std::fs::rename(&staging, &db).map_err(|e| io_err("cannot rename", &staging, e))?;
        saldo_vault::private::sync_dir(data_dir).map_err(|e| io_err("cannot sync", data_dir, e))?;
    }
    Ok(())
}

/// Restores a backup into `data_dir` (a new computer's empty one, or an
/// install to roll back): unlocks it with the recovery code or the
/// passphrase, checks it against its manifest before anything is replaced,
/// refuses a newer schema, keeps the current database aside, switches
/// atomically, and protects the result as `options.protect` says (on a new
/// computer: the backup's key goes into the empty keyring). An install
/// whose data is newer than the backup is replaced only with
/// `overwrite_newer`.
///
/// Contexts come back with the data. A refresh token used since the
/// backup was made is refused by the bank; the next sync then marks the
/// connection as needing a reconnect and never retries it (R1, R11).
pub fn restore(
    data_dir: &Path,
    file: &Path,
    secret: Secret,
    keyring: &dyn SecretStore,
    options: RestoreOptions,
) -> Result<RestoreInfo> {
    let (header, offset) = read_header(file)?;
    if header.schema_version > LATEST_VERSION {
        return Err(StoreError::TooNew { found: header.schema_version, supported: LATEST_VERSION }.into());
    }
    let (key, recipient) = unseal(&header, secret)?;
    let manifest: Manifest = serde_json::from_slice(&header.manifest.open(&key, MANIFEST_PURPOSE)?)
        .map_err(|e| damaged(format!("its manifest: {e}")))?;
    std::fs::create_dir_all(data_dir).map_err(|e| io_err("cannot create", data_dir, e))?;
    finish_interrupted_restore(data_dir)?;
    let db = data_dir.join(DB_FILE_NAME);
    let exists = db.exists();
    if exists && !options.overwrite_newer && install_is_newer(data_dir, header.created_at) {
        return Err(CoreError::Invalid(format!(
            "the data here changed after this backup was made ({}); restoring would replace it",
            header.created_at.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    // The key the restored database will have, decided (and a keyring
    // proven to answer) before anything is written.
    let passphrase_params = match &options.protect {
        Protect::Keyring => None,
        Protect::Passphrase(p) => {
            let (m, t) = options.kdf_costs.unwrap_or((64 * 1024, 3));
            let params = KdfParams::generate_with(m, t)?;
            let derived = params.derive(p)?;
            Some((params, derived))
        }
    };
    let keyring_key = match &options.protect {
        Protect::Keyring => match keyring.get() {
            Ok(k) => Some(k),
            Err(VaultError::KeyringUnavailable(_)) => return Err(crate::session::UnlockError::NoKeyring.into()),
            Err(e) => return Err(e.into()),
        },
        Protect::Passphrase(_) => None,
    };
    let now = Utc::now();
    let stamp = now.format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let staging_name = format!("{DB_FILE_NAME}.restore-{stamp}");
    let staging = data_dir.join(&staging_name);
    let result = stage(file, offset, &header, &staging, &key, &manifest);
    let target = match (&passphrase_params, keyring_key) {
        (Some((_, derived)), _) => derived.clone(),
        (None, Some(Some(existing))) => existing,
        (None, _) => key.clone(),
    };
    let result = result.and_then(|()| Ok(saldo_store::backup::rekey_copy(&staging, &key, &target)?));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&staging);
        return Err(e);
    }
    // Protection files, written so that a crash before the switch leaves
    // the old database opening as before (see `session::open_store`).
    let old_kdf = PassphraseFile::load(&db)?;
    match &passphrase_params {
        Some((params, _)) => match old_kdf {
            Some(mut f) if exists => {
                f.next = Some(params.clone());
                f.save(&db)?;
            }
            _ => PassphraseFile { current: params.clone(), next: None }.save(&db)?,
        },
        None => {
            if keyring.get()?.as_ref() != Some(&target) {
                keyring.set(&target)?;
            }
        }
    }
    // The code the person just used keeps working; else the install's own
    // code stays, else the backup's.
    let current_recovery = RecoveryFile::load(&db)?;
    match (recipient, current_recovery) {
        (Some(r), _) => RecoveryFile::new(r).save(&db)?,
        (None, None) => {
            if let Some(sealed) = &header.keys.recovery {
                RecoveryFile::new(sealed.recipient.clone()).save(&db)?;
            }
        }
        (None, Some(_)) => {}
    }
    let aside_name = format!("{DB_FILE_NAME}.before-restore-{stamp}");
    let intent = Intent { staging: staging_name, aside: aside_name.clone() };
    let bytes = serde_json::to_vec(&intent).map_err(|e| CoreError::Local(e.to_string()))?;
    saldo_vault::private::write_atomically(&data_dir.join(INTENT_FILE), &bytes)
        .map_err(|e| io_err("cannot write", &data_dir.join(INTENT_FILE), e))?;
    finish_interrupted_restore(data_dir)?;
    // After the switch: the new protection is the only one.
    let protection = match passphrase_params {
        Some((params, _)) => {
            PassphraseFile { current: params, next: None }.save(&db)?;
            keyring.delete()?;
            Protection::Passphrase
        }
        None => {
            PassphraseFile::remove(&db)?;
            Protection::Keyring
        }
    };
    let aside = data_dir.join(aside_name);
    Ok(RestoreInfo { manifest, kept_aside: (exists && aside.exists()).then_some(aside), protection })
}

/// Extracts the database into `staging`, checking its length and digest,
/// then verifies it against the manifest (integrity, schema, counts, sums).
fn stage(
    file: &Path,
    offset: u64,
    header: &BackupHeader,
    staging: &Path,
    key: &DbKey,
    manifest: &Manifest,
) -> Result<()> {
    let mut f = std::fs::File::open(file).map_err(|e| io_err("cannot open", file, e))?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(offset)).map_err(|e| io_err("cannot read", file, e))?;
    let mut out = saldo_vault::private::create_replacing_stale(staging, saldo_vault::private::PRIVATE_MODE)
        .map_err(|e| io_err("cannot create", staging, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n: u64 = 0;
    loop {
        let got = f.read(&mut buf).map_err(|e| io_err("cannot read", file, e))?;
        if got == 0 {
            break;
        }
        hasher.update(&buf[..got]);
        out.write_all(&buf[..got]).map_err(|e| io_err("cannot write", staging, e))?;
        n += got as u64;
    }
    out.sync_all().map_err(|e| io_err("cannot sync", staging, e))?;
    drop(out);
    if n != header.database.bytes {
        return Err(damaged(format!(
            "it holds {n} bytes of database where it should hold {} (truncated?)",
            header.database.bytes
        )));
    }
    if hex_of(&hasher.finalize()) != header.database.sha256 {
        return Err(damaged("its database is not the one it was written with (altered or corrupted)"));
    }
    saldo_store::backup::verify(staging, key, manifest)?;
    Ok(())
}

// ---------------------------------------------------------------- key settings

/// Re-seals the database key for the recovery code after a re-key (the
/// code keeps opening backups made from now on). Nothing to do without one.
fn reseal(session: &Session) -> Result<()> {
    if let Some(file) = RecoveryFile::load(session.store.path())? {
        // Sealing needs no code: prove the file is usable now, not at the next backup.
        session.store.seal_key(&file.recipient)?;
    }
    Ok(())
}

/// Changes the passphrase of a passphrase-protected install (re-keys).
pub fn change_passphrase(session: &mut Session, new: Passphrase) -> Result<()> {
    if session.protection() != Protection::Passphrase {
        return Err(crate::session::UnlockError::KeyringProtected.into());
    }
    let new = crate::session::new_passphrase(new.expose().to_owned())?;
    session.store.change_passphrase(&new)?;
    reseal(session)
}

/// Moves the install from a passphrase to a random key in the OS keyring (re-keys).
pub fn switch_to_keyring(session: &mut Session) -> Result<()> {
    if session.protection() == Protection::Keyring {
        return Ok(());
    }
    let keyring = saldo_vault::KeyringStore::for_database(session.store.path());
    session.store.move_to_keyring(&keyring)?;
    session.set_protection(Protection::Keyring);
    reseal(session)
}

/// Moves the install from the OS keyring to a passphrase (re-keys, removes the keyring entry).
pub fn switch_to_passphrase(session: &mut Session, pass: Passphrase) -> Result<()> {
    if session.protection() == Protection::Passphrase {
        return change_passphrase(session, pass);
    }
    let pass = crate::session::new_passphrase(pass.expose().to_owned())?;
    let keyring = saldo_vault::KeyringStore::for_database(session.store.path());
    session.store.move_to_passphrase(&pass, &keyring)?;
    session.set_protection(Protection::Passphrase);
    reseal(session)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retention_keeps_7_daily_4_weekly_12_monthly() {
        let now = Utc.with_ymd_and_hms(2026, 6, 30, 12, 0, 0).unwrap();
        // Two backups a day for 400 days.
        let times: Vec<DateTime<Utc>> = (0..800)
            .map(|i| now - chrono::TimeDelta::hours(12 * i64::from(i as u32)) - chrono::TimeDelta::minutes(1))
            .collect();
        let keep = retention(&times, now);
        let kept: Vec<DateTime<Utc>> = times.iter().zip(&keep).filter(|(_, k)| **k).map(|(t, _)| *t).collect();
        let days: std::collections::BTreeSet<NaiveDate> = kept.iter().map(|t| t.date_naive()).collect();
        assert_eq!(kept.len(), days.len(), "at most one backup per day is kept");
        assert!(kept.len() <= 7 + 4 + 12, "no more than 23 kept: {}", kept.len());
        assert!(kept.len() >= 12, "at least one per month for a year: {}", kept.len());
        assert!(keep[0], "the newest is always kept");
        for d in 0..7 {
            let day = (now - chrono::TimeDelta::days(d)).date_naive();
            assert!(days.contains(&day), "each of the last 7 days: {day}");
        }
        let months: std::collections::BTreeSet<(i32, u32)> = kept.iter().map(|t| (t.year(), t.month())).collect();
        assert_eq!(months.len(), 12, "the last 12 months each keep one");
        assert!(retention(&[], now).is_empty());
    }

    #[test]
    fn backup_names_carry_their_time() {
        let at = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap();
        assert_eq!(file_name(at), "saldo-2026-03-04-050607.saldo-backup");
        assert_eq!(time_of(&file_name(at)), Some(at));
        assert_eq!(time_of("saldo-2026-03-04-050607-2.saldo-backup"), Some(at), "a second one in one second");
        assert_eq!(time_of("holiday.jpg"), None, "other files are not backups");
    }
}
