//! The one way to open the database: key first, then check it, then pragmas,
//! then migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};
use saldo_vault::DbKey;

use crate::migrations::migrate;
use crate::{Result, StoreError};

/// An open, unlocked, migrated database.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// Kept to open more connections to the same file ([`Store::reopen`]);
    /// its `Debug` is redacted and it is never written anywhere.
    pub(crate) key: DbKey,
    /// Per account, the fetch in progress in this process: identity
    /// occurrences it has consumed (see `transactions`).
    pub(crate) fetches: std::collections::HashMap<i64, crate::fetch_claims::FetchClaims>,
    /// The categorisation rules, compiled (see `categories`).
    pub(crate) rules_cache: crate::categories::RulesCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish_non_exhaustive()
    }
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The database file and its WAL and shared-memory files are readable by
/// their owner only: a new database is created `0600` (SQLite gives its
/// `-wal` and `-shm` the database's mode), an existing one is made so. A
/// failed chmod is an error.
fn make_private(path: &Path) -> Result<()> {
    use saldo_vault::private::{create_new, set_mode, PRIVATE_MODE};
    let io = |e: std::io::Error| StoreError::Io(format!("cannot make {} private: {e}", path.display()));
    if std::fs::symlink_metadata(path).is_err() {
        drop(create_new(path, PRIVATE_MODE).map_err(io)?);
        return Ok(());
    }
    set_mode(path, PRIVATE_MODE).map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let side = Path::new(&side);
        if side.exists() {
            set_mode(side, PRIVATE_MODE).map_err(io)?;
        }
    }
    Ok(())
}

/// SQLCipher's codec attach (the first `PRAGMA key` of a connection, and
/// SQLCipher's one-time initialisation behind it) is not safe when several
/// connections of one process key at the same moment: one of them then fails
/// with "PRAGMA key requires a key of one or more characters" although its key
/// is 32 good bytes. Keying is therefore serialised process-wide (opens are
/// rare; the lock costs nothing in practice).
static KEYING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// How often a codec that would not start is tried again (SQLCipher retries
/// its initialisation on the next call) before the open fails.
const CODEC_ATTEMPTS: u32 = 3;

/// The text SQLCipher gives when `sqlite3_key_v2` fails: an empty key (never
/// ours: the literal is 64 hex digits) or a codec that would not start.
fn is_codec_failure(e: &rusqlite::Error) -> bool {
    e.to_string().contains("An error occurred with PRAGMA key")
}

/// A connection with the key applied and proven: a wrong key is
/// [`StoreError::WrongKey`], a codec that would not start is said as such
/// (not as SQLCipher's sentence, which blames the key).
pub(crate) fn open_keyed(path: &Path, key: &DbKey) -> Result<Connection> {
    let _serial = KEYING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut attempt = 1;
    loop {
        let conn = Connection::open(path)?;
        // The key comes before any other statement (SQLCipher reads nothing until
        // then). SQLCipher's own logger would print decryption failures to stderr;
        // a wrong key is reported as StoreError::WrongKey instead.
        match conn.execute_batch(&format!(
            "PRAGMA cipher_log_level = NONE; PRAGMA key = {};",
            key.sqlcipher_literal().expose()
        )) {
            Ok(()) => {}
            Err(e) if is_codec_failure(&e) && attempt < CODEC_ATTEMPTS => {
                drop(conn);
                std::thread::sleep(Duration::from_millis(20 * u64::from(attempt)));
                attempt += 1;
                continue;
            }
            Err(e) if is_codec_failure(&e) => {
                return Err(StoreError::Io(format!(
                    "the encryption layer (SQLCipher) would not start after {CODEC_ATTEMPTS} attempts; the database was not touched"
                )))
            }
            Err(e) => return Err(e.into()),
        }
        return match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            Ok(_) => Ok(conn),
            Err(e) if is_not_a_database(&e) => Err(StoreError::WrongKey),
            Err(e) => Err(e.into()),
        };
    }
}

fn is_not_a_database(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase)
}

impl Store {
    /// Opens (or creates) the database at `path` with `key`. A wrong key
    /// fails with [`StoreError::WrongKey`] and leaves the file untouched.
    pub fn open(path: &Path, key: &DbKey) -> Result<Self> {
        if let Ok(mut f) = std::fs::File::open(path) {
            let mut head = [0u8; 16];
            if std::io::Read::read_exact(&mut f, &mut head).is_ok() && &head == SQLITE_HEADER {
                return Err(StoreError::NotEncrypted(path.display().to_string()));
            }
        }
        make_private(path)?;
        let mut conn = open_keyed(path, key)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -65536;
             PRAGMA wal_autocheckpoint = 8192;",
        )?;
        conn.busy_timeout(Duration::from_secs(15))?;
        // An ingest or an import keeps a few dozen statements in use: the
        // default cache (16) re-prepared some of them for every row.
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
            key: key.clone(),
            fetches: Default::default(),
            rules_cache: Default::default(),
        })
    }

    /// Re-encrypts the whole file with a new key (`PRAGMA rekey`).
    pub fn rekey(&mut self, new_key: &DbKey) -> Result<()> {
        self.conn.execute_batch(&format!("PRAGMA rekey = {};", new_key.sqlcipher_literal().expose()))?;
        // Prove the new key took: a fresh read must succeed.
        self.conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
        self.key = new_key.clone();
        Ok(())
    }

    /// Another connection to the same database (WAL lets one write while
    /// others read): a long sync on one, the UI's reads on another.
    pub fn reopen(&self) -> Result<Self> {
        Self::open(&self.path, &self.key)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves everything in the write-ahead log into the database file and
    /// empties the log (SQLite does this by itself once the log holds 8192
    /// pages; benchmarks call it so that each measured write starts from an
    /// empty log instead of paying for the writes before it).
    pub fn checkpoint_wal(&self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The schema version.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// A bare keyed connection to `path` (no pragmas, no migrations), keyed
    /// the way [`Store::open`] keys (serialised): for tests that build an old
    /// schema by hand (the `test-support` feature; never in a shipped build).
    #[cfg(any(test, feature = "test-support"))]
    pub fn keyed_connection(path: &Path, key: &DbKey) -> Result<Connection> {
        open_keyed(path, key)
    }

    /// Direct SQL access, for tests that look under the API (the
    /// `test-support` feature; never in a shipped build).
    #[cfg(any(test, feature = "test-support"))]
    pub fn sql(&self) -> &Connection {
        &self.conn
    }

    /// Reads a setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Writes a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}
