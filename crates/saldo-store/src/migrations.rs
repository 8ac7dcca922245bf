//! Forward-only schema migrations, tracked in `PRAGMA user_version`.
//!
//! Never edit a released migration: add a new one. A test builds a database
//! at every earlier version and checks that migrating it gives exactly the
//! schema of a fresh database.

use rusqlite::Connection;

use crate::{Result, StoreError};

/// The day sums (`category_days`) computed from the rows: how schema v8
/// fills them (part of that migration: never edit it).
macro_rules! category_days_from_rows {
    () => {
        "INSERT INTO category_days
SELECT t.account_id, t.booking_date, coalesce(l.category_id, 0), coalesce(t.counterparty_key, ''),
       coalesce(t.counterparty_clean, ''), t.currency, t.scale,
       sum(CASE WHEN t.amount_minor > 0 THEN t.amount_minor ELSE 0 END),
       sum(CASE WHEN t.amount_minor < 0 THEN t.amount_minor ELSE 0 END), count(*)
FROM transactions t LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
GROUP BY 1, 2, 3, 4, 5, 6, 7;
"
    };
}

/// Migration `i` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // v1: the whole domain.
    r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- A connection is one person's access to one connector (R1). Its user
-- context (tokens!) is stored here, encrypted with the rest of the file.
CREATE TABLE connections (
    id            INTEGER PRIMARY KEY,
    connector_id  INTEGER NOT NULL,
    bank_name     TEXT NOT NULL,
    country       TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'needs_reconnect', 'revoked')),
    user_context  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    last_sync_at  TEXT
) STRICT;

CREATE TABLE sca_flows (
    id             TEXT PRIMARY KEY,
    connection_id  INTEGER REFERENCES connections(id) ON DELETE CASCADE,
    connector_id   INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('PROCESSING', 'CONSUMER_INPUT_NEEDED', 'FINISHED', 'ABORTED', 'EXCEPTION')),
    flow_context   TEXT,
    redirect_kind  TEXT NOT NULL CHECK (redirect_kind IN ('deeplink', 'loopback')),
    step           TEXT,
    error          TEXT,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE consents (
    id             TEXT PRIMARY KEY,
    connection_id  INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    valid_until    TEXT,
    status         TEXT NOT NULL CHECK (status IN ('valid', 'expired', 'revoked')),
    updated_at     TEXT NOT NULL
) STRICT;

CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY,
    connection_id      INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    gateway_id         TEXT NOT NULL,
    iban               TEXT,
    currency           TEXT NOT NULL,
    description        TEXT,
    product            TEXT,
    owner_name         TEXT,
    bic                TEXT,
    cash_account_type  TEXT,
    enabled            INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    disappeared_at     TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (connection_id, gateway_id)
) STRICT;

CREATE TABLE sync_runs (
    id               INTEGER PRIMARY KEY,
    connection_id    INTEGER NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
    scope            TEXT NOT NULL CHECK (scope IN ('ACCOUNTS', 'TRANSACTIONS')),
    state            TEXT NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'AWAIT_AUTH', 'COMPLETED', 'FAILED')),
    trigger          TEXT NOT NULL CHECK (trigger IN ('user', 'daily')),
    accounts_done    INTEGER NOT NULL DEFAULT 0,
    pages_done       INTEGER NOT NULL DEFAULT 0,
    new_transactions INTEGER NOT NULL DEFAULT 0,
    seen_transactions INTEGER NOT NULL DEFAULT 0,
    error_kind       TEXT,
    error            TEXT,
    started_at       TEXT NOT NULL,
    finished_at      TEXT
) STRICT;

-- One row per account while its transactions are being paged (R4): resume here after a crash.
CREATE TABLE paging_checkpoints (
    account_id     INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    sync_run_id    INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    pager_context  TEXT,
    pages_done     INTEGER NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;

-- One row per balance per sync, so history is kept.
CREATE TABLE balances (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sync_run_id     INTEGER REFERENCES sync_runs(id) ON DELETE SET NULL,
    balance_type    TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL,
    scale           INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    reference_date  TEXT,
    fetched_at      TEXT NOT NULL
) STRICT;
CREATE INDEX balances_by_account ON balances (account_id, fetched_at);

-- identity: a stable key that makes re-ingesting the same transaction a
-- no-op while genuine twins stay distinct (R16): "<key>#<n>", key = "b:" bank
-- id or "f:" content fingerprint, n = occurrence of that key in one fetch.
CREATE TABLE transactions (
    id                    INTEGER PRIMARY KEY,
    account_id            INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity              TEXT NOT NULL,
    match_key             TEXT NOT NULL,
    bank_id               TEXT,
    booking_date          TEXT NOT NULL,
    value_date            TEXT,
    amount_minor          INTEGER NOT NULL,
    scale                 INTEGER NOT NULL,
    currency              TEXT NOT NULL,
    counterparty_name     TEXT,
    counterparty_account  TEXT,
    counterparty_bic      TEXT,
    description           TEXT,
    remittance            TEXT,
    creditor_reference    TEXT,
    bank_transaction_code TEXT,
    raw                   TEXT NOT NULL,
    first_seen_run        INTEGER,
    last_seen_run         INTEGER,
    created_at            TEXT NOT NULL,
    UNIQUE (account_id, identity)
) STRICT;
CREATE INDEX transactions_by_account_date ON transactions (account_id, booking_date DESC, id DESC);
CREATE INDEX transactions_by_date ON transactions (booking_date DESC, id DESC);
CREATE INDEX transactions_seen ON transactions (account_id, last_seen_run, match_key);

-- Full-text search over counterparty, description and remittance.
CREATE VIRTUAL TABLE transactions_fts USING fts5 (
    counterparty_name, description, remittance,
    content = 'transactions', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER transactions_fts_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance)
    VALUES (new.id, new.counterparty_name, new.description, new.remittance);
END;
CREATE TRIGGER transactions_fts_delete AFTER DELETE ON transactions BEGIN
    INSERT INTO transactions_fts (transactions_fts, rowid, counterparty_name, description, remittance)
    VALUES ('delete', old.id, old.counterparty_name, old.description, old.remittance);
END;
CREATE TRIGGER transactions_fts_update AFTER UPDATE OF counterparty_name, description, remittance ON transactions BEGIN
    INSERT INTO transactions_fts (transactions_fts, rowid, counterparty_name, description, remittance)
    VALUES ('delete', old.id, old.counterparty_name, old.description, old.remittance);
    INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance)
    VALUES (new.id, new.counterparty_name, new.description, new.remittance);
END;
"#,
    // v2: date-ordered row ids, maintained monthly totals, a leaner search index.
    //
    // A transaction's id is `(days since 1900-01-01) << 24 | n`: newest first is
    // rowid order, so the list, date ranges and full-text matches stream in
    // order and stop at the page size, without a date index. Existing rows are
    // renumbered (nothing references transaction ids).
    r#"
CREATE TABLE transactions_v2 (
    id                    INTEGER PRIMARY KEY,
    account_id            INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity              TEXT NOT NULL,
    match_key             TEXT NOT NULL,
    bank_id               TEXT,
    booking_date          TEXT NOT NULL,
    value_date            TEXT,
    amount_minor          INTEGER NOT NULL,
    scale                 INTEGER NOT NULL,
    currency              TEXT NOT NULL,
    counterparty_name     TEXT,
    counterparty_account  TEXT,
    counterparty_bic      TEXT,
    description           TEXT,
    remittance            TEXT,
    creditor_reference    TEXT,
    bank_transaction_code TEXT,
    raw                   TEXT NOT NULL,
    first_seen_run        INTEGER,
    last_seen_run         INTEGER,
    created_at            TEXT NOT NULL,
    UNIQUE (account_id, identity)
) STRICT;
INSERT INTO transactions_v2
SELECT (CAST(julianday(booking_date) - julianday('1900-01-01') AS INTEGER) << 24)
         + row_number() OVER (PARTITION BY booking_date ORDER BY id) - 1,
       account_id, identity, match_key, bank_id, booking_date, value_date, amount_minor, scale, currency,
       counterparty_name, counterparty_account, counterparty_bic, description, remittance, creditor_reference,
       bank_transaction_code, raw, first_seen_run, last_seen_run, created_at
FROM transactions;
DROP TABLE transactions_fts;
DROP TABLE transactions;
ALTER TABLE transactions_v2 RENAME TO transactions;
CREATE INDEX transactions_by_account ON transactions (account_id);

CREATE TABLE monthly_totals (
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    month          TEXT NOT NULL,
    currency       TEXT NOT NULL,
    scale          INTEGER NOT NULL,
    income_minor   INTEGER NOT NULL,
    expense_minor  INTEGER NOT NULL,
    PRIMARY KEY (account_id, month, currency, scale)
) STRICT, WITHOUT ROWID;
INSERT INTO monthly_totals (account_id, month, currency, scale, income_minor, expense_minor)
SELECT account_id, substr(booking_date, 1, 7), currency, scale,
       sum(CASE WHEN amount_minor > 0 THEN amount_minor ELSE 0 END),
       sum(CASE WHEN amount_minor < 0 THEN amount_minor ELSE 0 END)
FROM transactions GROUP BY 1, 2, 3, 4;

-- Search: positions within a column are never queried (every word is an AND
-- of prefixes), so detail=column: a smaller index. Banks often repeat the
-- description as remittance text; it is indexed once (the view and the
-- triggers agree on what is indexed).
CREATE VIEW transactions_search AS
    SELECT id, counterparty_name, description, nullif(remittance, description) AS remittance FROM transactions;
CREATE VIRTUAL TABLE transactions_fts USING fts5 (
    counterparty_name, description, remittance,
    content = 'transactions_search', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', detail = column
);
CREATE TRIGGER transactions_fts_insert AFTER INSERT ON transactions BEGIN
    INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance)
    VALUES (new.id, new.counterparty_name, new.description, nullif(new.remittance, new.description));
END;
CREATE TRIGGER transactions_fts_delete AFTER DELETE ON transactions BEGIN
    INSERT INTO transactions_fts (transactions_fts, rowid, counterparty_name, description, remittance)
    VALUES ('delete', old.id, old.counterparty_name, old.description, nullif(old.remittance, old.description));
END;
CREATE TRIGGER transactions_fts_update AFTER UPDATE OF counterparty_name, description, remittance ON transactions BEGIN
    INSERT INTO transactions_fts (transactions_fts, rowid, counterparty_name, description, remittance)
    VALUES ('delete', old.id, old.counterparty_name, old.description, nullif(old.remittance, old.description));
    INSERT INTO transactions_fts (rowid, counterparty_name, description, remittance)
    VALUES (new.id, new.counterparty_name, new.description, nullif(new.remittance, new.description));
END;
INSERT INTO transactions_fts (transactions_fts) VALUES ('rebuild');
"#,
    // v3: a flow keeps the user context a bank returns before the connection
    // exists (R1), and what the flow is about (bank, re-consent, options).
    r#"
ALTER TABLE sca_flows ADD COLUMN user_context TEXT;
ALTER TABLE sca_flows ADD COLUMN details TEXT NOT NULL DEFAULT '{}';
"#,
    // v4: a sync run counts the transactions the bank amended (same bank id,
    // new content) beside the new ones.
    r#"
ALTER TABLE sync_runs ADD COLUMN updated_transactions INTEGER NOT NULL DEFAULT 0;
"#,
    // v5: faster ingest and re-ingest.
    //
    // New rows are indexed for search by the ingest itself, not by a trigger:
    // a trigger makes every INSERT a multi-row write that opens a statement
    // savepoint, and FTS5 flushes its pending index to disk at every
    // savepoint — one tiny segment per row, merged over and over (two thirds
    // of the ingest time). The delete and update triggers stay, so rows leave
    // the index however they are deleted (R14 cascades included). The index
    // keeps no positions or column sizes: a search is an AND of word
    // prefixes, which needs neither.
    //
    // A re-fetched row is no longer marked by rewriting it (`last_seen_run`
    // stays the run that stored it). The fetch in progress counts identity
    // occurrences in memory; for a resume after a crash, each page records
    // the keys it re-fetched in `fetch_claims`, deleted when the fetch ends.
    r#"
DROP TRIGGER transactions_fts_insert;
DROP TABLE transactions_fts;
CREATE VIRTUAL TABLE transactions_fts USING fts5 (
    counterparty_name, description, remittance,
    content = 'transactions_search', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2', detail = none, columnsize = 0
);
INSERT INTO transactions_fts (transactions_fts) VALUES ('rebuild');

CREATE TABLE fetch_claims (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    sync_run_id  INTEGER NOT NULL REFERENCES sync_runs(id) ON DELETE CASCADE,
    keys         TEXT NOT NULL -- JSON array of identity keys re-fetched by one page
) STRICT;
CREATE INDEX fetch_claims_by_account ON fetch_claims (account_id);
"#,
    // v6: stretches of an account's history the gateway says may be missing
    // (a transaction marked `possibleHole`): shown to the person with the
    // days around the hole, until a fetch covers them again.
    r#"
CREATE TABLE gaps (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    after_date   TEXT,
    before_date  TEXT NOT NULL,
    found_at     TEXT NOT NULL,
    UNIQUE (account_id, before_date)
) STRICT;
"#,
    // v7: the gateway a connection was made through. Its contexts mean
    // nothing to another gateway: a connection is synced only through its
    // own, and reconnected (a new consent) to move to another. NULL: made
    // before v7, adopted by the first gateway that syncs it.
    r#"
ALTER TABLE connections ADD COLUMN gateway TEXT;
"#,
    // v8: where the money goes. The bank's rows stay as they came; what
    // Saldo and the person add is an overlay keyed by (account, identity),
    // the key an amendment keeps (R16), so no re-sync loses it:
    // - the clean counterparty name and its merge key, computed at ingest
    //   (NULL for rows stored before v8 until the core fills them in);
    // - categories (a tree with kinds), ordered rules, and one label per
    //   row with the reason it got its category; label changes made as one
    //   step can be undone (`label_batches`, `label_undo`);
    // - aliases: the name the person gave a counterparty key or an IBAN;
    // - transfers between own accounts (either leg may be missing) and the
    //   person's "not a transfer"; IBANs of own accounts Saldo does not sync.
    concat!(
        r#"
ALTER TABLE transactions ADD COLUMN counterparty_clean TEXT;
ALTER TABLE transactions ADD COLUMN counterparty_key TEXT;
ALTER TABLE transactions ADD COLUMN mandate TEXT;
CREATE INDEX transactions_by_counterparty ON transactions (counterparty_key, booking_date) WHERE counterparty_key IS NOT NULL;

CREATE TABLE categories (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES categories(id) ON DELETE CASCADE,
    path      TEXT NOT NULL UNIQUE,
    kind      TEXT NOT NULL CHECK (kind IN ('income', 'expense', 'transfer', 'ignore'))
) STRICT;

CREATE TABLE rules (
    id          INTEGER PRIMARY KEY,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    conditions  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE labels (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity    TEXT NOT NULL,
    category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    reason      TEXT NOT NULL CHECK (reason IN ('rule', 'similar', 'person', 'transfer')),
    rule_id     INTEGER REFERENCES rules(id) ON DELETE SET NULL,
    detail      TEXT NOT NULL,
    set_at      TEXT NOT NULL,
    PRIMARY KEY (account_id, identity)
) STRICT, WITHOUT ROWID;
CREATE INDEX labels_by_category ON labels (category_id);
CREATE INDEX labels_by_person ON labels (account_id, identity) WHERE reason = 'person';

CREATE TABLE label_batches (
    id         INTEGER PRIMARY KEY,
    what       TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    undone_at  TEXT
) STRICT;
CREATE TABLE label_undo (
    batch_id    INTEGER NOT NULL REFERENCES label_batches(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL,
    identity    TEXT NOT NULL,
    category_id INTEGER,
    reason      TEXT,
    rule_id     INTEGER,
    detail      TEXT,
    set_at      TEXT
) STRICT;
CREATE INDEX label_undo_by_batch ON label_undo (batch_id);

CREATE TABLE aliases (
    match_key TEXT PRIMARY KEY,
    name      TEXT NOT NULL
) STRICT;

CREATE TABLE transfers (
    id           INTEGER PRIMARY KEY,
    out_account  INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    out_identity TEXT,
    in_account   INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    in_identity  TEXT,
    how          TEXT NOT NULL CHECK (how IN ('iban', 'amount_date', 'person')),
    found_at     TEXT NOT NULL,
    CHECK (out_identity IS NOT NULL OR in_identity IS NOT NULL)
) STRICT;
CREATE UNIQUE INDEX transfers_out ON transfers (out_account, out_identity) WHERE out_identity IS NOT NULL;
CREATE UNIQUE INDEX transfers_in ON transfers (in_account, in_identity) WHERE in_identity IS NOT NULL;
CREATE TABLE not_transfers (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity   TEXT NOT NULL,
    PRIMARY KEY (account_id, identity)
) STRICT, WITHOUT ROWID;
CREATE TABLE transfer_review (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity   TEXT NOT NULL,
    grp        INTEGER NOT NULL,
    PRIMARY KEY (account_id, identity)
) STRICT, WITHOUT ROWID;
CREATE TABLE own_ibans (
    iban TEXT PRIMARY KEY,
    name TEXT
) STRICT;

-- Money in and out per account, day, category (0: none) and counterparty, kept with every
-- row and label change, so reports by category and month read a few
-- thousand sums instead of a million rows.
CREATE TABLE category_days (
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day              TEXT NOT NULL,
    category_id      INTEGER NOT NULL,
    counterparty_key TEXT NOT NULL,
    counterparty     TEXT NOT NULL,
    currency         TEXT NOT NULL,
    scale            INTEGER NOT NULL,
    in_minor         INTEGER NOT NULL,
    out_minor        INTEGER NOT NULL,
    rows             INTEGER NOT NULL,
    PRIMARY KEY (day, account_id, category_id, counterparty_key, counterparty, currency, scale)
) STRICT, WITHOUT ROWID;
"#,
        category_days_from_rows!()
    ),
    // v9: the bank's JSON of each row (kept whole, R17's audit trail) moves
    // beside the row. It was two thirds of a row's bytes, so every scan
    // (exports, applying rules, reports' reference scan, backups' sums)
    // read and decrypted three times the pages it needed. Deleting a row
    // deletes its JSON (the cascade), amendments included.
    r#"
CREATE TABLE transaction_raw (
    id  INTEGER PRIMARY KEY REFERENCES transactions(id) ON DELETE CASCADE,
    raw TEXT NOT NULL
) STRICT;
INSERT INTO transaction_raw (id, raw) SELECT id, raw FROM transactions;
ALTER TABLE transactions DROP COLUMN raw;
"#,
    // v10: history from statement files (issue 17). An offline connection
    // holds accounts that only files fill (no bank to sync). A row read
    // from a file has identity `s:<file>:<statement>:<entry>#0` until the
    // bank sends it (then the bank's row takes its place); `provenance`
    // says which file, statement and entry each imported row came from,
    // and stays with the row when the bank's version replaces it.
    r#"
ALTER TABLE connections ADD COLUMN offline INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1));
CREATE TABLE provenance (
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity     TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    format       TEXT NOT NULL,
    statement_id TEXT,
    entry        INTEGER NOT NULL,
    line         INTEGER,
    imported_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, identity)
) STRICT, WITHOUT ROWID;
CREATE INDEX provenance_by_file ON provenance (file_sha256);
CREATE INDEX transactions_from_files ON transactions (account_id, amount_minor, booking_date)
    WHERE identity >= 's:' AND identity < 's;';
CREATE TABLE imported_files (
    sha256      TEXT PRIMARY KEY,
    file_name   TEXT NOT NULL,
    format      TEXT NOT NULL,
    entries     INTEGER NOT NULL,
    added       INTEGER NOT NULL,
    imported_at TEXT NOT NULL
) STRICT;
"#,
    // v11: the category Saldo decides for a row (a rule, the person's
    // consistent earlier choices, a transfer) is kept in the row itself,
    // written by the INSERT that stores it: one B-tree write per row instead
    // of two or three (the label's random text key and its index). `labels`
    // keeps only what overrides it: the person's choice (a NULL category:
    // "no category"). A row shows the person's choice when there is one,
    // else its own. What a decision says in words is shared (a million rows
    // say a few hundred things). An amendment carries the row's decision
    // over (its old row is read before it is replaced).
    // - `label_reasons`: why (a rule, like earlier rows, a transfer) and the
    //   words; rows point at one (`auto_reason_id`) with their category
    //   (`auto_category_id`). No foreign keys on the two columns: each would
    //   be a lookup per stored row, and neither table is deleted from.
    // - `label_undo`: an entry restores either the row's own decision
    //   (`person` 0: category and reason) or the person's label (`person`
    //   1; `set_at` NULL: there was none). Pending v9 steps are translated:
    //   a person's step over a rule's label restores that label through the
    //   row's own decision.
    // - `category_months`: the day sums (`category_days`) per month, so the
    //   overview's chart leaves transfers and ignored rows out in a few
    //   reads (the labels table no longer lists them).
    r#"
CREATE TABLE label_reasons (
    id      INTEGER PRIMARY KEY,
    reason  TEXT NOT NULL CHECK (reason IN ('rule', 'similar', 'person', 'transfer')),
    rule_id INTEGER REFERENCES rules(id) ON DELETE SET NULL,
    detail  TEXT NOT NULL
) STRICT;
CREATE INDEX label_reasons_by_detail ON label_reasons (detail);
INSERT INTO label_reasons (reason, rule_id, detail)
SELECT reason, rule_id, detail FROM labels WHERE reason <> 'person'
UNION
SELECT u.reason, r.id, u.detail FROM label_undo u LEFT JOIN rules r ON r.id = u.rule_id
WHERE u.reason IS NOT NULL AND u.reason <> 'person';

ALTER TABLE transactions ADD COLUMN auto_category_id INTEGER;
ALTER TABLE transactions ADD COLUMN auto_reason_id INTEGER;
UPDATE transactions SET auto_category_id = l.category_id, auto_reason_id = r.id
FROM labels l JOIN label_reasons r ON r.detail = l.detail AND r.reason = l.reason AND r.rule_id IS l.rule_id
WHERE l.reason <> 'person' AND transactions.account_id = l.account_id AND transactions.identity = l.identity;
-- Under a person's label: the label a pending step of theirs replaced (the latest).
UPDATE transactions SET auto_category_id = u.category_id, auto_reason_id = r.id
FROM (SELECT u.account_id, u.identity, u.category_id, u.reason, rr.id AS rule_id, u.detail, max(u.batch_id)
      FROM label_undo u JOIN label_batches b ON b.id = u.batch_id LEFT JOIN rules rr ON rr.id = u.rule_id
      WHERE b.what NOT LIKE 'rules applied%' AND u.reason IS NOT NULL AND u.reason <> 'person'
      GROUP BY u.account_id, u.identity) AS u
JOIN label_reasons r ON r.detail = u.detail AND r.reason = u.reason AND r.rule_id IS u.rule_id
JOIN labels l ON l.account_id = u.account_id AND l.identity = u.identity AND l.reason = 'person'
WHERE transactions.account_id = u.account_id AND transactions.identity = u.identity;

ALTER TABLE label_undo RENAME TO label_undo_v9;
CREATE TABLE label_undo (
    batch_id    INTEGER NOT NULL REFERENCES label_batches(id) ON DELETE CASCADE,
    account_id  INTEGER NOT NULL,
    identity    TEXT NOT NULL,
    person      INTEGER NOT NULL CHECK (person IN (0, 1)),
    category_id INTEGER,
    reason_id   INTEGER,
    set_at      TEXT
) STRICT;
INSERT INTO label_undo (batch_id, account_id, identity, person, category_id, reason_id, set_at)
SELECT u.batch_id, u.account_id, u.identity, 1, u.category_id, NULL, u.set_at
FROM label_undo_v9 u WHERE u.reason = 'person'
UNION ALL
SELECT u.batch_id, u.account_id, u.identity, 1, NULL, NULL, NULL
FROM label_undo_v9 u JOIN label_batches b ON b.id = u.batch_id
WHERE (u.reason IS NULL OR u.reason <> 'person') AND b.what NOT LIKE 'rules applied%'
UNION ALL
SELECT u.batch_id, u.account_id, u.identity, 0, iif(r.id IS NULL, NULL, u.category_id), r.id, NULL
FROM label_undo_v9 u JOIN label_batches b ON b.id = u.batch_id LEFT JOIN rules rr ON rr.id = u.rule_id
LEFT JOIN label_reasons r ON r.detail = u.detail AND r.reason = u.reason AND r.rule_id IS rr.id
WHERE (u.reason IS NULL OR u.reason <> 'person') AND b.what LIKE 'rules applied%';
DROP TABLE label_undo_v9;
CREATE INDEX label_undo_by_batch ON label_undo (batch_id);

ALTER TABLE labels RENAME TO labels_v9;
CREATE TABLE labels (
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity    TEXT NOT NULL,
    category_id INTEGER REFERENCES categories(id) ON DELETE CASCADE,
    set_at      TEXT NOT NULL,
    PRIMARY KEY (account_id, identity)
) STRICT, WITHOUT ROWID;
INSERT INTO labels (account_id, identity, category_id, set_at)
SELECT account_id, identity, category_id, set_at FROM labels_v9 WHERE reason = 'person';
DROP TABLE labels_v9;
CREATE INDEX labels_by_category ON labels (category_id);

CREATE TABLE category_months (
    category_id INTEGER NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    month       TEXT NOT NULL,
    currency    TEXT NOT NULL,
    scale       INTEGER NOT NULL,
    in_minor    INTEGER NOT NULL,
    out_minor   INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    PRIMARY KEY (category_id, account_id, month, currency, scale)
) STRICT, WITHOUT ROWID;
INSERT INTO category_months (category_id, account_id, month, currency, scale, in_minor, out_minor, rows)
SELECT category_id, account_id, substr(day, 1, 7), currency, scale, sum(in_minor), sum(out_minor), sum(rows)
FROM category_days GROUP BY 1, 2, 3, 4, 5;
"#,
    // v12: an imported row's provenance names its statement (file, hash,
    // format, statement id, when) by number instead of repeating it: a
    // provenance row shrinks from ~200 bytes to ~45, and an import of 50k
    // rows writes a fifth of the pages it wrote.
    r#"
CREATE TABLE imported_statements (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    file_name    TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    format       TEXT NOT NULL,
    statement_id TEXT,
    imported_at  TEXT NOT NULL
) STRICT;
CREATE INDEX imported_statements_by_file ON imported_statements (file_sha256, statement_id);
CREATE INDEX imported_statements_by_account ON imported_statements (account_id);
INSERT INTO imported_statements (account_id, file_name, file_sha256, format, statement_id, imported_at)
SELECT DISTINCT account_id, file_name, file_sha256, format, statement_id, imported_at FROM provenance;
CREATE TABLE provenance_v12 (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    identity   TEXT NOT NULL,
    statement  INTEGER NOT NULL,
    entry      INTEGER NOT NULL,
    line       INTEGER,
    PRIMARY KEY (account_id, identity)
) STRICT, WITHOUT ROWID;
INSERT INTO provenance_v12 (account_id, identity, statement, entry, line)
SELECT p.account_id, p.identity, s.id, p.entry, p.line
FROM provenance p JOIN imported_statements s ON s.account_id = p.account_id AND s.file_sha256 = p.file_sha256
  AND s.statement_id IS p.statement_id AND s.file_name = p.file_name AND s.format = p.format AND s.imported_at = p.imported_at;
DROP TABLE provenance;
ALTER TABLE provenance_v12 RENAME TO provenance;
"#,
];

/// The schema version of a fresh database.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`LATEST_VERSION`], one migration per transaction.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, LATEST_VERSION)
}

/// Brings the database to `target` (tests build older versions with it).
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST_VERSION {
        return Err(StoreError::TooNew { found: current, supported: LATEST_VERSION });
    }
    for version in current..target {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[version as usize])?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "database migrated");
    }
    Ok(())
}

#[cfg(feature = "test-support")]
impl crate::Store {
    /// Rebuilds the day and month sums from the rows and the categories
    /// they show (tests: what the maintained sums must equal, and the state
    /// an upgrade leaves).
    pub fn rebuild_category_days(&self) -> Result<()> {
        self.conn.execute_batch(
            "DELETE FROM category_days;
INSERT INTO category_days
SELECT t.account_id, t.booking_date,
       coalesce(CASE WHEN l.identity IS NULL THEN t.auto_category_id ELSE l.category_id END, 0),
       coalesce(t.counterparty_key, ''), coalesce(t.counterparty_clean, ''), t.currency, t.scale,
       sum(CASE WHEN t.amount_minor > 0 THEN t.amount_minor ELSE 0 END),
       sum(CASE WHEN t.amount_minor < 0 THEN t.amount_minor ELSE 0 END), count(*)
FROM transactions t LEFT JOIN labels l ON l.account_id = t.account_id AND l.identity = t.identity
GROUP BY 1, 2, 3, 4, 5, 6, 7;
DELETE FROM category_months;
INSERT INTO category_months (category_id, account_id, month, currency, scale, in_minor, out_minor, rows)
SELECT category_id, account_id, substr(day, 1, 7), currency, scale, sum(in_minor), sum(out_minor), sum(rows)
FROM category_days GROUP BY 1, 2, 3, 4, 5;",
        )?;
        Ok(())
    }
}
