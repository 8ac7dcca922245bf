//! `sca_flows`: strong-customer-authentication flows, persisted so they
//! survive a restart and so a callback can be checked against them (R7, R19).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use saldo_gateway::{FlowContext, UserContext};

use crate::states::{FlowState, FlowStep, RedirectKind};
use crate::{Result, Store};

/// A stored flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowRow {
    /// The flow id (sent as `flowId`, returned by the bank as `flowId` or `state`).
    pub id: String,
    /// The connection it re-consents, or the one it created once done.
    pub connection_id: Option<i64>,
    /// Connector.
    pub connector_id: i64,
    /// Its state (seed 002).
    pub state: FlowState,
    /// The gateway's flow context for the next step.
    pub flow_context: Option<FlowContext>,
    /// A user context returned before the connection exists (R1).
    pub user_context: Option<UserContext>,
    /// How the callback comes back.
    pub redirect_kind: RedirectKind,
    /// What the flow waits for, while it waits.
    pub step: Option<FlowStep>,
    /// JSON details (bank name, country, offered options).
    pub details: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// After this, the flow is expired (RFC 3339).
    pub expires_at: String,
}

const COLUMNS: &str =
    "id, connection_id, connector_id, state, flow_context, user_context, redirect_kind, step, details, error, created_at, expires_at";

fn row(r: &Row<'_>) -> rusqlite::Result<FlowRow> {
    Ok(FlowRow {
        id: r.get(0)?,
        connection_id: r.get(1)?,
        connector_id: r.get(2)?,
        state: r.get(3)?,
        flow_context: r.get::<_, Option<String>>(4)?.map(FlowContext::new),
        user_context: r.get::<_, Option<String>>(5)?.map(UserContext::new),
        redirect_kind: r.get(6)?,
        step: r.get(7)?,
        details: r.get(8)?,
        error: r.get(9)?,
        created_at: r.get(10)?,
        expires_at: r.get(11)?,
    })
}

impl FlowRow {
    /// Whether the flow has passed its expiry.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        DateTime::parse_from_rfc3339(&self.expires_at).map_or(true, |e| now > e)
    }
}

impl Store {
    /// Records a new flow (state `PROCESSING`).
    #[allow(clippy::too_many_arguments)]
    pub fn insert_flow(
        &self,
        id: &str,
        connector_id: i64,
        connection_id: Option<i64>,
        redirect_kind: RedirectKind,
        details: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sca_flows (id, connection_id, connector_id, state, redirect_kind, details, created_at, expires_at, updated_at)
             VALUES (?1, ?2, ?3, 'PROCESSING', ?4, ?5, ?6, ?7, ?6)",
            params![id, connection_id, connector_id, redirect_kind, details, now.to_rfc3339(), expires_at.to_rfc3339()],
        )?;
        Ok(())
    }

    /// One flow.
    pub fn flow(&self, id: &str) -> Result<Option<FlowRow>> {
        Ok(self.conn.query_row(&format!("SELECT {COLUMNS} FROM sca_flows WHERE id = ?1"), [id], row).optional()?)
    }

    /// Flows waiting for the person.
    pub fn pending_flows(&self) -> Result<Vec<FlowRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM sca_flows WHERE state IN ('PROCESSING', 'CONSUMER_INPUT_NEEDED') ORDER BY created_at"
        ))?;
        let rows = st.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Moves a flow on. Non-null contexts replace the stored ones (R1).
    #[allow(clippy::too_many_arguments)]
    pub fn update_flow(
        &self,
        id: &str,
        state: FlowState,
        step: Option<FlowStep>,
        flow_context: Option<&FlowContext>,
        user_context: Option<&UserContext>,
        error: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE sca_flows SET state = ?2, step = ?3, flow_context = coalesce(?4, flow_context),
             user_context = coalesce(?5, user_context), error = ?6, updated_at = ?7 WHERE id = ?1",
            params![
                id,
                state,
                step,
                flow_context.map(FlowContext::expose),
                user_context.map(UserContext::expose),
                error,
                now.to_rfc3339()
            ],
        )?;
        Ok(())
    }

    /// Replaces a flow's JSON details.
    pub fn set_flow_details(&self, id: &str, details: &str) -> Result<()> {
        self.conn.execute("UPDATE sca_flows SET details = ?2 WHERE id = ?1", params![id, details])?;
        Ok(())
    }

    /// Links a finished flow to the connection it created.
    pub fn set_flow_connection(&self, id: &str, connection_id: i64) -> Result<()> {
        self.conn.execute("UPDATE sca_flows SET connection_id = ?2 WHERE id = ?1", params![id, connection_id])?;
        Ok(())
    }
}
