//! Removing connections and accounts (R14): first at the gateway, then here.

use chrono::Utc;
use saldo_gateway::{CorrelationId, DeleteRequest, GatewayClient};
use saldo_store::states::{ConnectionStatus, ConsentStatus};
use saldo_store::Store;

use crate::sync::{ConnectionLock, SyncOptions};
use crate::{CoreError, Result};

/// Revokes every consent of a connection at the gateway, then deletes the
/// connection with its accounts, balances and transactions (R14). If the
/// gateway cannot be reached, nothing is deleted and the error says so;
/// `force` deletes locally anyway (for a bank that no longer exists). Once
/// the consents are revoked the connection is marked revoked, so that if the
/// local deletion fails (a full disk) it is never synced again and
/// disconnecting it again finishes the deletion. Returns how many consents
/// were revoked at the bank (0: none was ever recorded, nothing to revoke).
pub async fn disconnect(
    store: &mut Store,
    client: &GatewayClient,
    conn: i64,
    opts: &SyncOptions,
    force: bool,
) -> Result<usize> {
    let _lock = ConnectionLock::acquire(&opts.lock_dir, conn).await?;
    let connection =
        store.connection(conn)?.ok_or_else(|| CoreError::NotFound(format!("there is no connection {conn}")))?;
    let cid = CorrelationId::new();
    let mut revoked = 0;
    for consent in store.consents(conn)? {
        if consent.status == ConsentStatus::Revoked {
            continue;
        }
        let consent = consent.id;
        let req = DeleteRequest::new(consent.clone(), connection.connector_id, store.user_context(conn)?);
        match client.delete_consent(&req, &cid).await {
            Ok(r) => {
                store.set_user_context(conn, &r.body, Utc::now())?; // R1
                store.set_consent_status(&consent, ConsentStatus::Revoked, Utc::now())?;
                revoked += 1;
            }
            Err(e) if !force => {
                if let Some(ctx) = e.user_context() {
                    store.set_user_context(conn, ctx, Utc::now())?;
                }
                return Err(e.into());
            }
            Err(e) => {
                tracing::warn!(connection = conn, "consent not revoked at the gateway, deleting locally anyway: {e}")
            }
        }
    }
    if connection.status != ConnectionStatus::Revoked {
        store.set_connection_status(conn, ConnectionStatus::Revoked, Utc::now())?;
    }
    store.delete_connection(conn)?;
    Ok(revoked)
}

/// After a switch to the gateway labelled `label`: every connection made
/// through another one needs a reconnect (its contexts mean nothing here);
/// its data stays. Returns how many were marked.
pub fn switch_gateway(store: &Store, label: &str) -> Result<usize> {
    let mut marked = 0;
    for c in store.connections()? {
        if c.gateway.as_deref().is_some_and(|g| g != label) && c.status == ConnectionStatus::Active {
            store.set_connection_status(c.id, ConnectionStatus::NeedsReconnect, Utc::now())?;
            marked += 1;
        }
    }
    Ok(marked)
}

/// Removes one account at the gateway (`accounts/delete`), then locally with
/// its balances and transactions (R14).
pub async fn delete_account(
    store: &mut Store,
    client: &GatewayClient,
    account_id: i64,
    opts: &SyncOptions,
) -> Result<()> {
    let account = store
        .accounts(None, true)?
        .into_iter()
        .find(|a| a.id == account_id)
        .ok_or_else(|| CoreError::NotFound(format!("there is no account {account_id}")))?;
    let _lock = ConnectionLock::acquire(&opts.lock_dir, account.connection_id).await?;
    let connection = store
        .connection(account.connection_id)?
        .ok_or_else(|| CoreError::NotFound("the account's connection vanished".into()))?;
    let req =
        DeleteRequest::new(account.gateway_id.clone(), connection.connector_id, store.user_context(connection.id)?);
    match client.delete_account(&req, &CorrelationId::new()).await {
        Ok(r) => store.set_user_context(connection.id, &r.body, Utc::now())?,
        Err(e) => {
            if let Some(ctx) = e.user_context() {
                store.set_user_context(connection.id, ctx, Utc::now())?;
            }
            return Err(e.into());
        }
    }
    store.delete_account(account_id)?;
    Ok(())
}
