//! Text rules shared by the formats: what a line-based format may hold, XML
//! escaping, and account-name components.

/// One line of text: line breaks and tabs become single spaces, other control
/// characters are dropped, ends are trimmed. Line-based formats (QIF, ledger,
/// beancount, OFX's NAME/MEMO) cannot carry a line break inside a field.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else if !c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}') {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// At most `n` characters (not bytes), never splitting a character.
pub fn truncate(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// Escapes XML character data and attribute values.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids the other C0 controls and U+FFFE/U+FFFF even as
            // references: a bank's stray control character is dropped.
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An ASCII account-name component: letters and digits kept (common accented
/// Latin letters folded), everything else a single `-`, first letter upper
/// case; `fallback` when nothing is left.
pub fn component(s: &str, fallback: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let folded = fold(c);
        if folded.is_empty() {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(folded);
        }
    }
    let out = out.trim_matches('-');
    let mut chars = out.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphanumeric() => first.to_ascii_uppercase().to_string() + chars.as_str(),
        _ => fallback.to_owned(),
    }
}

fn fold(c: char) -> &'static str {
    const PLAIN: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if let Some(i) = PLAIN.find(c) {
        return &PLAIN[i..i + 1];
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'å' => "a",
        'ä' | 'æ' => "ae",
        'À' | 'Á' | 'Â' | 'Ã' | 'Å' => "A",
        'Ä' | 'Æ' => "Ae",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ø' => "o",
        'ö' | 'œ' => "oe",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ø' => "O",
        'Ö' | 'Œ' => "Oe",
        'ù' | 'ú' | 'û' => "u",
        'ü' => "ue",
        'Ù' | 'Ú' | 'Û' => "U",
        'Ü' => "Ue",
        'ß' => "ss",
        'ý' | 'ÿ' => "y",
        _ => "",
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn xml_text_drops_what_xml_1_0_forbids() {
        assert_eq!(super::xml("a\u{1}b\u{1b}[31m\u{FFFF}c\td\ne"), "ab[31mc\td\ne", "C0 controls and U+FFFF go");
    }
    use super::*;

    #[test]
    fn one_line_keeps_words_and_drops_breaks_and_controls() {
        assert_eq!(one_line("line one\nline two\r\nline three"), "line one line two line three");
        assert_eq!(one_line("\t=1+1"), "=1+1");
        assert_eq!(one_line("a\u{0}b\u{7}c"), "abc");
        assert_eq!(one_line("\u{202E}gnp.exe"), "\u{202E}gnp.exe", "visible format characters are text, kept");
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate("€€€€", 2), "€€");
        assert_eq!(truncate("ab", 5), "ab");
    }

    #[test]
    fn components_are_plain_ascii_names() {
        assert_eq!(component("Zahlung für Müller", "X"), "Zahlung-fuer-Mueller");
        assert_eq!(component("  ;; ", "Account"), "Account");
        assert_eq!(component("giro 1", "X"), "Giro-1");
        assert_eq!(component("<script>", "X"), "Script");
    }

    #[test]
    fn xml_escaping_covers_markup_characters() {
        assert_eq!(xml("<img src=x onerror='a'>&\""), "&lt;img src=x onerror=&apos;a&apos;&gt;&amp;&quot;");
    }
}
