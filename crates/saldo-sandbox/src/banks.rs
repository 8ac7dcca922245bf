//! The simulated banks: catalog entries, access options, SCA behaviour and accounts.

use saldo_gateway::{
    AccessOption, AccessOptions, AccountScheme, AdditionalPropertyRequested, CurrencyOption, LinkingOption,
};

use crate::household as hh;

/// How a connector runs its SCA flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaStyle {
    /// OAuth2 with PKCE, then a second SCA redirect, then DONE (seed 004, example 1).
    OAuthTwoStep,
    /// One redirect; the bank calls back `?flowId=` (seed 004, example 2).
    ConsentRedirect,
    /// First the person picks an SCA method (SELECT_OPTION), then a redirect.
    SelectOption,
    /// The person confirms in their banking app; the client polls (DECOUPLED).
    Decoupled,
    /// A redirect after which the bank does not call back (statusInfo NO_CALLBACK).
    NoCallback,
    /// A plain redirect; the callback carries `flowId` and `state`.
    Simple,
    /// No browser: the bank asks for a client number (MORE_INFO), then for
    /// the response code of a card reader to a challenge (PASSWORD).
    CardReader,
    /// A plain redirect; once the person has signed in, the bank asks which
    /// accounts to share (SELECT_OPTION), then DONE.
    SignInThenChoose,
    /// The bank is down: every call fails.
    Down,
}

/// One account a simulated bank holds for the simulated person.
#[derive(Clone, Debug)]
pub struct AccountSpec {
    /// The gateway's account id.
    pub id: &'static str,
    /// IBAN.
    pub iban: &'static str,
    /// ISO 4217 currency.
    pub currency: &'static str,
    /// Description / name.
    pub description: Option<&'static str>,
    /// Owner.
    pub owner: Option<&'static str>,
    /// Product name.
    pub product: Option<&'static str>,
    /// BIC.
    pub bic: Option<&'static str>,
    /// ISO 20022 cash account type.
    pub cash_account_type: &'static str,
    /// Transactions over the simulated two-year history.
    pub transactions: u64,
    /// Opening balance in minor units, before the first transaction.
    pub opening_minor: i64,
    /// Visible from this accounts call on (1-based) — an account opened later.
    pub appears_from_call: Option<u32>,
    /// Gone from this accounts call on (1-based) — an account closed later.
    pub gone_from_call: Option<u32>,
}

/// A simulated bank behind one connector.
#[derive(Clone, Debug)]
pub struct Connector {
    /// Connector id (the seed's ids where the seed has them).
    pub id: i64,
    /// Display name.
    pub name: &'static str,
    /// Country.
    pub country: &'static str,
    /// Catalog status code.
    pub status: i64,
    /// Group.
    pub group: &'static str,
    /// BIC for the catalog.
    pub bic: &'static str,
    /// SCA behaviour.
    pub sca: ScaStyle,
    /// Access options (R8).
    pub max_consent_days: i64,
    /// `accessOption`.
    pub access: AccessOption,
    /// `currencyOption`.
    pub currency_option: CurrencyOption,
    /// `linkingOption`.
    pub linking: LinkingOption,
    /// Extra schemes besides IBAN.
    pub extra_schemes: &'static [AccountScheme],
    /// Required additional property (name, title, description, template).
    pub additional: Option<(&'static str, &'static str, &'static str, &'static str)>,
    /// Whether access tokens expire and are refreshed with single-use refresh tokens.
    pub rotates_tokens: bool,
    /// Whether transactions carry the bank's `id`.
    pub transaction_ids: bool,
    /// Transactions per page.
    pub page_size: u64,
    /// The accounts.
    pub accounts: Vec<AccountSpec>,
}

impl Connector {
    /// The `GET /ob/Ais/access/options` answer.
    pub fn options(&self) -> AccessOptions {
        let mut schemes = vec![AccountScheme::Iban];
        schemes.extend_from_slice(self.extra_schemes);
        AccessOptions {
            max_consent_duration: self.max_consent_days,
            access_option: self.access,
            currency_option: self.currency_option,
            linking_option: self.linking,
            account_schemes: schemes,
            additional_properties_requested: self
                .additional
                .iter()
                .map(|(name, title, description, template)| AdditionalPropertyRequested {
                    name: (*name).into(),
                    title: Some((*title).into()),
                    required: true,
                    description: Some((*description).into()),
                    template: Some((*template).into()),
                })
                .collect(),
        }
    }

    /// The account with this gateway id.
    pub fn account(&self, id: &str) -> Option<&AccountSpec> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

fn acct(
    id: &'static str,
    iban: &'static str,
    currency: &'static str,
    description: Option<&'static str>,
    transactions: u64,
    opening_minor: i64,
) -> AccountSpec {
    AccountSpec {
        id,
        iban,
        currency,
        description,
        owner: None,
        product: None,
        bic: None,
        cash_account_type: "UNKN",
        transactions,
        opening_minor,
        appears_from_call: None,
        gone_from_call: None,
    }
}

fn base(id: i64, name: &'static str, country: &'static str, bic: &'static str, sca: ScaStyle) -> Connector {
    Connector {
        id,
        name,
        country,
        status: 0,
        group: name,
        bic,
        sca,
        max_consent_days: 180,
        access: AccessOption::Customizable,
        currency_option: CurrencyOption::Na,
        linking: LinkingOption::Separate,
        extra_schemes: &[],
        additional: None,
        rotates_tokens: true,
        transaction_ids: true,
        page_size: 50,
        accounts: Vec::new(),
    }
}

/// All simulated connectors. `volume` is the transaction count of the
/// benchmark connector (-2).
pub fn catalog(volume: u64) -> Vec<Connector> {
    let mut out = Vec::new();

    // ES — seed 004 example 1: customizable, separate consents, OAuth + PKCE, two redirects.
    let mut c = base(973, "Banco Sandbox España", "ES", "SBXESMMXXX", ScaStyle::OAuthTwoStep);
    c.max_consent_days = 89;
    c.accounts = vec![
        acct("ES018202000000000000000000040780458", "ES8401826450000201500191", "EUR", None, 420, 250_000),
        acct("ES018202000000000500000000361786695", "ES1801822200120201933578", "EUR", None, 160, 90_000),
        acct(
            "ES018202000000000500000000361787589",
            "ES2501822200160201933547",
            "EUR",
            Some("CUENTA PARA AHORROS"),
            60,
            1_500_000,
        ),
        acct("ES018202000000000500000000361787594", "ES4901822200110201933554", "EUR", None, 300, 85_700),
        acct(
            "ES018220100000000500000000283512182",
            "ES7301826208302012068108",
            "EUR",
            Some("CUENTA PAGO COCHE"),
            48,
            0,
        ),
        acct("IT27W0357601601015001460461", "ES97660020000000500000000364876904", "EUR", Some("Peppe"), 30, 10_000),
        acct(
            "IT30E0357601601010000000013",
            "IT30E03576016010000000010000000013",
            "EUR",
            Some("Alberto Martin Garcia"),
            25,
            5_000,
        ),
    ];
    out.push(c);

    // AT — seed 004 example 2: detailed (IBANs up front), linked consents, no refresh tokens.
    let mut c = base(43, "Sandbox Bank Österreich", "AT", "TESTAT99", ScaStyle::ConsentRedirect);
    c.max_consent_days = 89;
    c.access = AccessOption::Detailed;
    c.linking = LinkingOption::Linked;
    c.rotates_tokens = false;
    let mut a = acct("AT099900000000001511", "AT099900000000001511", "EUR", Some("Marianne Mustermann"), 700, 134_055);
    a.bic = Some("TESTAT99");
    a.product = Some("Giro");
    let mut b = acct("AT439900000000010017", "AT439900000000010017", "EUR", Some("Georg Mustermann"), 350, 285_049);
    b.bic = Some("TESTAT99");
    b.product = Some("Giro");
    c.accounts = vec![a, b];
    out.push(c);

    // BE — the mock bank: thousands of transactions over many pages, a KWD account.
    let mut c = base(-1, "Saldo Mock Bank", "BE", "MOCKBEBB", ScaStyle::Simple);
    c.status = 1;
    c.page_size = 100;
    let mut a =
        acct("64fee1bf-02b2-410c-9524-b03bb585bbc2", "BE68539007547034", "EUR", Some("Compte courant"), 2600, 120_000);
    a.owner = Some("Thibaut Mock");
    a.product = Some("Current account");
    a.cash_account_type = "CACC";
    let mut b =
        acct("9d1c5c7e-5d43-4c52-9a4b-0c3e4a7f1b20", "BE71096123456769", "EUR", Some("Spaarrekening"), 240, 2_500_000);
    b.cash_account_type = "SVGS";
    let k = acct(
        "0b7e2f7a-1f0e-4a3e-8b8e-6f1f2a9c4d11",
        "KW81CBKU0000000000001234560101",
        "KWD",
        Some("Kuwait dinar account"),
        180,
        1_250_500,
    );
    c.accounts = vec![a, b, k];
    out.push(c);

    // BE — the volume bank for benchmarks: one account with `volume` transactions.
    let mut c = base(-2, "Saldo Volume Bank (benchmarks)", "BE", "VOLMBEBB", ScaStyle::Simple);
    c.status = 1;
    c.page_size = 500;
    c.transaction_ids = true;
    c.accounts = vec![acct("volume-account-1", "BE62510007547061", "EUR", Some("Volume"), volume, 0)];
    out.push(c);

    // BE — no callback after SCA; currency must accompany account references.
    let mut c = base(105, "Banque Sans Retour", "BE", "BSRTBEBB", ScaStyle::NoCallback);
    c.currency_option = CurrencyOption::Required;
    c.accounts = vec![acct("BSR-0001", "BE43068999999501", "EUR", Some("Compte à vue"), 90, 45_000)];
    out.push(c);

    // BE — a bank that is down.
    let mut c = base(106, "Bank Offline België", "BE", "OFFLBEBB", ScaStyle::Down);
    c.status = 4;
    out.push(c);

    // BE — a card-reader bank: no browser; the client number (MORE_INFO), then
    // the card reader's response to a challenge (PASSWORD). Wrong answers are
    // asked again, three wrong ones end the flow.
    let mut c = base(107, "Kaartlezer Bank", "BE", "KRTLBEBB", ScaStyle::CardReader);
    c.accounts = vec![
        acct("KLB-ZICHT", "BE57390045000235", "EUR", Some("Zichtrekening"), 150, 4_800_000),
        acct("KLB-SPAAR", "BE52096011784309", "EUR", Some("Spaarrekening"), 12, 1_800_000),
    ];
    out.push(c);

    // NL — the person picks an SCA method first; no transaction ids; a JPY account.
    let mut c = base(101, "Sandbox Bank Nederland", "NL", "SBNLNL2A", ScaStyle::SelectOption);
    c.max_consent_days = 90;
    c.transaction_ids = false;
    c.accounts = vec![
        acct("NL-SBN-001", "NL91ABNA0417164300", "EUR", Some("Betaalrekening"), 500, 75_000),
        acct("NL-SBN-JPY", "NL20INGB0001234567", "JPY", Some("Yen rekening"), 80, 1_200_000),
    ];
    out.push(c);

    // DE — decoupled SCA (confirm in the banking app); linked; accounts come and go.
    let mut c = base(102, "Sandbox Sparkasse", "DE", "SBXSDEFF", ScaStyle::Decoupled);
    c.linking = LinkingOption::Linked;
    c.extra_schemes = &[AccountScheme::Bban];
    let giro = acct("DE-SPK-GIRO", "DE89370400440532013000", "EUR", Some("Girokonto"), 400, 60_000);
    let mut tagesgeld = acct("DE-SPK-TAGESGELD", "DE02120300000000202051", "EUR", Some("Tagesgeld"), 20, 500_000);
    tagesgeld.appears_from_call = Some(2);
    tagesgeld.cash_account_type = "SVGS";
    let mut karte = acct("DE-SPK-KARTE", "DE02500105170137075030", "EUR", Some("Kreditkarte"), 120, 0);
    karte.gone_from_call = Some(3);
    karte.cash_account_type = "CARD";
    c.accounts = vec![giro, tagesgeld, karte];
    out.push(c);

    // FR — needs the online-banking user id before the access request.
    let mut c = base(103, "Banque Sandbox France", "FR", "SBXFFRPP", ScaStyle::OAuthTwoStep);
    c.max_consent_days = 90;
    c.additional =
        Some(("psuId", "Identifiant de banque en ligne", "Your 8-digit online banking user id", "^[0-9]{8}$"));
    c.accounts = vec![acct("FR-SBF-001", "FR1420041010050500013M02606", "EUR", Some("Compte chèques"), 260, 30_000)];
    out.push(c);

    // ES — asks its question after the sign-in: which accounts to share.
    let mut c = base(108, "Banco Sandbox España", "ES", "SBXEESMM", ScaStyle::SignInThenChoose);
    c.accounts = vec![acct("ES-SBE-001", "ES9121000418450200051332", "EUR", Some("Cuenta corriente"), 90, 210_000)];
    out.push(c);

    // BE + NL — one person's household at two banks, with realistic texts
    // whose truth is known (see `household`). Their rows come from the
    // household's schedule, not from `transactions` (0 here).
    let mine = |id, iban, description, product, kind, opening| {
        let mut a = acct(id, iban, "EUR", Some(description), 0, opening);
        a.owner = Some(hh::HOLDER);
        a.product = Some(product);
        a.cash_account_type = kind;
        a
    };
    let mut c = base(hh::BANK_A, hh::BANK_A_NAME, "BE", hh::BANK_A_BIC, ScaStyle::Simple);
    c.page_size = 100;
    c.accounts = vec![
        mine(
            hh::A_CHECKING,
            hh::A_CHECKING_IBAN,
            "Zichtrekening",
            "Zichtrekening Plus",
            "CACC",
            hh::A_CHECKING_OPENING_MINOR,
        ),
        mine(hh::A_SAVINGS, hh::A_SAVINGS_IBAN, "Spaarrekening", "Spaarrekening", "SVGS", hh::A_SAVINGS_OPENING_MINOR),
    ];
    out.push(c);
    let mut c = base(hh::BANK_B, hh::BANK_B_NAME, "NL", hh::BANK_B_BIC, ScaStyle::Simple);
    c.page_size = 100;
    c.accounts = vec![mine(
        hh::B_CHECKING,
        hh::B_CHECKING_IBAN,
        "Betaalrekening",
        "Betaalrekening",
        "CACC",
        hh::B_CHECKING_OPENING_MINOR,
    )];
    out.push(c);

    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_connectors_answer_the_seed_options() {
        let all = catalog(10);
        let c973 = all.iter().find(|c| c.id == 973).unwrap();
        let o = serde_json::to_value(c973.options()).unwrap();
        assert_eq!(
            o,
            serde_json::json!({"maxConsentDuration":89,"accessOption":0,"currencyOption":0,"linkingOption":1,"accountSchemes":[20],"additionalPropertiesRequested":[]})
        );
        let c43 = all.iter().find(|c| c.id == 43).unwrap();
        let o = serde_json::to_value(c43.options()).unwrap();
        assert_eq!(
            o,
            serde_json::json!({"maxConsentDuration":89,"accessOption":3,"currencyOption":0,"linkingOption":0,"accountSchemes":[20],"additionalPropertiesRequested":[]})
        );
    }

    #[test]
    fn every_required_country_has_a_bank() {
        let all = catalog(10);
        for cc in ["BE", "NL", "DE", "FR", "ES", "AT"] {
            assert!(all.iter().any(|c| c.country == cc), "{cc} must have a sandbox bank");
        }
    }
}
