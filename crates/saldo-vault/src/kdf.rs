//! Passphrase protection: Argon2id over the passphrase gives the database key.
//!
//! The parameters live beside the database in `<db>.kdf.json`. Changing the
//! passphrase is crash-safe: the new parameters are first written as `next`,
//! the database is re-keyed, then `next` becomes `current`. Opening tries
//! `current`, then `next`.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::{DbKey, Passphrase, VaultError};

/// File-name suffix of the parameter file, appended to the database file name.
pub const KDF_FILE_SUFFIX: &str = ".kdf.json";

/// Argon2id parameters and salt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Always `argon2id`.
    pub algorithm: String,
    /// Argon2 version (19 = 0x13).
    pub version: u32,
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
    /// Random salt, base64.
    pub salt: String,
}

impl KdfParams {
    /// Fresh parameters with a random salt: 64 MiB, 3 passes, 1 lane (OWASP's
    /// recommended Argon2id setting class).
    pub fn generate() -> Result<Self, VaultError> {
        Self::generate_with(64 * 1024, 3)
    }

    /// Fresh parameters with chosen costs (tests use small ones).
    pub fn generate_with(m_cost: u32, t_cost: u32) -> Result<Self, VaultError> {
        let mut salt = [0u8; 16];
        getrandom::getrandom(&mut salt).map_err(|e| VaultError::Random(e.to_string()))?;
        Ok(Self {
            algorithm: "argon2id".into(),
            version: 19,
            m_cost,
            t_cost,
            p_cost: 1,
            salt: base64::engine::general_purpose::STANDARD.encode(salt),
        })
    }

    /// Derives the database key from a passphrase.
    pub fn derive(&self, passphrase: &Passphrase) -> Result<DbKey, VaultError> {
        let out = self.derive_bytes(passphrase.expose().as_bytes())?;
        Ok(DbKey::from_bytes(*out.expose()))
    }

    /// Argon2id over any secret: 32 bytes (the recovery code's key pair uses it too).
    pub(crate) fn derive_bytes(&self, secret: &[u8]) -> Result<crate::Sensitive<[u8; 32]>, VaultError> {
        if self.algorithm != "argon2id" || self.version != 19 {
            return Err(VaultError::Kdf(format!("unsupported KDF {} v{}", self.algorithm, self.version)));
        }
        let salt = base64::engine::general_purpose::STANDARD
            .decode(&self.salt)
            .map_err(|e| VaultError::Kdf(format!("salt: {e}")))?;
        let params =
            Params::new(self.m_cost, self.t_cost, self.p_cost, Some(32)).map_err(|e| VaultError::Kdf(e.to_string()))?;
        let mut out = crate::Sensitive::new([0u8; 32]);
        let mut buf = [0u8; 32];
        let result = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(secret, &salt, &mut buf)
            .map_err(|e| VaultError::Kdf(e.to_string()));
        if result.is_ok() {
            out = crate::Sensitive::new(buf);
        }
        zeroize::Zeroize::zeroize(&mut buf);
        result.map(|()| out)
    }
}

/// The parameter file beside a database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassphraseFile {
    /// The parameters the database is keyed with.
    pub current: KdfParams,
    /// Parameters of a passphrase change in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<KdfParams>,
}

impl PassphraseFile {
    /// Where the file of a database lives.
    pub fn path_for(db: &Path) -> PathBuf {
        crate::private::beside(db, KDF_FILE_SUFFIX)
    }

    /// Reads the file, or `None` when the database is not passphrase-protected.
    pub fn load(db: &Path) -> Result<Option<Self>, VaultError> {
        let path = Self::path_for(db);
        crate::private::read_optional_json(&path)
            .map_err(|reason| VaultError::KdfFile { path: path.display().to_string(), reason })
    }

    /// Writes the file atomically (temporary file, fsync, rename).
    pub fn save(&self, db: &Path) -> Result<(), VaultError> {
        let path = Self::path_for(db);
        let err = |reason: String| VaultError::KdfFile { path: path.display().to_string(), reason };
        let tmp = path.with_extension("tmp");
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| err(e.to_string()))?;
        {
            use std::io::Write;
            let mut f = crate::private::create_replacing_stale(&tmp, crate::private::PRIVATE_MODE)
                .map_err(|e| err(e.to_string()))?;
            f.write_all(&bytes).and_then(|()| f.sync_all()).map_err(|e| err(e.to_string()))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| err(e.to_string()))
    }

    /// Removes the file (the database moved to the keyring).
    pub fn remove(db: &Path) -> Result<(), VaultError> {
        let path = Self::path_for(db);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(VaultError::KdfFile { path: path.display().to_string(), reason: e.to_string() }),
        }
    }

    /// The keys to try, in order: `current`, then `next`.
    pub fn candidate_keys(&self, passphrase: &Passphrase) -> Result<Vec<DbKey>, VaultError> {
        let mut keys = vec![self.current.derive(passphrase)?];
        if let Some(next) = &self.next {
            keys.push(next.derive(passphrase)?);
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_passphrase_and_salt_give_the_same_key_and_others_do_not() {
        let p = KdfParams::generate_with(256, 1).unwrap();
        let a = Passphrase::new("correct horse battery staple".into()).unwrap();
        let b = Passphrase::new("correct horse battery stapler".into()).unwrap();
        assert_eq!(p.derive(&a).unwrap(), p.derive(&a).unwrap(), "deterministic");
        assert_ne!(p.derive(&a).unwrap(), p.derive(&b).unwrap(), "another passphrase, another key");
        let q = KdfParams::generate_with(256, 1).unwrap();
        assert_ne!(p.derive(&a).unwrap(), q.derive(&a).unwrap(), "another salt, another key");
    }

    #[test]
    fn the_parameter_file_holds_no_key_material() {
        let tmp = tempfile::Builder::new().prefix("saldo-kdf-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let db = dir.join("saldo.db");
        let pass = Passphrase::new("hunter2hunter2".into()).unwrap();
        let file = PassphraseFile { current: KdfParams::generate_with(256, 1).unwrap(), next: None };
        file.save(&db).unwrap();
        let key = file.current.derive(&pass).unwrap();
        let text = std::fs::read_to_string(PassphraseFile::path_for(&db)).unwrap();
        assert!(
            !text.contains(key.to_hex().expose().as_str()) && !text.contains("hunter2"),
            "no key or passphrase on disk"
        );
        assert_eq!(PassphraseFile::load(&db).unwrap(), Some(file));
        std::fs::write(PassphraseFile::path_for(&db), "{").unwrap();
        assert!(
            matches!(PassphraseFile::load(&db), Err(VaultError::KdfFile { .. })),
            "a damaged file is a clear error"
        );
    }
}
