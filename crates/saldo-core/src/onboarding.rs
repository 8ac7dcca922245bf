//! Becoming a person the gateway serves: its terms, a registration, and the
//! registration's user context as the start of every new connection (R1).
//! Kept per gateway, encrypted with everything else.

use saldo_gateway::{CorrelationId, GatewayClient, NewUser, Registration, UserContext};
use saldo_store::Store;

use crate::{CoreError, Result};

/// This installation's registration at a gateway.
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
    /// The person's id at the gateway.
    pub psuid: String,
    /// The terms version they accepted.
    pub accepted_version: i64,
    /// The registration's user context (the start of new connections).
    pub user_context: Option<UserContext>,
}

fn key(label: &str) -> String {
    format!("gateway-registration:{label}")
}

fn context_key(label: &str) -> String {
    format!("gateway-user-context:{label}")
}

/// The registration at the gateway labelled `label`, if any.
pub fn registration(store: &Store, label: &str) -> Result<Option<Registered>> {
    let Some(text) = store.setting(&key(label))? else { return Ok(None) };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CoreError::Local(format!("a stored registration is damaged: {e}")))?;
    Ok(Some(Registered {
        psuid: v["psuid"].as_str().unwrap_or_default().to_owned(),
        accepted_version: v["version"].as_i64().unwrap_or_default(),
        user_context: store.setting(&context_key(label))?.map(UserContext::new),
    }))
}

/// Registers the person (who accepted `user.validated_version_tc`) at the
/// client's gateway and keeps the registration; registering again records
/// a newer acceptance.
pub async fn register(store: &mut Store, client: &GatewayClient, user: &NewUser) -> Result<Registration> {
    let r = client.register(user, &CorrelationId::new()).await?.body;
    if r.action.as_deref().is_some_and(|a| !a.eq_ignore_ascii_case("OK")) {
        let next = r.url.as_deref().unwrap_or("the gateway's site");
        return Err(CoreError::Invalid(format!("the gateway asks to finish the registration at {next}")));
    }
    let label = client.label();
    // The details are kept (encrypted, with everything else) so that newer
    // terms can be accepted without typing them again.
    let person = NewUser { validated_version_tc: 0, ..user.clone() };
    store.set_setting(
        &key(label),
        &serde_json::json!({ "psuid": r.psuid, "version": user.validated_version_tc, "person": person }).to_string(),
    )?;
    if let Some(ctx) = &r.user_context {
        store.set_setting(&context_key(label), ctx.expose())?; // R1
    }
    Ok(r)
}

/// The details the person registered with at the gateway labelled `label`
/// (without a terms version), if they did.
pub fn registered_person(store: &Store, label: &str) -> Result<Option<NewUser>> {
    let Some(text) = store.setting(&key(label))? else { return Ok(None) };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| CoreError::Local(format!("a stored registration is damaged: {e}")))?;
    Ok(v.get("person").and_then(|p| serde_json::from_value(p.clone()).ok()))
}

/// Accepts terms `version` with the details the person registered with.
pub async fn accept_terms(store: &mut Store, client: &GatewayClient, version: i64) -> Result<Registration> {
    let person = registered_person(store, client.label())?.ok_or_else(|| {
        CoreError::Invalid("there is no registration at this gateway to accept newer terms for: register first".into())
    })?;
    register(store, client, &NewUser { validated_version_tc: version, ..person }).await
}

/// Whether a gateway error says the person must (again) accept terms or
/// register before a bank can be connected.
pub fn needs_registration(e: &saldo_gateway::GatewayError) -> bool {
    matches!(e.exception_type(), Some("UserNotRegisteredException" | "TermsNotAcceptedException"))
}
