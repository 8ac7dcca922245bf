//! What the readers share: decoding bytes into text, and exact amounts.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The character encoding of a text file (a CSV profile's or QIF option's
/// `encoding`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    /// UTF-8 (a leading byte-order mark is skipped).
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// ISO-8859-1. Read as windows-1252, its superset for every byte real
    /// text contains (what browsers do too): 0x80–0x9F are C1 control codes
    /// in Latin-1, which no bank writes, and `€`, `‰`, `’` … in windows-1252.
    #[serde(rename = "latin-1")]
    Latin1,
    /// Windows code page 1252 (Western European).
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl TextEncoding {
    /// The encoding of `bytes` when none is declared: UTF-8 if they are
    /// valid UTF-8 (ASCII included), else Latin-1 — an 8-bit file almost
    /// never happens to be valid UTF-8 by chance.
    pub fn sniff(bytes: &[u8]) -> Self {
        if std::str::from_utf8(strip_bom(bytes)).is_ok() {
            Self::Utf8
        } else {
            Self::Latin1
        }
    }
}

/// Whether a stream's bytes are valid UTF-8 from start to end (a leading
/// byte-order mark allowed), read a buffer at a time: [`TextEncoding::sniff`]
/// for a file not held in memory.
pub(crate) fn is_utf8(mut r: impl std::io::BufRead) -> std::io::Result<bool> {
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(carry.is_empty());
        }
        let n = buf.len();
        let mut chunk = std::mem::take(&mut carry);
        chunk.extend_from_slice(if first { strip_bom(buf) } else { buf });
        first = false;
        r.consume(n);
        if let Err(e) = std::str::from_utf8(&chunk) {
            if e.error_len().is_some() {
                return Ok(false);
            }
            // A character cut by the buffer's end: its bytes go with the next.
            carry = chunk[e.valid_up_to()..].to_vec();
        }
    }
}

pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// How a number is written: which character separates the decimals, and
/// which may group the thousands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumberStyle {
    pub decimal: char,
    pub thousands: Option<char>,
    /// Accept a currency symbol or code around the number (`$1,036.47`,
    /// `12,00 €`, `CHF 10.00`) and accounting parentheses for negatives.
    pub symbols: bool,
}

/// Characters that group thousands where `thousands` is the one named: a
/// space also stands for the no-break spaces French and Swiss exports use,
/// an apostrophe for the typographic one.
fn is_group(c: char, thousands: Option<char>) -> bool {
    match thousands {
        Some(' ') => matches!(c, ' ' | '\u{a0}' | '\u{202f}'),
        Some('\'') => matches!(c, '\'' | '\u{2019}'),
        Some(t) => c == t,
        None => false,
    }
}

/// The exact signed amount `raw` writes, or why it is not one (R17: parsed
/// from the text, never through `f64`).
pub(crate) fn parse_amount(raw: &str, style: NumberStyle) -> Result<Decimal, String> {
    let bad = || format!("`{}` is not an amount", raw.trim());
    let mut s = raw.trim();
    let mut negative = false;
    if style.symbols && s.starts_with('(') && s.ends_with(')') && s.len() >= 2 {
        negative = true;
        s = s[1..s.len() - 1].trim();
    }
    // Around the number: whitespace, a currency sign, or an ISO 4217 code.
    let is_symbol =
        |c: char| style.symbols && (c.is_whitespace() || matches!(c, '$' | '€' | '£' | '¥' | '₣' | '₤' | '₹'));
    let strip = |s: &str| -> String {
        let mut s = s.trim_matches(is_symbol);
        if style.symbols {
            let code = |t: &str| t.len() == 3 && t.bytes().all(|b| b.is_ascii_uppercase());
            if s.len() > 3 && s.is_char_boundary(3) && code(&s[..3]) {
                s = &s[3..];
            }
            if s.len() > 3 && s.is_char_boundary(s.len() - 3) && code(&s[s.len() - 3..]) {
                s = &s[..s.len() - 3];
            }
        }
        s.trim_matches(is_symbol).to_owned()
    };
    let stripped = strip(s);
    let mut s = stripped.as_str();
    let unsigned;
    for sign in ['-', '+', '\u{2212}'] {
        if let Some(rest) = s.strip_prefix(sign) {
            negative ^= sign != '+';
            unsigned = strip(rest);
            s = &unsigned;
            break;
        }
        if let Some(rest) = s.strip_suffix(sign) {
            negative ^= sign != '+';
            unsigned = strip(rest);
            s = &unsigned;
            break;
        }
    }
    let mut digits = String::with_capacity(s.len() + 2);
    let mut seen_decimal = false;
    let mut any_digit = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            any_digit = true;
        } else if c == style.decimal && !seen_decimal {
            seen_decimal = true;
            if !any_digit {
                digits.push('0');
            }
            digits.push('.');
        } else if !seen_decimal && any_digit && is_group(c, style.thousands) {
            continue;
        } else {
            return Err(bad());
        }
    }
    if !any_digit {
        return Err(bad());
    }
    let value = Decimal::from_str_exact(&digits).map_err(|_| bad())?;
    Ok(if negative { -value } else { value })
}

/// The decimal separator an amount's text shows, when it shows one for
/// sure: `1,234.56` and `12.5` say `.`, `1.234,56` and `12,5` say `,`; a
/// lone separator followed by three digits (`1,000`) says nothing.
pub(crate) fn decimal_evidence(raw: &str) -> Option<char> {
    let s: String = raw.chars().filter(|c| c.is_ascii_digit() || matches!(c, '.' | ',')).collect();
    let last = s.rfind(['.', ','])?;
    let sep = s[last..].chars().next()?;
    let other = if sep == '.' { ',' } else { '.' };
    let digits_after = s.len() - last - 1;
    if s.contains(other) {
        // Both appear: the last one is the decimal separator.
        return (s.rfind(other) < Some(last)).then_some(sep);
    }
    if s.matches(sep).count() > 1 {
        // Repeated: it groups thousands, so the other one is the decimal.
        return Some(other);
    }
    (digits_after != 3 && digits_after > 0).then_some(sep)
}

/// `text` trimmed, or `None` when nothing is left.
pub(crate) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn style(decimal: char, thousands: Option<char>) -> NumberStyle {
        NumberStyle { decimal, thousands, symbols: true }
    }

    /// R17: amounts are exact, whatever the grouping and symbols.
    #[test]
    fn amounts_in_every_style_are_exact() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(parse_amount("5,762.36", style('.', Some(','))), Ok(d("5762.36")));
        assert_eq!(parse_amount("-1.234,56", style(',', Some('.'))), Ok(d("-1234.56")));
        assert_eq!(parse_amount("$1,036.47", style('.', Some(','))), Ok(d("1036.47")));
        assert_eq!(parse_amount("-$57.27", style('.', Some(','))), Ok(d("-57.27")));
        assert_eq!(parse_amount("11'373.94", style('.', Some('\''))), Ok(d("11373.94")));
        assert_eq!(parse_amount("1 234,5 €", style(',', Some(' '))), Ok(d("1234.5")));
        assert_eq!(parse_amount("CHF -10.00", style('.', None)), Ok(d("-10.00")));
        assert!(parse_amount("45678901.23A", style('.', None)).is_err(), "a letter is no currency code");
        assert_eq!(parse_amount("(12.50)", style('.', None)), Ok(d("-12.50")));
        assert_eq!(parse_amount("12.50-", style('.', None)), Ok(d("-12.50")));
        assert_eq!(parse_amount("+00000000000115.8331", style('.', None)), Ok(d("115.8331")));
        assert!(parse_amount("12.3.4", style('.', None)).is_err(), "two decimal points are refused");
        assert!(parse_amount("", style('.', None)).is_err(), "an empty cell is no amount");
        assert!(parse_amount("abc", style('.', None)).is_err());
        let strict = NumberStyle { decimal: '.', thousands: None, symbols: false };
        assert!(parse_amount("$120", strict).is_err(), "OFX amounts carry no symbol");
    }

    #[test]
    fn the_decimal_separator_is_told_only_by_unambiguous_amounts() {
        assert_eq!(decimal_evidence("5,762.36"), Some('.'));
        assert_eq!(decimal_evidence("1.234,56"), Some(','));
        assert_eq!(decimal_evidence("-98,76"), Some(','));
        assert_eq!(decimal_evidence("1,000"), None);
        assert_eq!(decimal_evidence("1.000.000"), Some(','));
        assert_eq!(decimal_evidence("100"), None);
    }
}
