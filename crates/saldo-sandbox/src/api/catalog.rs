//! The bank catalog: `GET /ob/banks` and a bank's access options.

use std::sync::Arc;

use axum::extract::{Path, Query, State as AxState};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use saldo_gateway::{Bank, BankBicEntry, BankExtraInfo, BankStatus};

use super::ApiResult;
use crate::error::ApiError;
use crate::App;

fn connector_id(text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse()
        .map_err(|_| ApiError::bad_request("InvalidConnectorException", format!("{text:?} is not a connector id.")))
}

/// Query of the bank catalog.
#[derive(Deserialize)]
pub struct BanksQuery {
    #[serde(rename = "countryCode", alias = "countrycode", alias = "CountryCode")]
    country_code: Option<String>,
}

/// `GET /ob/banks?countryCode=`.
pub async fn banks(AxState(app): AxState<Arc<App>>, Query(q): Query<BanksQuery>) -> Response {
    let wanted = q.country_code.map(|c| c.to_ascii_uppercase());
    let list: Vec<Bank> = app
        .connectors
        .iter()
        .filter(|c| wanted.as_deref().is_none_or(|w| w == c.country))
        .map(|c| Bank {
            fullname: c.name.to_owned(),
            connector_id: c.id,
            logo_url: Some(format!("{}/logos/{}.svg", app.base_url, c.id)),
            country_iso: c.country.to_owned(),
            status: BankStatus::from(c.status),
            bank_group: Some(c.group.to_owned()),
            extra_info: Some(BankExtraInfo {
                bics: Some(vec![BankBicEntry { bic: Some(c.bic.to_owned()), branch_code: None }]),
            }),
        })
        .collect();
    Json(list).into_response()
}

/// `GET /ob/Ais/access/options/{connectorId}`.
pub async fn options(AxState(app): AxState<Arc<App>>, Path(id): Path<String>) -> ApiResult {
    let c = app.connector(connector_id(&id)?)?;
    Ok(Json(c.options()).into_response())
}
