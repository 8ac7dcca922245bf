//! Fault modes: the ways networks and gateways fail, switchable at start and
//! at run time (`PUT /sandbox/faults`). They apply to the gateway API
//! (`/ob/…`) only, never to bank pages or the admin API.

use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FaultMode {
    /// Nothing: answers normally.
    #[default]
    None,
    /// HTTP 500 without a body; the request is not processed.
    Http500,
    /// HTTP 503 without a body; the request is not processed.
    Http503,
    /// No answer for `delayMs` (default 120 s), then 504; the request is not processed.
    Timeout,
    /// Answers normally after `delayMs` (default 2 s).
    Slow,
    /// HTTP 200 with a body that is not valid JSON; the request is not processed.
    Malformed,
    /// The request IS processed (tokens may rotate!), but the body is cut in half.
    Truncated,
    /// The connection is closed without an answer; the request is not processed.
    Drop,
    /// HTTP 200 with `resultStatus` 8 (RETRY): send the same call again;
    /// the request is not processed. Meant for the access calls.
    Retry,
    /// HTTP 200 with a JSON body that never ends; the request is not processed.
    Huge,
    /// The request IS processed, but the answer's `pagerContext` is the one
    /// the request sent (and it is not the last page): a paging loop.
    Loop,
}

/// The active fault: a mode, optionally limited to the next `remaining` API
/// calls and to paths containing `pathContains` (case-insensitive).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultPlan {
    /// The mode.
    pub mode: FaultMode,
    /// How many more calls it affects; `None` = until changed.
    #[serde(default)]
    pub remaining: Option<u32>,
    /// Only calls whose `METHOD /path` contains this (case-insensitive).
    #[serde(default)]
    pub path_contains: Option<String>,
    /// Delay for `slow` and `timeout`, in milliseconds.
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

impl FaultPlan {
    /// A plan affecting every call until changed.
    pub fn always(mode: FaultMode) -> Self {
        Self { mode, ..Self::default() }
    }

    /// A plan affecting the next `n` calls.
    pub fn next(mode: FaultMode, n: u32) -> Self {
        Self { mode, remaining: Some(n), ..Self::default() }
    }

    /// Restricts the plan to calls whose `METHOD /path` contains `fragment`
    /// (case-insensitive): `/transactions`, or `POST /ob/ais/access` for the
    /// start of a flow only.
    pub fn on_path(mut self, fragment: &str) -> Self {
        self.path_contains = Some(fragment.to_ascii_lowercase());
        self
    }

    /// Decides whether this call (`METHOD /path`, or a path) fails, counting
    /// it against `remaining`.
    pub fn take(&mut self, path: &str) -> Option<(FaultMode, Option<u64>)> {
        if self.mode == FaultMode::None {
            return None;
        }
        if let Some(fragment) = &self.path_contains {
            if !path.to_ascii_lowercase().contains(fragment.as_str()) {
                return None;
            }
        }
        match &mut self.remaining {
            Some(0) => return None,
            Some(n) => *n -= 1,
            None => {}
        }
        let hit = (self.mode, self.delay_ms);
        if self.remaining == Some(0) {
            *self = FaultPlan::default();
        }
        Some(hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_fault_affects_exactly_that_many_calls() {
        let mut plan = FaultPlan::next(FaultMode::Http500, 2).on_path("/transactions");
        assert!(plan.take("/ob/ais/accounts").is_none(), "other paths are not affected");
        assert!(plan.take("/ob/ais/accounts/x/transactions").is_some());
        assert!(plan.take("/ob/ais/accounts/x/transactions/next").is_some());
        assert!(plan.take("/ob/ais/accounts/x/transactions").is_none(), "exhausted after 2");
        assert_eq!(plan.mode, FaultMode::None);
    }
}
