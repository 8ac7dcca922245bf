//! Exact amounts in SQLite (R17).
//!
//! An amount is stored as an integer of minor units with its scale:
//! `value = amount_minor / 10^scale`, where `scale` is the currency's exponent
//! (JPY 0, EUR 2, KWD 3) or more if the bank sent more decimals. Sums are done
//! in SQL per (currency, scale) and combined exactly in Rust.

use rust_decimal::Decimal;

/// The currency code Saldo stores for what a bank sent: ISO 4217's shape,
/// three ASCII letters (upper-cased), or `None` when it is something else —
/// a newline, a journal directive, an empty string. Such a value never
/// becomes a commodity in an export.
pub fn checked_currency(text: &str) -> Option<String> {
    let t = text.trim();
    (t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic())).then(|| t.to_ascii_uppercase())
}

/// ISO 4217's code for "no currency": what an account whose currency is not
/// a code is stored with.
pub const NO_CURRENCY: &str = "XXX";

/// Decimal places of a currency (ISO 4217 exponent); 2 when unknown.
pub fn exponent(currency: &str) -> u32 {
    match currency {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "XAF" | "XOF" | "UGX" | "PYG" | "RWF" => 0,
        "KWD" | "BHD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// An amount ready for storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredAmount {
    /// Units of 10^-scale.
    pub minor: i64,
    /// Decimal places.
    pub scale: u32,
}

impl StoredAmount {
    /// Converts exactly; `None` if the value does not fit in 64 bits.
    pub fn from_decimal(value: Decimal, currency: &str) -> Option<Self> {
        let scale = exponent(currency).max(value.normalize().scale());
        let mut v = value;
        v.rescale(scale);
        if v.scale() != scale {
            return None;
        }
        i64::try_from(v.mantissa()).ok().map(|minor| Self { minor, scale })
    }

    /// The exact value.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn amounts_keep_every_digit_at_the_currency_scale() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(StoredAmount::from_decimal(d("-1533.11"), "EUR"), Some(StoredAmount { minor: -153_311, scale: 2 }));
        assert_eq!(StoredAmount::from_decimal(d("857"), "EUR"), Some(StoredAmount { minor: 85_700, scale: 2 }));
        assert_eq!(StoredAmount::from_decimal(d("1200"), "JPY"), Some(StoredAmount { minor: 1200, scale: 0 }));
        assert_eq!(StoredAmount::from_decimal(d("1.234"), "KWD"), Some(StoredAmount { minor: 1234, scale: 3 }));
        assert_eq!(
            StoredAmount::from_decimal(d("0.005"), "EUR"),
            Some(StoredAmount { minor: 5, scale: 3 }),
            "R17: extra decimals are kept, not rounded"
        );
        assert_eq!(StoredAmount::from_decimal(d("0.005"), "EUR").unwrap().to_decimal(), d("0.005"));
    }
}
