//! Where the money goes, as pure functions over a transaction's stored
//! fields (no database, no network): the clean name of the other party
//! ([`counterparty`]), categorisation rules and the reason each row got its
//! category ([`rules`]), and transfers between the person's own accounts
//! ([`transfers`]). The store calls them at ingest; the core calls them
//! retroactively.

pub mod counterparty;
pub mod rules;
pub mod transfers;
