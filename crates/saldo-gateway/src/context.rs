//! Opaque gateway contexts (seed 000, rules R1, R2, R5).
//!
//! A context is a serialized JSON string the gateway hands out and expects back
//! verbatim. Saldo never parses or modifies one (R2) and never shows one (R5):
//! `Debug` prints `<redacted>` and there is no `Display`.

use serde::{Deserialize, Serialize};

macro_rules! opaque_context {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a context exactly as the gateway sent it (or as it was stored).
            pub fn new(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            /// The raw text, for storing it or sending it back. Never log it.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Consumes the wrapper, returning the raw text for storage.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

opaque_context!(
    /// The long-lived context between one person and one connector: it holds the
    /// bank's tokens. All calls with one user context are sequential (R3).
    UserContext
);
opaque_context!(
    /// The context of one SCA flow, valid between its POST and its final PUT.
    FlowContext
);
opaque_context!(
    /// The paging context: the output of one transactions page is the input of
    /// the next page call (R4).
    PagerContext
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_context() {
        let ctx = UserContext::new(r#"{"Token":"Bearer very-secret"}"#);
        let printed = format!("{ctx:?} {:?}", Some(&ctx));
        assert!(!printed.contains("very-secret"), "R5: Debug must redact: {printed}");
        assert!(printed.contains("<redacted>"));
    }

    #[test]
    fn serializes_as_the_plain_string_the_gateway_expects() {
        let ctx = FlowContext::new("{\"Id\":\"x\"}");
        assert_eq!(serde_json::to_string(&ctx).unwrap(), r#""{\"Id\":\"x\"}""#, "R2: sent back verbatim");
    }
}
