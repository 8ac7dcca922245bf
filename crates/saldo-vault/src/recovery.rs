//! The recovery code: a second way to the database key that is never stored.
//!
//! A code is 140 random bits written as 28 Crockford base32 characters plus a
//! 4-character checksum, in 8 groups of 4 (`7K3M-Q9XH-…-C4RE`). Reading is
//! forgiving (case, spaces, `I`/`L` for `1`, `O` for `0`), and a typo is
//! caught by the checksum before any cryptography.
//!
//! Argon2id turns the code into an X25519 secret; only its public key (with
//! the salt and costs) is kept, in `<db>.recovery.json`. Anyone holding the
//! public key can *seal* the database key to it ([`seal`]: ephemeral X25519,
//! HKDF-SHA256, XChaCha20-Poly1305), so keys are re-sealed after a re-key and
//! for every backup without the code; only the code *opens* them ([`open`]).
//! A wrong code is told from a damaged seal: the code's public key is
//! compared first ([`VaultError::WrongRecoveryCode`]).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroize;

use crate::{DbKey, KdfParams, Sensitive, VaultError};

/// File-name suffix of the recovery file, appended to the database file name.
pub const RECOVERY_FILE_SUFFIX: &str = ".recovery.json";

/// Crockford's base32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random characters of a code (28 × 5 = 140 bits).
const DATA_CHARS: usize = 28;
/// Checksum characters (20 bits: a typo slips through once in a million).
const CHECK_CHARS: usize = 4;
/// Characters per printed group.
const GROUP: usize = 4;

/// Argon2id memory of a new recovery key pair, KiB (OWASP's minimum class:
/// the code has 140 bits of entropy, the cost only slows a stolen file's
/// brute force further).
pub const RECOVERY_M_COST: u32 = 19 * 1024;
/// Argon2id passes of a new recovery key pair.
pub const RECOVERY_T_COST: u32 = 2;

const SEAL_ALGORITHM: &str = "x25519-hkdf-sha256-xchacha20poly1305";
const SEAL_INFO: &[u8] = b"saldo recovery v1: database key";
const DATA_ALGORITHM: &str = "hkdf-sha256-xchacha20poly1305";

/// A recovery code, normalised (28 characters, without checksum or dashes).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RecoveryCode(Sensitive<String>);

impl RecoveryCode {
    /// A fresh code from the OS's random source.
    pub fn generate() -> Result<Self, VaultError> {
        let mut raw = [0u8; DATA_CHARS];
        getrandom::getrandom(&mut raw).map_err(|e| VaultError::Random(e.to_string()))?;
        // 256 is a multiple of 32: each symbol is uniform.
        let text: String = raw.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect();
        raw.zeroize();
        Ok(Self(Sensitive::new(text)))
    }

    /// Reads a code as a person typed it: case, spaces and dashes do not
    /// matter, `I`/`L` read as `1` and `O` as `0`. A wrong length, a
    /// character no code has, or a checksum that does not match (a typo) is
    /// [`VaultError::InvalidRecoveryCode`]; the message never repeats the code.
    pub fn parse(typed: &str) -> Result<Self, VaultError> {
        let mut chars = String::with_capacity(DATA_CHARS + CHECK_CHARS);
        for (i, c) in typed.chars().filter(|c| !c.is_whitespace() && *c != '-').enumerate() {
            let c = match c.to_ascii_uppercase() {
                'I' | 'L' => '1',
                'O' => '0',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                chars.zeroize();
                return Err(VaultError::InvalidRecoveryCode(format!(
                    "character {} is not one a recovery code uses",
                    i + 1
                )));
            }
            chars.push(c);
        }
        let len = chars.len();
        if len != DATA_CHARS + CHECK_CHARS {
            chars.zeroize();
            return Err(VaultError::InvalidRecoveryCode(format!(
                "a recovery code has {} characters, this has {len}",
                DATA_CHARS + CHECK_CHARS
            )));
        }
        let ok = checksum(&chars[..DATA_CHARS]) == chars[DATA_CHARS..];
        chars.truncate(DATA_CHARS);
        let code = Self(Sensitive::new(chars));
        if !ok {
            return Err(VaultError::InvalidRecoveryCode("checksum: check it for a typo".into()));
        }
        Ok(code)
    }

    /// Whether a typed text looks like a recovery code (only its characters,
    /// about its length) rather than a passphrase, to tell which one a
    /// person gave at one prompt.
    pub fn looks_like_code(typed: &str) -> bool {
        let chars: Vec<char> = typed.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let n = chars.len();
        (DATA_CHARS + CHECK_CHARS - 2..=DATA_CHARS + CHECK_CHARS + 2).contains(&n)
            && chars.iter().all(|c| c.is_ascii_alphanumeric())
    }

    /// The printed form: 8 groups of 4 joined by dashes, the last the checksum.
    pub fn formatted(&self) -> Sensitive<String> {
        let data = self.0.expose();
        let mut full = String::with_capacity(DATA_CHARS + CHECK_CHARS);
        full.push_str(data);
        full.push_str(&checksum(data));
        let mut out = String::with_capacity(full.len() + full.len() / GROUP);
        for (i, c) in full.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        full.zeroize();
        Sensitive::new(out)
    }

    fn secret(&self, kdf: &KdfParams) -> Result<StaticSecret, VaultError> {
        let bytes = kdf.derive_bytes(self.0.expose().as_bytes())?;
        Ok(StaticSecret::from(*bytes.expose()))
    }
}

fn checksum(data: &str) -> String {
    let digest = Sha256::new().chain_update(b"saldo recovery code v1:").chain_update(data.as_bytes()).finalize();
    let bits = u32::from_be_bytes([0, digest[0], digest[1], digest[2]]) >> 4; // 20 bits
    (0..CHECK_CHARS).rev().map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char).collect()
}

/// The public half of a recovery code: what seals keys to it. Holds no secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryPublic {
    /// Always `x25519`.
    pub algorithm: String,
    /// How the code becomes the X25519 secret (Argon2id salt and costs).
    pub kdf: KdfParams,
    /// The X25519 public key, base64.
    pub public_key: String,
}

impl RecoveryPublic {
    /// The public key of `code` under fresh parameters (production costs).
    pub fn generate(code: &RecoveryCode) -> Result<Self, VaultError> {
        Self::generate_with(code, RECOVERY_M_COST, RECOVERY_T_COST)
    }

    /// [`RecoveryPublic::generate`] with chosen Argon2id costs (tests use small ones).
    pub fn generate_with(code: &RecoveryCode, m_cost: u32, t_cost: u32) -> Result<Self, VaultError> {
        let kdf = KdfParams::generate_with(m_cost, t_cost)?;
        let public = PublicKey::from(&code.secret(&kdf)?);
        Ok(Self { algorithm: "x25519".into(), kdf, public_key: B64.encode(public.as_bytes()) })
    }

    fn key(&self) -> Result<PublicKey, VaultError> {
        if self.algorithm != "x25519" {
            return Err(VaultError::Sealed(format!("unsupported recovery algorithm {}", self.algorithm)));
        }
        let bytes: [u8; 32] = decode(&self.public_key, "public key")?
            .try_into()
            .map_err(|_| VaultError::Sealed("the public key is not 32 bytes".into()))?;
        Ok(PublicKey::from(bytes))
    }
}

/// The recovery file beside a database: the current code's public half.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryFile {
    /// Always `saldo-recovery`.
    pub format: String,
    /// Format version (1).
    pub version: u32,
    /// What keys of this database are sealed to.
    pub recipient: RecoveryPublic,
}

impl RecoveryFile {
    /// The file of a new code.
    pub fn new(recipient: RecoveryPublic) -> Self {
        Self { format: "saldo-recovery".into(), version: 1, recipient }
    }

    /// Where the file of a database lives (`<db>.recovery.json`).
    pub fn path_for(db: &Path) -> PathBuf {
        crate::private::beside(db, RECOVERY_FILE_SUFFIX)
    }

    /// Reads the file, or `None` when no recovery code was made.
    pub fn load(db: &Path) -> Result<Option<Self>, VaultError> {
        let path = Self::path_for(db);
        crate::private::read_optional_json(&path)
            .map_err(|reason| VaultError::RecoveryFile { path: path.display().to_string(), reason })
    }

    /// Writes the file atomically (temporary file `0600`, fsync, rename).
    pub fn save(&self, db: &Path) -> Result<(), VaultError> {
        let path = Self::path_for(db);
        let err = |reason: String| VaultError::RecoveryFile { path: path.display().to_string(), reason };
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| err(e.to_string()))?;
        crate::private::write_atomically(&path, &bytes).map_err(|e| err(e.to_string()))
    }
}

/// A database key sealed to a recovery code's public key. Everything in it
/// may be seen by anyone: only the code opens it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedKey {
    /// [`SEAL_ALGORITHM`].
    pub algorithm: String,
    /// To whom: the code's public half (with the parameters that derive its secret).
    pub recipient: RecoveryPublic,
    /// The ephemeral X25519 public key, base64.
    pub ephemeral: String,
    /// The XChaCha20-Poly1305 nonce (24 bytes), base64.
    pub nonce: String,
    /// The sealed key and its tag, base64.
    pub ciphertext: String,
}

fn decode(text: &str, what: &str) -> Result<Vec<u8>, VaultError> {
    B64.decode(text).map_err(|e| VaultError::Sealed(format!("{what}: {e}")))
}

fn random<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut out = [0u8; N];
    getrandom::getrandom(&mut out).map_err(|e| VaultError::Random(e.to_string()))?;
    Ok(out)
}

/// The AEAD key of a seal: HKDF-SHA256 over the shared secret, bound to both
/// public keys.
fn seal_cipher(shared: &[u8; 32], ephemeral: &PublicKey, recipient: &PublicKey) -> XChaCha20Poly1305 {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(ephemeral.as_bytes());
    salt[32..].copy_from_slice(recipient.as_bytes());
    let mut okm = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's limit (255 × 32): expand cannot fail.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(&salt), shared).expand(SEAL_INFO, &mut okm);
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&okm));
    okm.zeroize();
    cipher
}

/// Seals the database key to a recovery code's public key (no code needed).
pub fn seal(key: &DbKey, to: &RecoveryPublic) -> Result<SealedKey, VaultError> {
    let recipient = to.key()?;
    let mut eph_bytes = random::<32>()?;
    let ephemeral = StaticSecret::from(eph_bytes);
    eph_bytes.zeroize();
    let eph_public = PublicKey::from(&ephemeral);
    let shared = ephemeral.diffie_hellman(&recipient);
    let nonce = random::<24>()?;
    let ciphertext = seal_cipher(shared.as_bytes(), &eph_public, &recipient)
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: key.bytes(), aad: SEAL_ALGORITHM.as_bytes() })
        .map_err(|_| VaultError::Sealed("encryption failed".into()))?;
    Ok(SealedKey {
        algorithm: SEAL_ALGORITHM.into(),
        recipient: to.clone(),
        ephemeral: B64.encode(eph_public.as_bytes()),
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    })
}

/// Opens a sealed key with the recovery code. A code that is not the one
/// it was sealed to is [`VaultError::WrongRecoveryCode`]; a damaged seal is
/// [`VaultError::Sealed`].
pub fn open(sealed: &SealedKey, code: &RecoveryCode) -> Result<DbKey, VaultError> {
    if sealed.algorithm != SEAL_ALGORITHM {
        return Err(VaultError::Sealed(format!("unsupported seal {}", sealed.algorithm)));
    }
    let recipient = sealed.recipient.key()?;
    let secret = code.secret(&sealed.recipient.kdf)?;
    if PublicKey::from(&secret) != recipient {
        return Err(VaultError::WrongRecoveryCode);
    }
    let eph: [u8; 32] = decode(&sealed.ephemeral, "ephemeral key")?
        .try_into()
        .map_err(|_| VaultError::Sealed("the ephemeral key is not 32 bytes".into()))?;
    let eph = PublicKey::from(eph);
    let nonce = decode(&sealed.nonce, "nonce")?;
    if nonce.len() != 24 {
        return Err(VaultError::Sealed("the nonce is not 24 bytes".into()));
    }
    let shared = secret.diffie_hellman(&eph);
    let ciphertext = decode(&sealed.ciphertext, "ciphertext")?;
    let mut plain = seal_cipher(shared.as_bytes(), &eph, &recipient)
        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: SEAL_ALGORITHM.as_bytes() })
        .map_err(|_| VaultError::Sealed("the sealed key is damaged (authentication failed)".into()))?;
    let result = <[u8; 32]>::try_from(plain.as_slice())
        .map(DbKey::from_bytes)
        .map_err(|_| VaultError::Sealed("the sealed key is not 32 bytes".into()));
    plain.zeroize();
    result
}

/// Data encrypted under the database key (a backup's manifest: account
/// numbers and sums stay as private as the database).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedData {
    /// [`DATA_ALGORITHM`].
    pub algorithm: String,
    /// The nonce (24 bytes), base64.
    pub nonce: String,
    /// The data and its tag, base64.
    pub ciphertext: String,
}

fn data_cipher(key: &DbKey, purpose: &str) -> XChaCha20Poly1305 {
    let mut okm = [0u8; 32];
    let _ = hkdf::Hkdf::<Sha256>::new(Some(b"saldo sealed data v1"), key.bytes()).expand(purpose.as_bytes(), &mut okm);
    let cipher = XChaCha20Poly1305::new(Key::from_slice(&okm));
    okm.zeroize();
    cipher
}

impl SealedData {
    /// Encrypts `data` for `purpose` (a label binding it to its use) under a key derived from `key`.
    pub fn seal(key: &DbKey, purpose: &str, data: &[u8]) -> Result<Self, VaultError> {
        let nonce = random::<24>()?;
        let ciphertext = data_cipher(key, purpose)
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: data, aad: purpose.as_bytes() })
            .map_err(|_| VaultError::Sealed("encryption failed".into()))?;
        Ok(Self { algorithm: DATA_ALGORITHM.into(), nonce: B64.encode(nonce), ciphertext: B64.encode(ciphertext) })
    }

    /// Decrypts; a wrong key or damaged data is [`VaultError::Sealed`].
    pub fn open(&self, key: &DbKey, purpose: &str) -> Result<Vec<u8>, VaultError> {
        if self.algorithm != DATA_ALGORITHM {
            return Err(VaultError::Sealed(format!("unsupported seal {}", self.algorithm)));
        }
        let nonce = decode(&self.nonce, "nonce")?;
        if nonce.len() != 24 {
            return Err(VaultError::Sealed("the nonce is not 24 bytes".into()));
        }
        data_cipher(key, purpose)
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload { msg: &decode(&self.ciphertext, "data")?, aad: purpose.as_bytes() },
            )
            .map_err(|_| VaultError::Sealed(format!("the sealed {purpose} is damaged or under another key")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap(code: &RecoveryCode) -> RecoveryPublic {
        RecoveryPublic::generate_with(code, 256, 1).unwrap()
    }

    #[test]
    fn a_sealed_key_opens_with_its_code_only() {
        let code = RecoveryCode::generate().unwrap();
        let public = cheap(&code);
        let key = DbKey::generate().unwrap();
        let sealed = seal(&key, &public).unwrap();
        let typed = code.formatted();
        let reread = RecoveryCode::parse(&typed.expose().to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(open(&sealed, &reread).unwrap(), key, "the code as typed (any case, spaces) opens the key");
        let other = RecoveryCode::generate().unwrap();
        assert!(
            matches!(open(&sealed, &other), Err(VaultError::WrongRecoveryCode)),
            "another code is refused as the wrong code, not as damage"
        );
        let mut damaged = sealed.clone();
        let mut ct = B64.decode(&damaged.ciphertext).unwrap();
        ct[0] ^= 1;
        damaged.ciphertext = B64.encode(ct);
        assert!(matches!(open(&damaged, &code), Err(VaultError::Sealed(_))), "a flipped bit is caught");
        let json = serde_json::to_string(&sealed).unwrap();
        assert!(!json.contains(key.to_hex().expose().as_str()), "the seal holds no clear key");
        assert_eq!(serde_json::from_str::<SealedKey>(&json).unwrap(), sealed, "the seal is plain JSON");
    }

    #[test]
    fn a_typo_is_caught_by_the_checksum_and_ambiguous_letters_are_tolerated() {
        let code = RecoveryCode::generate().unwrap();
        let text = code.formatted().expose().clone();
        assert_eq!(text.len(), 32 + 7, "8 groups of 4: {}", text.len());
        assert_eq!(text.split('-').count(), 8);
        // Change one character of the data part into another of the alphabet.
        let mut chars: Vec<char> = text.chars().collect();
        chars[5] = if chars[5] == 'A' { 'B' } else { 'A' };
        let typo: String = chars.iter().collect();
        match RecoveryCode::parse(&typo) {
            Err(VaultError::InvalidRecoveryCode(m)) => {
                assert!(m.contains("checksum"), "a typo is reported as such: {m}");
                assert!(!m.contains(&typo[..9]), "the message never repeats the code");
            }
            other => panic!("a typo must be refused before any crypto: {other:?}"),
        }
        let confusable = text.replace('1', "l").replace('0', "o");
        assert_eq!(RecoveryCode::parse(&confusable).unwrap(), code, "l/o read as 1/0");
        assert!(RecoveryCode::parse(&text[..20]).is_err(), "a short code is refused");
        assert!(RecoveryCode::parse(&text.replacen(&text[0..1], "U", 1)).is_err(), "U is no code character");
        assert!(RecoveryCode::looks_like_code(&text) && !RecoveryCode::looks_like_code("correct horse battery staple"));
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let code = RecoveryCode::generate().unwrap();
        let shown = format!("{code:?} {:?}", code.formatted());
        assert!(!shown.contains(&code.formatted().expose()[..4]), "R5: the code never reaches Debug: {shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn the_recovery_file_holds_only_the_public_half() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("saldo.db");
        let code = RecoveryCode::generate().unwrap();
        let file = RecoveryFile::new(cheap(&code));
        file.save(&db).unwrap();
        assert_eq!(RecoveryFile::load(&db).unwrap(), Some(file));
        let text = std::fs::read_to_string(RecoveryFile::path_for(&db)).unwrap();
        assert!(!text.contains(&code.formatted().expose()[..9]), "the code is never stored");
        assert_eq!(crate::private::mode_of(&RecoveryFile::path_for(&db)).unwrap_or(0o600), 0o600, "private");
    }

    #[test]
    fn data_sealed_under_a_key_opens_with_that_key_and_purpose_only() {
        let key = DbKey::generate().unwrap();
        let sealed = SealedData::seal(&key, "manifest", b"BE68 5390 0754 7034").unwrap();
        assert_eq!(sealed.open(&key, "manifest").unwrap(), b"BE68 5390 0754 7034");
        assert!(sealed.open(&DbKey::generate().unwrap(), "manifest").is_err(), "another key");
        assert!(sealed.open(&key, "other").is_err(), "another purpose");
    }
}
