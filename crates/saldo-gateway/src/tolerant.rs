//! Reading like the gateway's .NET client: Newtonsoft writes `null` for an
//! unset list, and an optional field of a shape this version does not know
//! must not fail the whole answer.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// A list that may be `null` (or absent, with `#[serde(default)]`): empty.
pub fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// An optional field whose shape may change: a value that does not read as
/// `T` is dropped with a log line instead of failing the answer.
pub fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(d)?;
    if value.is_null() {
        return Ok(None);
    }
    match serde_json::from_value::<T>(value) {
        Ok(v) => Ok(Some(v)),
        Err(e) => {
            tracing::warn!("an optional field of an unexpected shape was ignored: {e}");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{AccessOptions, Bank};

    #[test]
    fn null_lists_are_empty_and_an_unknown_extra_info_shape_is_dropped() {
        let o: AccessOptions = serde_json::from_value(serde_json::json!({
            "accessOption": 0, "currencyOption": 0, "linkingOption": 1, "maxConsentDuration": 90,
            "accountSchemes": null, "additionalPropertiesRequested": null
        }))
        .unwrap_or_else(|e| panic!("a null list does not fail the options call: {e}"));
        assert!(o.additional_properties_requested.is_empty() && o.account_schemes.is_empty());
        let b: Bank = serde_json::from_value(serde_json::json!({
            "connectorID": 1, "fullname": "Bank", "countryISO": "BE", "status": 0,
            "extraInfo": {"Bics": "not a list"}
        }))
        .unwrap_or_else(|e| panic!("an odd extraInfo does not fail the catalog: {e}"));
        assert_eq!(b.extra_info, None, "dropped, not guessed");
        let b: Bank = serde_json::from_value(serde_json::json!({
            "connectorID": 1, "fullname": "Bank", "countryISO": "BE", "status": 0,
            "extraInfo": {"Bics": [{"Bic": "GEBABEBB", "BranchCode": null}]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.extra_info.and_then(|e| e.bics).map(|v| v.len()), Some(1), "the known shape is read");
    }
}
