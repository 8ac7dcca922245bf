//! Clean counterparty names: who the money went to or came from, as a
//! person would say it ("Colruyt", "Albert Heijn", "Amazon"), taken from the
//! fields a transaction carries.
//!
//! # Which field names the counterparty
//!
//! [`identify`] tries the fields in this order and takes the first that gives
//! a name:
//!
//! 1. the party on the other side of the booking: for a debit (money out) the
//!    creditor, for a credit (money in) the debtor;
//! 2. the gateway's counterparty name (already "the other party");
//! 3. the ultimate party: the ultimate creditor for a debit, the ultimate
//!    debtor for a credit;
//! 4. a name parsed from the unstructured remittance;
//! 5. a name parsed from the bank's description.
//!
//! A candidate is skipped when it is empty after [`normalise`], when it is
//! made only of generic words and numbers ("Salary", "Invoice 2024-117
//! paid", "Transfer from savings"), or when it is an account holder's own
//! name (compared by [`key`], also with the words in another order: banks put
//! the holder in the debtor field of a debit). The holder is never the answer.
//!
//! # How a text is cleaned
//!
//! [`normalise`] works on one text, with rules from the data file
//! `rules/counterparty.rules` (its header documents the format; it is parsed
//! once into compiled regexes):
//!
//! 1. control characters, bidi overrides and invisible format characters are
//!    removed, any whitespace (line breaks, tabs) becomes one space;
//! 2. payment-method prefixes are removed from the start ("BETALING MET
//!    DEBETKAART", "BEA NR:GX123", "CARTE", "SEPA DD", "PAYPAL *" …) and
//!    noise from anywhere (masked card numbers, IBANs, dates, times,
//!    references, amounts), again until neither finds anything;
//! 3. a known merchant written in many ways gets its one name (alias table:
//!    "AMZN Mktp ES" and "AMAZON PAYMENTS EUROPE" are "Amazon");
//! 4. from the end, repeatedly, while a name is left before them: country
//!    codes in capitals, cities (with a postcode in front; not after a word
//!    such as "de", "Stad" or "Hotel"), legal forms, store numbers, domains;
//! 5. words written all in capitals are title-cased ("COLRUYT LAAGSTE
//!    PRIJZEN" → "Colruyt Laagste Prijzen"); words with a lower-case letter
//!    are kept as written ("McDonald's", "Société Générale"). Exceptions:
//!    capitals of two to four letters without a vowel stay capitals
//!    ("KPN", "DHL", "SNCB"), as do initialisms ("E.D.F.") and short words with
//!    `&` ("H&M", "AT&T"); the data file's `word` lines spell the others
//!    ("IKEA", "ING", "de"). A text without any capital is title-cased whole.
//!
//! A result without a letter is "" (no name). Unicode text is kept as it is
//! ("Café Zürich — 東京 🍣"); the output is one line of plain text, but it is
//! not escaped for any output format (that is the writer's job).
//! `normalise(normalise(x)) == normalise(x)`.
//!
//! Cost: the rules are parsed and compiled once, on first use (about 30 ms
//! in a release build); a call allocates a few small strings. A quick local
//! release-build run (2 shared cores) over the 83 texts of the table test
//! measured about 1 µs per `normalise` call and 2.5–3 µs per `identify` with
//! a holder name (a debug build is about 7× slower).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

/// The fields a counterparty's name is chosen from (all optional; any
/// source: gateway, imported statement).
#[derive(Clone, Copy, Debug, Default)]
pub struct Parties<'a> {
    /// Money out (amount < 0).
    pub debit: bool,
    /// The gateway's `counterpartName` (already "the other party").
    pub counterparty_name: Option<&'a str>,
    /// The creditor's name.
    pub creditor_name: Option<&'a str>,
    /// The debtor's name.
    pub debtor_name: Option<&'a str>,
    /// The ultimate creditor's name.
    pub ultimate_creditor: Option<&'a str>,
    /// The ultimate debtor's name.
    pub ultimate_debtor: Option<&'a str>,
    /// The unstructured remittance information.
    pub remittance: Option<&'a str>,
    /// The bank's transaction text.
    pub description: Option<&'a str>,
    /// The account holder(s): never the answer.
    pub holder_names: &'a [&'a str],
}

/// The counterparty of a transaction: its clean name and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterparty {
    /// The text it was taken from, made plain (no control or bidi characters,
    /// one line), kept so the UI shows it under the clean name.
    pub raw: String,
    /// The display name: "Colruyt", "Albert Heijn".
    pub clean: String,
    /// The alias/merge key: `key(&clean)`.
    pub key: String,
    /// Which field won.
    pub source: Source,
}

/// The field a counterparty's name was taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The creditor (a debit's other party).
    Creditor,
    /// The debtor (a credit's other party).
    Debtor,
    /// The gateway's counterparty name.
    Counterparty,
    /// The ultimate creditor.
    UltimateCreditor,
    /// The ultimate debtor.
    UltimateDebtor,
    /// A name parsed from the unstructured remittance.
    Remittance,
    /// A name parsed from the bank's description.
    Description,
}

/// The counterparty of a transaction, by the precedence in the module docs;
/// `None` when no field names anybody but the holder.
pub fn identify(p: &Parties<'_>) -> Option<Counterparty> {
    let (party, ultimate) = if p.debit {
        ((p.creditor_name, Source::Creditor), (p.ultimate_creditor, Source::UltimateCreditor))
    } else {
        ((p.debtor_name, Source::Debtor), (p.ultimate_debtor, Source::UltimateDebtor))
    };
    let order = [
        party,
        (p.counterparty_name, Source::Counterparty),
        ultimate,
        (p.remittance, Source::Remittance),
        (p.description, Source::Description),
    ];
    let r = rules();
    let mut holders: Option<Vec<String>> = None;
    for (text, source) in order {
        let Some(text) = text else { continue };
        let raw = sanitise(text);
        let clean = clean_text(r, &raw);
        if clean.is_empty() {
            continue;
        }
        let k = key(&clean);
        if r.is_generic(&k) {
            continue;
        }
        let holders = holders.get_or_insert_with(|| {
            p.holder_names.iter().map(|h| key(&clean_text(r, &sanitise(h)))).filter(|h| !h.is_empty()).collect()
        });
        if holders.iter().any(|h| same_words(h, &k)) {
            continue;
        }
        return Some(Counterparty { raw, clean, key: k, source });
    }
    None
}

/// The clean display name of one text ("" when nothing is left); see the
/// module docs for the steps.
pub fn normalise(raw: &str) -> String {
    clean_text(rules(), &sanitise(raw))
}

/// The alias/merge key of a clean name: lower case, diacritics folded
/// (é → e, ü → u, ß → ss, æ → ae …), punctuation and symbols dropped,
/// whitespace collapsed to single spaces. Letters and digits of every
/// script are kept ("東京", "ελληνικα").
pub fn key(clean: &str) -> String {
    let mut out = String::with_capacity(clean.len());
    let mut space = false;
    for c in clean.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        for l in c.to_lowercase() {
            let folded = fold(l);
            if folded.is_empty() && !l.is_alphanumeric() {
                continue;
            }
            if space {
                out.push(' ');
                space = false;
            }
            if folded.is_empty() {
                out.push(l);
            } else {
                out.push_str(folded);
            }
        }
    }
    out
}

/// Equal keys, or the same words in another order ("MUSTERMANN THOMAS").
fn same_words(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if a.len() != b.len() {
        return false;
    }
    let mut x: Vec<&str> = a.split(' ').collect();
    let mut y: Vec<&str> = b.split(' ').collect();
    x.sort_unstable();
    y.sort_unstable();
    x == y
}

/// The ASCII spelling of a lower-case letter with a diacritic ("" when it has
/// none or is not one).
fn fold(c: char) -> &'static str {
    if c.is_ascii() {
        return "";
    }
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'ǎ' | 'ȁ' | 'ȃ' | 'ạ' | 'ả' | 'ấ' | 'ầ' | 'ậ' => {
            "a"
        }
        'æ' | 'ǽ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'ȅ' | 'ȇ' | 'ẹ' | 'ẻ' | 'ẽ' | 'ế' | 'ề' | 'ệ' => {
            "e"
        }
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'ǐ' | 'ỉ' | 'ị' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'ǒ' | 'ọ' | 'ỏ' | 'ố' | 'ồ' | 'ộ' | 'ơ' => {
            "o"
        }
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'ǔ' | 'ư' | 'ụ' | 'ủ' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' | 'ỳ' | 'ỹ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ά' => "α",
        'έ' => "ε",
        'ή' => "η",
        'ί' | 'ϊ' | 'ΐ' => "ι",
        'ό' => "ο",
        'ύ' | 'ϋ' | 'ΰ' => "υ",
        'ώ' => "ω",
        'ς' => "σ",
        'й' => "и",
        'ё' => "е",
        _ => "",
    }
}

/// Whether a character is a combining diacritical mark (the common blocks).
fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// Characters that are dropped: bidi controls and overrides, zero-width
/// spaces, soft hyphens, the BOM and other invisible format characters
/// (the zero-width joiners that emoji and some scripts need are kept).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// One line of plain text: control characters and whitespace runs become
/// one space, invisible characters go, at most three combining marks stay on
/// a letter (so "zalgo" text stays readable), ends trimmed.
fn sanitise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    let mut marks = 0;
    for c in raw.chars() {
        if c.is_whitespace() || c.is_control() {
            space = true;
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        if is_combining(c) {
            marks += 1;
            if marks > 3 {
                continue;
            }
        } else {
            marks = 0;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Collapses whitespace runs to one space and trims (after noise removal).
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Separators and stray marks trimmed from the ends of a name.
fn is_edge_junk(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            ':' | ';' | ',' | '/' | '\\' | '*' | '#' | '|' | '+' | '=' | '@' | '~' | '_' | '-' | '–' | '—' | '&'
        )
}

/// `s` without separators and stray marks at either end.
fn trim_junk(s: &str) -> &str {
    s.trim_matches(is_edge_junk)
}

/// `normalise` of sanitised text.
fn clean_text(r: &Rules, text: &str) -> String {
    // Prefixes and noise until neither finds anything: removing one can
    // bring another to the start ("EUR 12,50 1234 COLRUYT").
    let mut cur = trim_junk(text).to_owned();
    for _ in 0..8 {
        let stripped = r.strip_prefixes(&cur);
        let next = match r.noise.replace_all(stripped, " ") {
            Cow::Borrowed(_) if stripped.len() == cur.len() => None,
            Cow::Borrowed(b) => Some(trim_junk(b).to_owned()),
            Cow::Owned(o) => Some(trim_junk(&collapse(&o)).to_owned()),
        };
        match next {
            Some(n) => cur = n,
            None => break,
        }
    }
    if let Some(name) = r.alias(&cur) {
        return name.to_owned();
    }
    // A prefix whose end was only just reached ("WWW." once "1234" is gone).
    let s = trim_junk(r.strip_prefixes(trim_junk(r.strip_tail(&cur))));
    if !s.chars().any(char::is_alphabetic) {
        return String::new();
    }
    let out = r.title_case(s, !s.chars().any(char::is_uppercase));
    if out.chars().any(char::is_uppercase) {
        out
    } else {
        // Spellings from the word table can leave no capital ("albert DE"):
        // then it is a text without capitals, as the next call would see it.
        r.title_case(&out, true)
    }
}

/// The kinds of rule removed from the end of a name, in the order tried.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    Country,
    City,
    Legal,
    Suffix,
}

/// The compiled rules of `rules/counterparty.rules`.
struct Rules {
    noise: Regex,
    prefix: Regex,
    aliases: RegexSet,
    alias_names: Vec<String>,
    tails: Vec<(Tail, Regex)>,
    keep: HashSet<String>,
    generic: HashSet<String>,
    words: HashMap<String, String>,
}

const RULES: &str = include_str!("../rules/counterparty.rules");

fn rules() -> &'static Rules {
    static RULES_ONCE: OnceLock<Rules> = OnceLock::new();
    RULES_ONCE.get_or_init(|| match Rules::parse(RULES) {
        Ok(r) => r,
        // The file is embedded and a unit test parses it: this cannot happen in a tested build.
        Err(e) => panic!("rules/counterparty.rules: {e}"),
    })
}

fn compile(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&ascii_boundaries(pattern))
        .case_insensitive(true)
        .size_limit(1 << 25)
        .build()
        .map_err(|e| e.to_string())
}

/// `\b` and `\B` as ASCII word boundaries: a Unicode one makes the regex
/// engine give up its fast path on any non-ASCII text.
fn ascii_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(b @ ('b' | 'B')) => {
                out.push_str("(?-u:\\");
                out.push(b);
                out.push(')');
            }
            Some(other) => {
                out.push(c);
                out.push(other);
            }
            None => out.push(c),
        }
    }
    out
}

/// A literal as a regex fragment. A city (`legal` false): spaces and hyphens
/// match any run of them. A legal form (`legal` true): spaces are optional,
/// a `.` is optional and may be followed by a space.
fn literal(value: &str, legal: bool) -> String {
    let mut out = String::new();
    for c in value.chars() {
        match c {
            ' ' if legal => out.push_str(r"\s*"),
            ' ' | '-' => out.push_str(r"[\s-]+"),
            '.' if legal => out.push_str(r"\.?\s*"),
            _ => out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

/// The rules file's lines by kind, before they are combined and compiled.
#[derive(Default)]
struct Lists {
    noise: Vec<String>,
    prefix: Vec<String>,
    open_prefix: Vec<String>,
    alias_pats: Vec<String>,
    alias_names: Vec<String>,
    suffix: Vec<String>,
    legal: Vec<String>,
    city: Vec<String>,
    country: Vec<String>,
    keep: HashSet<String>,
    generic: HashSet<String>,
    words: HashMap<String, String>,
}

impl Lists {
    /// Adds line `n` (1-based) of the rules file; a regex is compiled on its
    /// own to check it. An error names the line.
    fn add(&mut self, n: usize, line: &str) -> Result<(), String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(());
        }
        let err = |m: &str| format!("line {n}: {m}: {line}");
        let (kind, value) = line.split_once(char::is_whitespace).ok_or_else(|| err("no value"))?;
        let value = value.trim();
        let pattern = |v: &str| compile(v).map(|_| format!("(?:{v})")).map_err(|e| err(&e));
        match kind {
            "noise" => self.noise.push(pattern(value)?),
            "prefix" if value.ends_with(r"\*") || value.ends_with(r"\.") => self.open_prefix.push(pattern(value)?),
            "prefix" => self.prefix.push(pattern(value)?),
            "suffix" => self.suffix.push(pattern(value)?),
            "alias" => {
                let (re, name) = value.rsplit_once("=>").ok_or_else(|| err("an alias needs `=> NAME`"))?;
                let name = name.trim();
                if !name.chars().any(char::is_alphabetic) {
                    return Err(err("empty alias name"));
                }
                self.alias_pats.push(pattern(re.trim())?);
                self.alias_names.push(name.to_owned());
            }
            "legal" => self.legal.push(literal(value, true)),
            "city" => self.city.push(literal(value, false)),
            "country" if value.len() <= 3 && value.chars().all(|c| c.is_ascii_uppercase()) => {
                self.country.push(value.to_owned())
            }
            "country" => return Err(err("a country code is two or three capitals")),
            "keep" | "generic" | "word" => {
                let k = key(value);
                if k.is_empty() || k.contains(' ') {
                    return Err(err("one word expected"));
                }
                match kind {
                    "keep" => self.keep.insert(k),
                    "generic" => self.generic.insert(k),
                    _ => self.words.insert(k, value.to_owned()).is_none(),
                };
            }
            _ => return Err(err("unknown kind")),
        }
        Ok(())
    }
}

impl Rules {
    /// Parses the rules file; an error names the line.
    fn parse(text: &str) -> Result<Self, String> {
        let mut l = Lists::default();
        for (n, line) in text.lines().enumerate() {
            l.add(n + 1, line)?;
        }
        let Lists {
            noise,
            prefix,
            open_prefix,
            alias_pats,
            alias_names,
            suffix,
            legal,
            city,
            country,
            keep,
            generic,
            words,
        } = l;
        // An empty list matches nothing (not the empty string everywhere).
        let join = |v: &[String]| if v.is_empty() { r"[^\s\S]".to_owned() } else { v.join("|") };
        let sep = r"[\s,;/|]+(?:-\s+)?";
        let end = r"[\s.,;:)]*$";
        let tails = vec![
            (Tail::Country, compile(&format!(r"{sep}(?-i:{}){end}", join(&country)))?),
            (
                Tail::City,
                compile(&format!(
                    r"{sep}(?:(?:[A-Z]{{1,2}}-)?\d{{4,5}}(?:\s?[A-Z]{{2}})?\s+)?(?:{}){end}",
                    join(&city)
                ))?,
            ),
            (Tail::Legal, compile(&format!(r"{sep}(?:{}){end}", join(&legal)))?),
            (Tail::Suffix, compile(&format!(r"(?:{}){end}", join(&suffix)))?),
        ];
        Ok(Self {
            noise: compile(&join(&noise))?,
            prefix: compile(&format!(r"^(?:(?:{})(?:$|[\s:;,./*#|-]+)|(?:{})\s*)", join(&prefix), join(&open_prefix)))?,
            aliases: RegexSetBuilder::new(alias_pats.iter().map(|p| ascii_boundaries(p)))
                .case_insensitive(true)
                .size_limit(1 << 25)
                .build()
                .map_err(|e| e.to_string())?,
            alias_names,
            tails,
            keep,
            generic,
            words,
        })
    }

    /// Removes payment-method prefixes (and stray separators) from the start.
    fn strip_prefixes<'s>(&self, mut s: &'s str) -> &'s str {
        for _ in 0..12 {
            s = s.trim_start_matches(is_edge_junk);
            match self.prefix.find(s) {
                Some(m) if m.end() > 0 => s = &s[m.end()..],
                _ => break,
            }
        }
        s
    }

    /// The alias name of a text, if one matches.
    fn alias(&self, s: &str) -> Option<&str> {
        self.aliases.matches(s).iter().next().map(|i| self.alias_names[i].as_str())
    }

    /// Removes countries, cities, legal forms and store numbers from the end
    /// while a name is left before them.
    fn strip_tail<'s>(&self, mut s: &'s str) -> &'s str {
        'outer: for _ in 0..16 {
            s = s.trim_end_matches(is_edge_junk);
            for (kind, re) in &self.tails {
                let Some(m) = re.find(s) else { continue };
                let head = s[..m.start()].trim_end_matches(is_edge_junk);
                if !head.chars().any(char::is_alphabetic) {
                    continue;
                }
                if *kind == Tail::City {
                    let last = head.rsplit(' ').next().unwrap_or(head);
                    if self.keep.contains(&key(last)) {
                        continue;
                    }
                }
                s = head;
                continue 'outer;
            }
            break;
        }
        s
    }

    /// Whether a key is made only of generic words and words with digits.
    fn is_generic(&self, k: &str) -> bool {
        k.split(' ').all(|w| w.chars().any(|c| c.is_numeric()) || self.generic.contains(w))
    }

    /// Title-cases the words written in capitals (see the module docs).
    fn title_case(&self, s: &str, all_lower: bool) -> String {
        let mut out = String::with_capacity(s.len() + 4);
        for (i, word) in s.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let has_lower = word.chars().any(is_lowerish);
            let caps = !has_lower && word.chars().any(char::is_uppercase);
            if !(caps || all_lower && has_lower) {
                out.push_str(word);
                continue;
            }
            // The word's core, without punctuation around it.
            let (start, end) = core_bounds(word);
            let core = &word[start..end];
            let plain = core.len() <= 12 && core.chars().all(char::is_alphanumeric);
            if let Some(spelling) = self.words.get(&key(core)).filter(|_| plain) {
                out.push_str(&word[..start]);
                if i == 0 {
                    capitalise(spelling, &mut out);
                } else {
                    out.push_str(spelling);
                }
                out.push_str(&word[end..]);
            } else if !caps {
                // A text without capitals: only its words' first letters become capitals.
                capitalise(word, &mut out);
            } else if is_acronym(core) {
                out.push_str(word);
            } else {
                title_word(word, &mut out);
            }
        }
        out
    }
}

/// Lower case, or a title-case letter such as "ǅ" (one that changes when
/// written in capitals without being a capital).
fn is_lowerish(c: char) -> bool {
    c.is_lowercase() || (!c.is_uppercase() && c.to_uppercase().next() != Some(c))
}

/// The capital of a letter, when it is one character ("ß" stays "ß": its
/// capitals "SS" would read as two letters and not come back).
fn push_upper(c: char, out: &mut String) {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => out.push(u),
        _ => out.push(c),
    }
}

/// Pushes `s` with its first character in capitals.
fn capitalise(s: &str, out: &mut String) {
    let mut chars = s.chars();
    if let Some(c) = chars.next() {
        push_upper(c, out);
        out.push_str(chars.as_str());
    }
}

/// Capitals that stay capitals: 2–4 letters without a vowel ("KPN"), short
/// words with `&` ("H&M", "AT&T"), initialisms ("E.D.F.", "B.B.V.A.").
fn is_acronym(core: &str) -> bool {
    let letters = core.chars().filter(|c| c.is_alphabetic()).count();
    if core.contains('&') && letters <= 4 {
        return true;
    }
    if core.contains('.') && core.split('.').all(|p| p.chars().count() <= 1) {
        return true;
    }
    let vowel = |c: char| {
        let l = c.to_lowercase().next().unwrap_or(c);
        let f = fold(l).chars().next().unwrap_or(l);
        matches!(f, 'a' | 'e' | 'i' | 'o' | 'u' | 'y')
    };
    core.chars().all(char::is_alphabetic) && (2..=4).contains(&letters) && !core.chars().any(vowel)
}

/// Title-cases one word: each part after `-`, `/`, `.`, `(`, `+` or `&`
/// starts with a capital; after an apostrophe only when one letter precedes
/// it ("O'Brien", "D'Ieteren", but "Connie's").
fn title_word(word: &str, out: &mut String) {
    let is_sep = |c: char| matches!(c, '-' | '/' | '.' | ':' | '(' | '+' | '&' | '\'' | '’');
    let mut upper_next = true;
    let mut part_letters = 0;
    let mut rest = word;
    while let Some(c) = rest.chars().next() {
        if is_sep(c) {
            out.push(c);
            upper_next = !matches!(c, '\'' | '’') || part_letters == 1;
            part_letters = 0;
            rest = &rest[c.len_utf8()..];
        } else if c.is_alphabetic() {
            let end = rest.find(is_sep).unwrap_or(rest.len());
            let part = &rest[..end];
            if upper_next {
                push_upper(c, out);
            } else {
                out.extend(c.to_lowercase());
            }
            // The rest lower-cased as a string, so a Greek final sigma is ς.
            out.extend(part.to_lowercase().chars().skip(c.to_lowercase().count()));
            part_letters += part.chars().filter(|c| c.is_alphabetic()).count();
            upper_next = false;
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
}

/// The byte range of a word without the punctuation around it.
fn core_bounds(word: &str) -> (usize, usize) {
    let mut it = word.char_indices().filter(|(_, c)| c.is_alphanumeric());
    match it.next() {
        Some((start, first)) => {
            let end = it.next_back().map_or(start + first.len_utf8(), |(i, c)| i + c.len_utf8());
            (start, end)
        }
        None => (0, word.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_line_parses() {
        let mut lines = 0;
        for (n, line) in RULES.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            lines += 1;
            if let Err(e) = Lists::default().add(n + 1, line) {
                panic!("every rule line parses on its own: {e}");
            }
        }
        assert!(lines > 300, "the rules file has its rules ({lines} lines)");
        assert!(Rules::parse(RULES).is_ok(), "the whole rules file compiles into the combined regexes");
    }

    #[test]
    fn bad_rules_are_refused_with_their_line() {
        for bad in ["noise (", "frobnicate x", "alias ^X", "country be", "generic two words", "prefix"] {
            let e = Rules::parse(&format!("# c\n{bad}\n")).err();
            assert!(e.as_deref().is_some_and(|e| e.starts_with("line 2")), "{bad:?} is refused naming line 2: {e:?}");
        }
    }
}
