//! Types for secrets.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::VaultError;

/// A secret value: redacted in `Debug`, no `Display`, no `Serialize`, zeroed on drop.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    /// Wraps a secret.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that needs it. Never log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The 256-bit SQLCipher key of the database.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DbKey(Sensitive<[u8; 32]>);

impl DbKey {
    /// 256 fresh random bits from the OS.
    pub fn generate() -> Result<Self, VaultError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
        let key = Self(Sensitive::new(bytes));
        bytes.zeroize();
        Ok(key)
    }

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Sensitive::new(bytes))
    }

    /// Parses the hex form kept in the keyring.
    pub fn from_hex(hex_text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_text.trim(), &mut bytes).ok()?;
        Some(Self::from_bytes(bytes))
    }

    /// The raw bytes, for sealing the key (`recovery`); never leaves the crate.
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose()
    }

    /// The hex form, for the keyring.
    pub fn to_hex(&self) -> Sensitive<String> {
        Sensitive::new(hex::encode(self.0.expose()))
    }

    /// The value for `PRAGMA key` / `PRAGMA rekey`: SQLCipher's raw-key syntax
    /// `"x'…'"` (the key is used as is, without SQLCipher's own KDF).
    pub fn sqlcipher_literal(&self) -> Sensitive<String> {
        Sensitive::new(format!("\"x'{}'\"", hex::encode(self.0.expose())))
    }
}

/// A passphrase typed by the person or read from a file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Passphrase(Sensitive<String>);

impl Passphrase {
    /// Wraps a passphrase; refuses an empty one.
    pub fn new(text: String) -> Result<Self, VaultError> {
        if text.is_empty() {
            return Err(VaultError::PassphraseFile { path: String::new(), reason: "the passphrase is empty".into() });
        }
        Ok(Self(Sensitive::new(text)))
    }

    /// Reads a passphrase from a file; one trailing newline is not part of it.
    pub fn from_file(path: &std::path::Path) -> Result<Self, VaultError> {
        let err = |reason: String| VaultError::PassphraseFile { path: path.display().to_string(), reason };
        let mut text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        if text.ends_with('\n') {
            text.pop();
            if text.ends_with('\r') {
                text.pop();
            }
        }
        if text.is_empty() {
            return Err(err("the file is empty".into()));
        }
        Ok(Self(Sensitive::new(text)))
    }

    /// The passphrase bytes, for the KDF.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let key = DbKey::generate().unwrap();
        let hex = key.to_hex();
        let printed = format!("{key:?} {hex:?} {:?}", key.sqlcipher_literal());
        assert!(!printed.contains(hex.expose().as_str()), "R5: the key never reaches Debug output: {printed}");
        let p = Passphrase::new("correct horse".into()).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn keys_are_random_and_round_trip_through_hex() {
        let a = DbKey::generate().unwrap();
        let b = DbKey::generate().unwrap();
        assert_ne!(a, b, "two keys differ");
        assert_eq!(DbKey::from_hex(a.to_hex().expose()), Some(a.clone()));
        assert!(DbKey::from_hex("zz").is_none());
        assert!(a.sqlcipher_literal().expose().starts_with("\"x'") && a.sqlcipher_literal().expose().len() == 64 + 5);
    }

    #[test]
    fn passphrase_files_drop_one_trailing_newline_and_refuse_empty() {
        let tmp = tempfile::Builder::new().prefix("saldo-pp-").tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let f = dir.join("pp");
        std::fs::write(&f, "s3cret \n").unwrap();
        assert_eq!(Passphrase::from_file(&f).unwrap().expose(), "s3cret ", "only the newline is dropped");
        std::fs::write(&f, "\n").unwrap();
        assert!(Passphrase::from_file(&f).is_err(), "an empty passphrase is refused");
    }
}
