//! `connections`: one person's access to one connector, with its user context.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use saldo_gateway::UserContext;

use crate::states::{ConnectionStatus, ConsentStatus};
use crate::{Result, Store};

/// A stored connection (without its user context, which stays in the core).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// Row id.
    pub id: i64,
    /// The gateway connector.
    pub connector_id: i64,
    /// Display name of the bank.
    pub bank_name: String,
    /// Country code.
    pub country: String,
    /// Where it stands.
    pub status: ConnectionStatus,
    /// Last completed sync.
    pub last_sync_at: Option<String>,
    /// The gateway it was made through (its label), if known.
    pub gateway: Option<String>,
    /// It holds accounts filled only from statement files: there is no
    /// bank to sync or reconnect (issue 17).
    pub offline: bool,
}

fn row(r: &Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        id: r.get(0)?,
        connector_id: r.get(1)?,
        bank_name: r.get(2)?,
        country: r.get(3)?,
        status: r.get(4)?,
        last_sync_at: r.get(5)?,
        gateway: r.get(6)?,
        offline: r.get::<_, i64>(7)? != 0,
    })
}

const COLUMNS: &str = "id, connector_id, bank_name, country, status, last_sync_at, gateway, offline";

impl Store {
    /// Adds a connection after a finished SCA flow, with its first user context (R1).
    pub fn insert_connection(
        &self,
        connector_id: i64,
        bank_name: &str,
        country: &str,
        user: &UserContext,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let now = now.to_rfc3339();
        self.conn.execute(
            "INSERT INTO connections (connector_id, bank_name, country, status, user_context, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![connector_id, bank_name, country, ConnectionStatus::Active, user.expose(), now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// All connections.
    pub fn connections(&self) -> Result<Vec<Connection>> {
        let mut st = self.conn.prepare(&format!("SELECT {COLUMNS} FROM connections ORDER BY id"))?;
        let rows = st.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// One connection.
    pub fn connection(&self, id: i64) -> Result<Option<Connection>> {
        Ok(self.conn.query_row(&format!("SELECT {COLUMNS} FROM connections WHERE id = ?1"), [id], row).optional()?)
    }

    /// The stored user context of a connection.
    pub fn user_context(&self, id: i64) -> Result<Option<UserContext>> {
        let ctx: Option<Option<String>> =
            self.conn.query_row("SELECT user_context FROM connections WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        Ok(ctx.flatten().map(UserContext::new))
    }

    /// Replaces the user context (R1: whenever the gateway returns a non-null one).
    pub fn set_user_context(&self, id: i64, user: &UserContext, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE connections SET user_context = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, user.expose(), now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Records the gateway a connection belongs to (see migration v7).
    pub fn set_connection_gateway(&self, id: i64, gateway: &str) -> Result<()> {
        self.conn.execute("UPDATE connections SET gateway = ?2 WHERE id = ?1", params![id, gateway])?;
        Ok(())
    }

    /// Sets the status.
    pub fn set_connection_status(&self, id: i64, status: ConnectionStatus, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE connections SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Deletes a connection and, by cascade, its flows, consents, accounts,
    /// balances, transactions, sync runs and checkpoints (R14).
    pub fn delete_connection(&self, id: i64) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM connections WHERE id = ?1", [id])? > 0)
    }
}

/// A consent as stored (R15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRow {
    /// The gateway's consent id.
    pub id: String,
    /// Until when the bank says it holds (RFC 3339), if it says.
    pub valid_until: Option<String>,
    /// Its state.
    pub status: ConsentStatus,
}

impl Store {
    /// Records the consents the bank reports on a connection's accounts (R15:
    /// their `validUntil` drives expiry warnings).
    pub fn record_consents(
        &self,
        connection_id: i64,
        accounts: &[saldo_gateway::Account],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for c in accounts.iter().flat_map(|a| [a.transactions_consent.as_ref(), a.balances_consent.as_ref()]).flatten()
        {
            let Some(id) = &c.consent_id else { continue };
            self.conn.execute(
                // The bank reports it in force: a consent an earlier run found
                // expired is valid again (a reconnect may renew it under the
                // same id); one Saldo revoked stays revoked.
                "INSERT INTO consents (id, connection_id, valid_until, status, updated_at) VALUES (?1, ?2, ?3, 'valid', ?4)
                 ON CONFLICT (id) DO UPDATE SET valid_until = excluded.valid_until, updated_at = excluded.updated_at,
                   status = CASE WHEN status = 'revoked' THEN status ELSE 'valid' END",
                params![id, connection_id, c.valid_until.as_ref().map(|v| v.as_str().to_owned()), now.to_rfc3339()],
            )?;
        }
        Ok(())
    }

    /// The consents of a connection.
    pub fn consents(&self, connection_id: i64) -> Result<Vec<ConsentRow>> {
        let mut st =
            self.conn.prepare("SELECT id, valid_until, status FROM consents WHERE connection_id = ?1 ORDER BY id")?;
        let rows = st
            .query_map([connection_id], |r| {
                Ok(ConsentRow { id: r.get(0)?, valid_until: r.get(1)?, status: r.get(2)? })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Marks every consent of a connection that is still valid as expired
    /// (the bank refused it: the connection needs a reconnect).
    pub fn expire_consents(&self, connection_id: i64, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE consents SET status = ?2, updated_at = ?3 WHERE connection_id = ?1 AND status = 'valid'",
            params![connection_id, ConsentStatus::Expired, now.to_rfc3339()],
        )?;
        Ok(())
    }

    /// Forgets the consents of a connection that the bank refused (after a
    /// reconnect renewed its access under new consents).
    pub fn drop_expired_consents(&self, connection_id: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM consents WHERE connection_id = ?1 AND status = ?2",
            params![connection_id, ConsentStatus::Expired],
        )?;
        Ok(())
    }

    /// Sets a consent's status.
    pub fn set_consent_status(&self, id: &str, status: ConsentStatus, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE consents SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status, now.to_rfc3339()],
        )?;
        Ok(())
    }
}

impl Store {
    /// Records a completed sync on the connection.
    pub fn set_last_sync(&self, connection_id: i64, now: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "UPDATE connections SET last_sync_at = ?2 WHERE id = ?1",
            params![connection_id, now.to_rfc3339()],
        )?;
        Ok(())
    }
}
