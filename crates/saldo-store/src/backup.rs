//! Online backups of the open database, and their verification.
//!
//! [`Store::backup_to`] copies the database with SQLite's backup API in one
//! step: one read transaction, so the copy is the database at one instant
//! even while another connection (a sync) writes (WAL lets it go on). The
//! copy is keyed with the same key, so it stays encrypted page by page; it
//! is written to a temporary file beside its destination, switched to a
//! single file (no WAL), fsynced, then renamed into place.
//!
//! The [`Manifest`] — counts and exact sums per account — is computed from
//! the copy itself, not from the live database. [`verify`] checks a copy
//! against a manifest before a restore relies on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;
use saldo_vault::DbKey;
use serde::{Deserialize, Serialize};

use crate::migrations::LATEST_VERSION;
use crate::open::open_keyed;
use crate::{Result, Store, StoreError};

/// The manifest's `format`.
pub const MANIFEST_FORMAT: &str = "saldo-backup-manifest/1";

/// What a backup holds, to check a copy against before it is trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The Saldo version that made it.
    pub app_version: String,
    /// The schema version of the copy (`PRAGMA user_version`).
    pub schema_version: i64,
    /// When the copy was made.
    pub created_at: DateTime<Utc>,
    /// Per account, in id order.
    pub accounts: Vec<AccountSummary>,
    /// The whole database.
    pub totals: Totals,
}

/// One account in a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// The account id.
    pub id: i64,
    /// Its IBAN, when the bank gave one.
    pub iban: Option<String>,
    /// Its currency.
    pub currency: String,
    /// How many transactions it has.
    pub transactions: i64,
    /// The exact sum of its transactions per currency, as decimal strings (R17).
    pub sums: BTreeMap<String, String>,
}

/// Totals of a manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Connections.
    pub connections: i64,
    /// Accounts.
    pub accounts: i64,
    /// Transactions.
    pub transactions: i64,
    /// Balances.
    pub balances: i64,
    /// The exact sum of all transactions per currency, as decimal strings.
    pub sums: BTreeMap<String, String>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{what} {}: {e}", path.display()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("cannot remove", path, e)),
    }
}

impl Store {
    /// Writes a consistent, encrypted copy of the database to `dest` (which
    /// must not exist) and returns its manifest, computed from the copy.
    /// Never leaves a partial file at `dest`: a failure or a crash leaves at
    /// most `<dest>.partial`, which the next backup to `dest` replaces.
    pub fn backup_to(&self, dest: &Path, now: DateTime<Utc>) -> Result<Manifest> {
        if dest.exists() {
            return Err(StoreError::Io(format!("{} already exists", dest.display())));
        }
        let tmp = with_suffix(dest, ".partial");
        for p in [tmp.clone(), with_suffix(&tmp, "-wal"), with_suffix(&tmp, "-shm"), with_suffix(&tmp, "-journal")] {
            remove_if_there(&p)?;
        }
        drop(
            saldo_vault::private::create_new(&tmp, saldo_vault::private::PRIVATE_MODE)
                .map_err(|e| io("cannot create", &tmp, e))?,
        );
        let result = self.copy_into(&tmp);
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| io("cannot sync", &tmp, e))?;
        std::fs::rename(&tmp, dest).map_err(|e| io("cannot rename", &tmp, e))?;
        saldo_vault::private::sync_dir(dest.parent().unwrap_or(Path::new(".")))
            .map_err(|e| io("cannot sync", dest, e))?;
        manifest_of(dest, &self.key, now)
    }

    fn copy_into(&self, tmp: &Path) -> Result<()> {
        let mut dest = open_keyed(tmp, &self.key)?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut dest)?;
            // All pages in one step: one read transaction on the source, so
            // the copy is one instant of it while writers go on (WAL).
            loop {
                match backup.step(-1)? {
                    rusqlite::backup::StepResult::Done => break,
                    rusqlite::backup::StepResult::More => continue,
                    rusqlite::backup::StepResult::Busy | rusqlite::backup::StepResult::Locked => {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                    }
                    _ => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        }
        // One self-contained file: no WAL beside the copy.
        dest.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0))?;
        dest.close().map_err(|(_, e)| StoreError::from(e))?;
        Ok(())
    }

    /// The key, for sealing it into a backup (crate users never see it).
    pub fn seal_key(&self, to: &saldo_vault::RecoveryPublic) -> Result<saldo_vault::SealedKey> {
        Ok(saldo_vault::recovery::seal(&self.key, to)?)
    }

    /// Encrypts `data` under a key derived from the database key (a
    /// backup's manifest is as private as the database).
    pub fn seal_data(&self, purpose: &str, data: &[u8]) -> Result<saldo_vault::SealedData> {
        Ok(saldo_vault::SealedData::seal(&self.key, purpose, data)?)
    }

    /// Whether `key` is the key of this database (a backup's key is
    /// compared with the install's before a restore re-keys).
    pub fn has_key(&self, key: &DbKey) -> bool {
        &self.key == key
    }
}

fn open_copy(path: &Path, key: &DbKey) -> Result<Connection> {
    if !path.is_file() {
        return Err(StoreError::Io(format!("{} is not a file", path.display())));
    }
    let conn = open_keyed(path, key)?;
    conn.execute_batch("PRAGMA query_only = ON;")?;
    Ok(conn)
}

/// The manifest of the database copy at `path`, opened with `key` (no
/// migration runs: the copy is read as it is).
pub fn manifest_of(path: &Path, key: &DbKey, created_at: DateTime<Utc>) -> Result<Manifest> {
    let conn = open_copy(path, key)?;
    manifest_from(&conn, created_at)
}

fn decimal_sum(parts: &[(i64, u32)]) -> Result<Decimal> {
    let mut total = Decimal::ZERO;
    for &(minor, scale) in parts {
        total = total
            .checked_add(Decimal::try_new(minor, scale).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            .ok_or_else(|| StoreError::Corrupt("a sum does not fit in a decimal".into()))?;
    }
    Ok(total.normalize())
}

fn manifest_from(conn: &Connection, created_at: DateTime<Utc>) -> Result<Manifest> {
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let count = |table: &str| -> Result<i64> {
        Ok(conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    };
    let mut st = conn.prepare("SELECT id, iban, currency FROM accounts ORDER BY id")?;
    let mut accounts: Vec<AccountSummary> = st
        .query_map([], |r| {
            Ok(AccountSummary {
                id: r.get(0)?,
                iban: r.get(1)?,
                currency: r.get(2)?,
                transactions: 0,
                sums: BTreeMap::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Sums per (account, currency, scale) in SQL (integers: exact; an
    // overflow is an error, never a float), combined exactly here (R17).
    let mut st = conn.prepare(
        "SELECT account_id, currency, scale, count(*), sum(amount_minor) FROM transactions
         GROUP BY account_id, currency, scale ORDER BY account_id",
    )?;
    let rows: Vec<(i64, String, u32, i64, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut per: BTreeMap<(i64, String), Vec<(i64, u32)>> = BTreeMap::new();
    let mut all: BTreeMap<String, Vec<(i64, u32)>> = BTreeMap::new();
    let mut transactions = 0;
    for (account, currency, scale, n, sum) in rows {
        transactions += n;
        per.entry((account, currency.clone())).or_default().push((sum, scale));
        all.entry(currency).or_default().push((sum, scale));
        match accounts.iter_mut().find(|a| a.id == account) {
            Some(a) => a.transactions += n,
            None => {
                return Err(StoreError::Corrupt(format!("transactions of an account {account} that does not exist")))
            }
        }
    }
    for ((account, currency), parts) in per {
        if let Some(a) = accounts.iter_mut().find(|a| a.id == account) {
            a.sums.insert(currency, decimal_sum(&parts)?.to_string());
        }
    }
    let mut sums = BTreeMap::new();
    for (currency, parts) in all {
        sums.insert(currency, decimal_sum(&parts)?.to_string());
    }
    Ok(Manifest {
        format: MANIFEST_FORMAT.into(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        schema_version,
        created_at,
        totals: Totals {
            connections: count("connections")?,
            accounts: accounts.len() as i64,
            transactions,
            balances: count("balances")?,
            sums,
        },
        accounts,
    })
}

/// Checks the database copy at `path` before anything relies on it: the
/// key opens it, every page is intact (SQLCipher's page authentication and
/// SQLite's integrity check), its schema is not newer than this build
/// understands, and its counts and sums are those of `expected`. Each
/// failure is its own clear error; the copy is only read.
pub fn verify(path: &Path, key: &DbKey, expected: &Manifest) -> Result<()> {
    if expected.format != MANIFEST_FORMAT {
        return Err(StoreError::Corrupt(format!("unknown backup manifest format {}", expected.format)));
    }
    if expected.schema_version > LATEST_VERSION {
        return Err(StoreError::TooNew { found: expected.schema_version, supported: LATEST_VERSION });
    }
    let conn = open_copy(path, key)?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > LATEST_VERSION {
        return Err(StoreError::TooNew { found, supported: LATEST_VERSION });
    }
    let damaged = |what: String| StoreError::Corrupt(format!("the backup is damaged: {what}"));
    let mut st = conn.prepare("PRAGMA cipher_integrity_check")?;
    let cipher: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if !cipher.is_empty() {
        return Err(damaged(format!("{} page(s) fail authentication ({})", cipher.len(), cipher[0])));
    }
    let mut st = conn.prepare("PRAGMA integrity_check")?;
    let checks: Vec<String> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    if checks != ["ok"] {
        return Err(damaged(format!("integrity check: {}", checks.first().map_or("no answer", String::as_str))));
    }
    let actual = manifest_from(&conn, expected.created_at)?;
    if actual.schema_version != expected.schema_version {
        return Err(damaged(format!(
            "schema version {} where the manifest says {}",
            actual.schema_version, expected.schema_version
        )));
    }
    if actual.accounts != expected.accounts || actual.totals != expected.totals {
        let what = actual
            .accounts
            .iter()
            .zip(&expected.accounts)
            .find(|(a, e)| a != e)
            .map(|(a, e)| {
                format!(
                    "account {} has {} transaction(s) summing {:?}, the manifest says {} summing {:?}",
                    a.id, a.transactions, a.sums, e.transactions, e.sums
                )
            })
            .unwrap_or_else(|| {
                format!(
                    "{} account(s), {} transaction(s), where the manifest says {} and {}",
                    actual.totals.accounts,
                    actual.totals.transactions,
                    expected.totals.accounts,
                    expected.totals.transactions
                )
            });
        return Err(damaged(format!("it does not match its manifest: {what}")));
    }
    Ok(())
}

/// Re-keys the database copy at `path` from `key` to `new_key` (nothing to
/// do when they are equal), leaves it one self-contained file (no WAL) and
/// fsyncs it: a restore's staged database, before it is switched in.
pub fn rekey_copy(path: &Path, key: &DbKey, new_key: &DbKey) -> Result<()> {
    let conn = open_keyed(path, key)?;
    if key != new_key {
        conn.execute_batch(&format!("PRAGMA rekey = {};", new_key.sqlcipher_literal().expose()))?;
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
    }
    conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0))?;
    conn.close().map_err(|(_, e)| StoreError::from(e))?;
    std::fs::File::open(path).and_then(|f| f.sync_all()).map_err(|e| io("cannot sync", path, e))
}
