//! The gateway's numeric and string codes as enums that tolerate new values:
//! an unknown code deserializes into `Unknown(n)` / `Other(s)` instead of
//! failing the whole response, and serializes back unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! int_code {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:expr),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A code this version of Saldo does not know.
            Unknown(i64),
        }

        impl $name {
            /// The wire value.
            pub fn code(self) -> i64 {
                match self {
                    $($name::$variant => $value,)+
                    $name::Unknown(n) => n,
                }
            }
        }

        impl From<i64> for $name {
            fn from(n: i64) -> Self {
                match n {
                    $($value => $name::$variant,)+
                    other => $name::Unknown(other),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.code())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(i64::deserialize(d)?.into())
            }
        }
    };
}

int_code!(
    /// `resultStatus` of an access step.
    ResultStatus {
        /// -1: the bank (or this function at the bank) is not available now.
        NotAvailable = -1,
        /// 0: the gateway could not tell.
        Undetermined = 0,
        /// 1: finished; the user context now holds the consent.
        Done = 1,
        /// 2: open `dataString` (a URL) in the person's browser.
        Redirect = 2,
        /// 3: the person confirms in their banking app; poll with PUT.
        Decoupled = 3,
        /// 4: the bank asks for a password.
        Password = 4,
        /// 5: the bank needs more input.
        MoreInfo = 5,
        /// 6: choose one of `options`.
        SelectOption = 6,
        /// 7: the flow failed; `dataString` may say why.
        Error = 7,
        /// 8: send the same call again a moment later (the .NET client's
        /// 8.0.3 changelog: "Added support for RETRY ResultStatus").
        Retry = 8,
    }
);

int_code!(
    /// `statusInfo` of an access step.
    StatusInfo {
        /// 0: the bank behaves as usual.
        Default = 0,
        /// 1: the bank will not call back; continue when the person says so.
        NoCallback = 1,
    }
);

int_code!(
    /// `accessOption` of a connector (R8).
    AccessOption {
        /// 0: account numbers may be given; otherwise the bank grants all or lets the person pick.
        Customizable = 0,
        /// 3: the account numbers must be given up front.
        Detailed = 3,
    }
);

int_code!(
    /// `currencyOption`: whether account references must carry a currency.
    CurrencyOption {
        /// 0: the currency is not sent.
        Na = 0,
        /// 1: the currency must be sent with each account.
        Required = 1,
    }
);

int_code!(
    /// `linkingOption`: whether a new consent invalidates the previous one (R8).
    LinkingOption {
        /// 0: one consent per person; a new one replaces the old.
        Linked = 0,
        /// 1: several consents may live side by side.
        Separate = 1,
    }
);

int_code!(
    /// Account identification schemes (`accountSchemes`, `schemeName`), as in the
    /// gateway's `AccountSchemeType`.
    AccountScheme {
        /// Chips participant identifier.
        Chid = 0, /// GS1 GLN.
        Gs1g = 1, /// Dun & Bradstreet number.
        Duns = 2, /// Bank party identification.
        Bank = 3, /// Tax identification.
        Txid = 4, /// Customer number.
        Cust = 5, /// Employer number.
        Empl = 6, /// Other corporate.
        Othc = 7, /// Driver's licence.
        Drlc = 8, /// Social security number.
        Sose = 9, /// Alien registration.
        Arnu = 10, /// Passport.
        Ccpt = 11, /// Other individual.
        Othi = 12, /// Company id.
        Coid = 13, /// SIREN.
        Sren = 14, /// SIRET.
        Sret = 15, /// National identity number.
        Nidn = 16, /// OAuth account.
        Oaut = 17, /// Card PAN.
        Cpan = 18, /// BBAN.
        Bban = 19, /// IBAN.
        Iban = 20, /// Masked IBAN.
        Mibn = 21, /// Bankgiro number.
        Bgnr = 22, /// Plusgiro number.
        Pgnr = 23, /// UK sort code and account number.
        Gbscan = 24, /// E-mail.
        Email = 25,
    }
);

int_code!(
    /// Availability of a connector in the bank catalog.
    BankStatus {
        /// 0: production ready.
        Production = 0,
        /// 1: being tested.
        Testing = 1,
        /// 2: the connector has an error.
        Error = 2,
        /// 3: the bank's side is failing.
        BankError = 3,
        /// 4: temporarily unavailable.
        Unavailable = 4,
        /// 98: removed.
        Deleted = 98,
        /// 99: still in development.
        DevOngoing = 99,
    }
);

impl BankStatus {
    /// Whether a person can connect this bank now.
    pub fn is_available(self) -> bool {
        matches!(self, BankStatus::Production | BankStatus::Testing)
    }
}

/// ISO 20022 `ExternalBalanceType1Code` as the gateway sends it in `balanceType`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BalanceType {
    /// Closing available.
    Clav,
    /// Closing booked.
    Clbd,
    /// Opening booked.
    Opbd,
    /// Interim booked.
    Itbd,
    /// Interim available.
    Itav,
    /// Forward available.
    Fwav,
    /// Expected.
    Xpcd,
    /// Information.
    Info,
    /// Other.
    Othr,
    /// Previously closed booked.
    Prcd,
    /// A code this version does not know, kept as sent.
    Other(String),
}

impl BalanceType {
    /// The four-letter code.
    pub fn as_str(&self) -> &str {
        match self {
            BalanceType::Clav => "CLAV",
            BalanceType::Clbd => "CLBD",
            BalanceType::Opbd => "OPBD",
            BalanceType::Itbd => "ITBD",
            BalanceType::Itav => "ITAV",
            BalanceType::Fwav => "FWAV",
            BalanceType::Xpcd => "XPCD",
            BalanceType::Info => "INFO",
            BalanceType::Othr => "OTHR",
            BalanceType::Prcd => "PRCD",
            BalanceType::Other(s) => s,
        }
    }

    /// Whether this balance counts booked transactions only.
    pub fn is_booked(&self) -> bool {
        matches!(self, BalanceType::Clbd | BalanceType::Opbd | BalanceType::Itbd | BalanceType::Prcd)
    }

    /// Whether this balance is what the person can spend (booked plus
    /// pending, credit lines included as the bank counts them).
    pub fn is_available(&self) -> bool {
        matches!(self, BalanceType::Clav | BalanceType::Itav | BalanceType::Fwav)
    }

    /// How well this balance stands for an account's headline figure of its
    /// kind (booked or available): lower is better — the latest closing,
    /// then interim, then opening, then the previous closing, then forward.
    /// `None` for types that are neither booked nor available.
    pub fn headline_rank(&self) -> Option<u8> {
        match self {
            BalanceType::Clbd | BalanceType::Clav => Some(0),
            BalanceType::Itbd | BalanceType::Itav => Some(1),
            BalanceType::Opbd | BalanceType::Fwav => Some(2),
            BalanceType::Prcd => Some(3),
            _ => None,
        }
    }
}

impl From<&str> for BalanceType {
    fn from(s: &str) -> Self {
        match s {
            "CLAV" => BalanceType::Clav,
            "CLBD" => BalanceType::Clbd,
            "OPBD" => BalanceType::Opbd,
            "ITBD" => BalanceType::Itbd,
            "ITAV" => BalanceType::Itav,
            "FWAV" => BalanceType::Fwav,
            "XPCD" => BalanceType::Xpcd,
            "INFO" => BalanceType::Info,
            "OTHR" => BalanceType::Othr,
            "PRCD" => BalanceType::Prcd,
            other => BalanceType::Other(other.to_owned()),
        }
    }
}

impl Serialize for BalanceType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for BalanceType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(BalanceType::from(String::deserialize(d)?.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_do_not_break_deserialization() {
        let s: ResultStatus = serde_json::from_str("42").unwrap();
        assert_eq!(s, ResultStatus::Unknown(42));
        assert_eq!(serde_json::to_string(&s).unwrap(), "42", "kept for round trip");
        let b: BalanceType = serde_json::from_str("\"NEWT\"").unwrap();
        assert_eq!(b, BalanceType::Other("NEWT".into()));
        let scheme: AccountScheme = serde_json::from_str("20").unwrap();
        assert_eq!(scheme, AccountScheme::Iban, "IBAN is 20 as in the seed");
    }

    #[test]
    fn known_codes_map_to_their_meaning() {
        assert_eq!(ResultStatus::from(2), ResultStatus::Redirect);
        assert_eq!(ResultStatus::from(6), ResultStatus::SelectOption);
        assert_eq!(StatusInfo::from(1), StatusInfo::NoCallback);
        assert_eq!(AccessOption::from(3), AccessOption::Detailed);
        assert_eq!(LinkingOption::from(0), LinkingOption::Linked);
        assert_eq!(BankStatus::from(98), BankStatus::Deleted);
        assert!(!BankStatus::Unavailable.is_available());
    }
}
