//! IBAN validation (ISO 13616: country, check digits, mod 97).

/// Normalises (spaces removed, upper case) and validates an IBAN.
pub fn validate(input: &str) -> Result<String, String> {
    let iban: String = input.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    if iban.len() < 15 || iban.len() > 34 {
        return Err(format!("{input:?} is not an IBAN: it must have 15 to 34 characters"));
    }
    if !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!("{input:?} is not an IBAN: only letters and digits are allowed"));
    }
    let (head, tail) = iban.split_at(4);
    if !head[..2].chars().all(|c| c.is_ascii_alphabetic()) || !head[2..].chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{input:?} is not an IBAN: it must start with a country code and two check digits"));
    }
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    if rem == 1 {
        Ok(iban)
    } else {
        Err(format!("{input:?} is not a valid IBAN: the check digits do not match (a typo?)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_ibans_pass_and_typos_fail() {
        assert_eq!(validate("at09 9900 0000 0000 1511").unwrap(), "AT099900000000001511");
        assert!(validate("BE68539007547034").is_ok());
        assert!(validate("DE89370400440532013000").is_ok());
        assert!(validate("BE68539007547035").is_err(), "one digit off");
        assert!(validate("not an iban").is_err());
        assert!(validate("").is_err());
    }
}
