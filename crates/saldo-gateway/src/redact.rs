//! Keeping secrets out of error messages (R5).
//!
//! A malformed gateway body is quoted in errors so a failure can be diagnosed,
//! but such a body may hold a user context or tokens. [`redact_secrets`] blanks
//! the string value of every JSON key that names a secret, even in truncated
//! or otherwise broken JSON, and [`excerpt`] bounds the length.

/// Key fragments (lower case) whose string values are never shown.
const SECRET_KEYS: &[&str] =
    &["context", "token", "secret", "password", "flow", "code", "apikey", "authorization", "verifier"];

/// Replaces the string value of any secret-looking key with `<redacted>`, and
/// any `Bearer …` credential. Works on broken JSON too.
pub fn redact_secrets(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut last_key_secret = false;
    let mut expect_value = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            let end = string_end(bytes, i + 1);
            let content = &text[i + 1..end.min(bytes.len())];
            let closed = end < bytes.len();
            if expect_value && last_key_secret {
                out.push_str("\"<redacted>");
            } else {
                out.push('"');
                out.push_str(&redact_bearer(content));
            }
            if closed {
                out.push('"');
            }
            // Is this string a key? Look past whitespace for ':'.
            let mut j = end + 1;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b':' && !expect_value {
                let lower = content.to_ascii_lowercase();
                last_key_secret = SECRET_KEYS.iter().any(|k| lower.contains(k));
                expect_value = true;
            } else {
                expect_value = false;
            }
            i = end + 1;
            continue;
        }
        if c == b',' || c == b'{' || c == b'}' || c == b'[' || c == b']' {
            expect_value = false;
        }
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// Index of the closing quote of a JSON string starting at `from`, honouring
/// backslash escapes; `bytes.len()` when the string is unterminated.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn redact_bearer(s: &str) -> String {
    match s.find("Bearer ") {
        Some(pos) => format!("{}Bearer <redacted>", &s[..pos]),
        None => s.to_owned(),
    }
}

/// At most `max` characters of `text` (on a char boundary), with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_and_tokens_are_blanked_even_in_broken_json() {
        let body = r#"{"resultStatus": 2, "userContext": "{\"Token\":\"Bearer abc123\",\"RefreshToken\":\"r-1\"}", "dataString": "https://bank/x", "flowContext": "{\"Id\":\"f"#;
        let red = redact_secrets(body);
        for secret in ["abc123", "r-1", "\\\"Id\\\""] {
            assert!(!red.contains(secret), "R5: {secret} leaked in {red}");
        }
        assert!(red.contains("https://bank/x"), "harmless values stay for diagnosis: {red}");
        assert!(red.contains("\"resultStatus\": 2"));
    }

    #[test]
    fn bearer_tokens_in_any_string_are_blanked() {
        let red = redact_secrets(r#"{"message": "token Bearer xyz789 rejected"}"#);
        assert!(!red.contains("xyz789"), "{red}");
    }

    #[test]
    fn excerpt_cuts_on_char_boundaries() {
        assert_eq!(excerpt("héllo wörld", 4), "héll…");
        assert_eq!(excerpt("short", 10), "short");
    }
}
