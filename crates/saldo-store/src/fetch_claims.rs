//! `fetch_claims`: the identity occurrences (`key#n`, R16) an account's
//! fetch in progress has consumed — in memory while it runs, rebuilt from the
//! database (the rows its run stored, the keys its pages re-fetched) when a
//! fetch resumes after a crash (R4).

use std::collections::HashMap;

use crate::{Result, StoreError};

/// The identity occurrences consumed by an account's fetch in progress.
#[derive(Debug)]
pub(crate) struct FetchClaims {
    pub(crate) run_id: i64,
    /// The checkpoint's page count after this process's last page: if it
    /// moved, another process went on with the fetch and these are stale.
    pub(crate) pages_done: i64,
    pub(crate) counts: Claims,
    /// The lowest-numbered row (`gwSequence`) of the last page, so that a
    /// jump across two pages shows.
    pub(crate) seq_edge: Option<crate::gaps::SeqPoint>,
}

/// Occurrences consumed per identity key. A key is held as a 128-bit hash
/// under two random per-process SipHash keys (no bank can aim a collision at
/// it, and chance gives one in 10^26 at a million keys), in 24 bytes a key
/// instead of the key itself.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    hashers: (std::hash::RandomState, std::hash::RandomState),
    counts: HashMap<KeyHash, u32, std::hash::BuildHasherDefault<FirstWord>>,
}

/// A key's 128-bit hash, in two words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyHash(u64, u64);

impl std::hash::Hash for KeyHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.0); // already a random hash: the map needs no other
    }
}

/// The map's hasher: passes on the one word `KeyHash` writes.
#[derive(Debug, Default)]
struct FirstWord(u64);

impl std::hash::Hasher for FirstWord {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3); // FNV-1a, not used by KeyHash
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }
}

impl Claims {
    pub(crate) fn slot(&mut self, key: &str) -> &mut u32 {
        use std::hash::BuildHasher;
        let h = KeyHash(self.hashers.0.hash_one(key), self.hashers.1.hash_one(key));
        self.counts.entry(h).or_insert(0)
    }

    /// The occurrence number of `key`'s next appearance, now consumed.
    pub(crate) fn next(&mut self, key: &str) -> u32 {
        let slot = self.slot(key);
        *slot += 1;
        *slot - 1
    }
}

/// The occurrences consumed before this page by the fetch that `page`
/// belongs to. A page of the run that left the account's checkpoint
/// continues that fetch: its claims are rebuilt from the rows the run stored
/// and the keys its pages re-fetched (the v4 schema marked re-fetched rows
/// with `last_seen_run`, so a fetch interrupted before the upgrade resumes
/// too). Any other page starts a fresh fetch, and the claims of an abandoned
/// one are dropped.
pub(crate) fn load_claims(
    tx: &rusqlite::Transaction<'_>,
    account_id: i64,
    run_id: i64,
    resuming: bool,
) -> Result<Claims> {
    let mut counts = Claims::default();
    if !resuming {
        tx.execute("DELETE FROM fetch_claims WHERE account_id = ?1", [account_id])?;
        return Ok(counts);
    }
    let mut stored = tx.prepare(
        "SELECT match_key, count(*) FROM transactions
         WHERE account_id = ?1 AND (first_seen_run = ?2 OR last_seen_run = ?2) GROUP BY match_key",
    )?;
    for row in stored.query_map([account_id, run_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))? {
        let (key, n) = row?;
        *counts.slot(&key) += n;
    }
    let mut pages = tx.prepare("SELECT keys FROM fetch_claims WHERE account_id = ?1 AND sync_run_id = ?2")?;
    for keys in pages.query_map([account_id, run_id], |r| r.get::<_, String>(0))? {
        let keys: Vec<String> = serde_json::from_str(&keys?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for key in keys {
            *counts.slot(&key) += 1;
        }
    }
    Ok(counts)
}
