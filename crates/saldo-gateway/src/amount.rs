//! Exact money amounts (R17).
//!
//! The gateway sends amounts as JSON numbers (`1340.55`) and banks sometimes as
//! strings (`"857.00"`). Going through `f64` would turn `0.1 + 0.2` into
//! `0.30000000000000004`; instead the number's text is read verbatim
//! (`serde_json::value::RawValue`) and parsed into a [`Decimal`], keeping its
//! scale. Serialization writes the decimal's text back as a JSON number.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// An exact decimal amount as it appears on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

impl Amount {
    /// The exact value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// Parses the text of a JSON number or of a numeric string, exactly.
    /// Accepts exponents (`1.5e3`); rejects anything a decimal cannot hold
    /// exactly (more than 28 significant digits) instead of rounding.
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(AmountError(format!("empty amount {text:?}")));
        }
        let parsed = if t.contains(['e', 'E']) { Decimal::from_scientific(t) } else { Decimal::from_str_exact(t) };
        parsed.map(Amount).map_err(|e| AmountError(format!("amount {t:?} is not an exact decimal: {e}")))
    }
}

/// Why a text is not an exact amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AmountError(String);

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<Decimal> for Amount {
    fn from(d: Decimal) -> Self {
        Amount(d)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(deserializer)?;
        let text = raw.get();
        let inner = if let Some(quoted) = text.strip_prefix('"') {
            // A numeric string: decode JSON escapes properly, then parse.
            let s: String = serde_json::from_str(text).map_err(D::Error::custom)?;
            let _ = quoted;
            s
        } else if text.starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
            text.to_owned()
        } else {
            return Err(D::Error::custom(format!(
                "amount must be a number or numeric string, found {}",
                crate::redact::excerpt(text, 40)
            )));
        };
        Amount::parse(&inner).map_err(D::Error::custom)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Serialize)]
    struct Holder {
        amount: Amount,
    }

    fn parse(json: &str) -> Decimal {
        serde_json::from_str::<Holder>(json).unwrap().amount.0
    }

    #[test]
    fn numbers_are_read_exactly_from_the_json_text() {
        // R17: 0.1 and 1340.55 have no exact f64; the decimal keeps them exact.
        assert_eq!(parse(r#"{"amount": 0.1}"#).to_string(), "0.1");
        assert_eq!(parse(r#"{"amount": 1340.55}"#).to_string(), "1340.55");
        assert_eq!(parse(r#"{"amount": -91.3}"#).to_string(), "-91.3");
        assert_eq!(parse(r#"{"amount": 857}"#).to_string(), "857");
        assert_eq!(parse(r#"{"amount": "857.00"}"#).to_string(), "857.00", "scale kept");
        assert_eq!(parse(r#"{"amount": 1.234}"#).to_string(), "1.234", "3-decimal currencies (KWD)");
        assert_eq!(parse(r#"{"amount": 1.5e3}"#).to_string(), "1500");
        // A value f64 cannot hold: 17 significant digits.
        assert_eq!(parse(r#"{"amount": 12345678901234.567}"#).to_string(), "12345678901234.567");
    }

    #[test]
    fn sums_are_exact() {
        let a = parse(r#"{"amount": 0.1}"#) + parse(r#"{"amount": 0.2}"#);
        assert_eq!(a.to_string(), "0.3", "R17: no float artefacts in sums");
    }

    #[test]
    fn garbage_is_rejected_not_rounded() {
        for bad in [
            r#"{"amount": "abc"}"#,
            r#"{"amount": true}"#,
            r#"{"amount": null}"#,
            r#"{"amount": ""}"#,
            r#"{"amount": 123456789012345678901234567890.5}"#,
        ] {
            assert!(serde_json::from_str::<Holder>(bad).is_err(), "{bad} must not parse");
        }
    }

    #[test]
    fn serializes_back_as_an_exact_json_number() {
        let h = Holder { amount: Amount::parse("-1533.110").unwrap() };
        assert_eq!(serde_json::to_string(&h).unwrap(), r#"{"amount":-1533.110}"#);
    }
}
