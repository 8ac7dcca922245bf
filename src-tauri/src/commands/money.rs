//! Where the money goes: categories, the person's choices, proposed rules,
//! undo, reports.

use chrono::Utc;
use saldo_classify::rules::{Conditions, RuleDef};
use saldo_store::reports::{GroupBy, ReportQuery};

use super::{ready, State};
use crate::error::IpcResult;
use crate::error::{IpcCode, IpcError};
use crate::present;
use crate::views::{
    AppliedView, CategoryView, CounterpartyView, LabelStep, MonthView, OwnAccountView, ProposalView, ReportLineView,
    ReportRequest, RuleForm, RuleView, TxView,
};

/// The category tree.
#[tauri::command]
pub async fn categories(state: State<'_>) -> IpcResult<Vec<CategoryView>> {
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    Ok(store.categories()?.into_iter().map(|c| CategoryView { id: c.id, path: c.path, kind: c.kind }).collect())
}

/// The person puts rows in a category (`None`: no category); one undoable step.
#[tauri::command]
pub async fn set_category(state: State<'_>, ids: Vec<i64>, category: Option<String>) -> IpcResult<LabelStep> {
    let mut guard = state.session.lock().await;
    let store = &mut ready(&mut guard)?.store;
    let (step, changed) = saldo_core::money::categorize(store, &ids, category.as_deref(), Utc::now())?;
    Ok(LabelStep { step, changed: changed as u32 })
}

/// Undoes the last step that changed categories; what it was.
#[tauri::command]
pub async fn undo_categories(state: State<'_>) -> IpcResult<Option<String>> {
    let mut guard = state.session.lock().await;
    Ok(ready(&mut guard)?.store.undo_labels(None, Utc::now())?.map(|b| b.what))
}

/// Rules Saldo proposes from the person's choices (never applied by itself).
#[tauri::command]
pub async fn rule_proposals(state: State<'_>) -> IpcResult<Vec<ProposalView>> {
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    Ok(store
        .rule_proposals()?
        .into_iter()
        .map(|(p, changes)| ProposalView {
            counterparty: p.rule.when.counterparty.unwrap_or_default(),
            category: p.rule.category,
            evidence: p.evidence as u32,
            changes: changes as u32,
        })
        .collect())
}

/// A rule from the window's form: empty fields are no condition; amounts
/// are exact decimals (a comma is a decimal separator).
fn rule_def(rule: RuleForm) -> IpcResult<RuleDef> {
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let amount = |v: Option<String>, what: &str| -> IpcResult<Option<rust_decimal::Decimal>> {
        given(v)
            .map(|v| {
                v.replace(',', ".").parse::<rust_decimal::Decimal>().ok().filter(|d| !d.is_sign_negative()).ok_or_else(
                    || IpcError::new(IpcCode::Invalid, format!("the {what} amount {v:?} is not a number like 12.50")),
                )
            })
            .transpose()
    };
    let direction = match given(rule.direction).as_deref() {
        None => None,
        Some("in") => Some(saldo_classify::rules::Direction::In),
        Some("out") => Some(saldo_classify::rules::Direction::Out),
        Some(other) => return Err(IpcError::new(IpcCode::Invalid, format!("{other:?} is neither in nor out"))),
    };
    let when = Conditions {
        counterparty: given(rule.counterparty),
        text: given(rule.text),
        iban: given(rule.iban),
        min: amount(rule.min, "smallest")?,
        max: amount(rule.max, "largest")?,
        direction,
        account: rule.account,
        ..Conditions::default()
    };
    if when.min.zip(when.max).is_some_and(|(lo, hi)| lo > hi) {
        return Err(IpcError::new(IpcCode::Invalid, "the smallest amount is larger than the largest"));
    }
    if when.is_empty() {
        return Err(IpcError::new(IpcCode::Invalid, "a rule needs at least one condition"));
    }
    Ok(RuleDef { name: rule.name.trim().to_owned(), category: rule.category, when })
}

/// Net worth over the last twelve months, per currency (enabled accounts,
/// rebuilt from their history and anchored on the bank's balance).
#[tauri::command]
pub async fn networth(state: State<'_>) -> IpcResult<Vec<crate::views::NetWorthView>> {
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    let today = Utc::now().date_naive();
    let mut out: Vec<crate::views::NetWorthView> = Vec::new();
    for m in saldo_core::money::networth(store, None, today)? {
        let end = chrono::NaiveDate::parse_from_str(&format!("{}-01", m.month), "%Y-%m-%d")
            .ok()
            .and_then(|first| (first + chrono::Months::new(1)).pred_opt())
            .map_or(today, |last| last.min(today));
        let point = crate::views::BalancePoint { date: end.to_string(), amount: m.total.to_string() };
        match out.iter_mut().find(|v| v.currency == m.currency) {
            Some(v) => v.points.push(point),
            None => out.push(crate::views::NetWorthView { currency: m.currency, points: vec![point] }),
        }
    }
    Ok(out)
}

/// Moves a rule (1: tried first).
#[tauri::command]
pub async fn move_rule(state: State<'_>, id: i64, position: i64) -> IpcResult<()> {
    let mut guard = state.session.lock().await;
    if !ready(&mut guard)?.store.move_rule(id, position)? {
        return Err(IpcError::new(IpcCode::NotFound, format!("there is no rule {id}")));
    }
    Ok(())
}

/// Adds a rule and applies the rules to every stored row, as one undoable step.
#[tauri::command]
pub async fn add_rule(state: State<'_>, rule: RuleForm) -> IpcResult<LabelStep> {
    let mut guard = state.session.lock().await;
    let store = &mut ready(&mut guard)?.store;
    let now = Utc::now();
    let def = rule_def(rule)?;
    saldo_core::money::add_rule(store, &def, None, now)?;
    let applied = saldo_core::money::apply(store, false, now)?;
    Ok(LabelStep { step: applied.batch.unwrap_or_default(), changed: applied.changed as u32 })
}

/// Spending and income by category or counterparty.
#[tauri::command]
pub async fn report(state: State<'_>, request: ReportRequest) -> IpcResult<Vec<ReportLineView>> {
    let by = if request.by == "counterparty" { GroupBy::Counterparty } else { GroupBy::Category };
    let q = ReportQuery {
        from: present::date(&request.from, "from")?,
        to: present::date(&request.to, "to")?,
        account: None,
        gross: request.gross,
    };
    let mut guard = state.session.lock().await;
    let lines = saldo_core::money::report(&ready(&mut guard)?.store, by, &q)?;
    Ok(lines
        .into_iter()
        .map(|l| ReportLineView {
            group: l.group,
            currency: l.currency,
            income: l.income.to_string(),
            spending: l.spending.to_string(),
            rows: l.rows as u32,
        })
        .collect())
}

/// One counterparty: its names at the banks, first and last seen, months.
#[tauri::command]
pub async fn counterparty(state: State<'_>, name: String) -> IpcResult<CounterpartyView> {
    let mut guard = state.session.lock().await;
    let c = ready(&mut guard)?
        .store
        .counterparty(&name)?
        .ok_or_else(|| IpcError::new(IpcCode::NotFound, format!("no counterparty is called {name:?}")))?;
    Ok(CounterpartyView {
        name: c.name,
        bank_names: c.raw_names,
        ibans: c.ibans,
        rows: c.rows as u32,
        first_seen: c.first_seen,
        last_seen: c.last_seen,
        months: c
            .months
            .into_iter()
            .map(|(month, currency, income, spending)| MonthView {
                month,
                currency,
                income: income.to_string(),
                expense: (-spending).to_string(),
            })
            .collect(),
    })
}

/// Gives a counterparty the person's own name (kept for every later row).
#[tauri::command]
pub async fn rename_counterparty(state: State<'_>, name: String, to: String) -> IpcResult<u32> {
    let mut guard = state.session.lock().await;
    let store = &mut ready(&mut guard)?.store;
    let rows =
        store.rename_counterparty(&name, None, &to).map_err(|e| IpcError::new(IpcCode::Invalid, e.to_string()))?;
    Ok(rows as u32)
}

/// The rules, in the order they are tried.
#[tauri::command]
pub async fn rules(state: State<'_>) -> IpcResult<Vec<RuleView>> {
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    Ok(store
        .rules()?
        .into_iter()
        .map(|r| RuleView { id: r.id, when: saldo_core::money::describe(&r.when), name: r.name, category: r.category })
        .collect())
}

/// Deletes a rule (rows keep their category until the rules are applied).
#[tauri::command]
pub async fn delete_rule(state: State<'_>, id: i64) -> IpcResult<()> {
    let mut guard = state.session.lock().await;
    if !ready(&mut guard)?.store.delete_rule(id)? {
        return Err(IpcError::new(IpcCode::NotFound, format!("there is no rule {id}")));
    }
    Ok(())
}

/// Applies the rules to every stored row (one undoable step), or counts.
#[tauri::command]
pub async fn apply_rules(state: State<'_>, dry_run: bool) -> IpcResult<AppliedView> {
    let mut guard = state.session.lock().await;
    let a = saldo_core::money::apply(&mut ready(&mut guard)?.store, dry_run, Utc::now())?;
    Ok(AppliedView { changed: a.changed as u32, step: a.batch })
}

/// Groups of rows that may be one transfer, for the person to decide.
#[tauri::command]
pub async fn transfer_review(state: State<'_>) -> IpcResult<Vec<Vec<TxView>>> {
    let mut guard = state.session.lock().await;
    let store = &ready(&mut guard)?.store;
    let mut out = Vec::new();
    for group in store.transfer_review()? {
        out.push(store.transactions_by_id(&group)?.into_iter().map(present::tx_view).collect());
    }
    Ok(out)
}

/// The person pairs two rows as one transfer.
#[tauri::command]
pub async fn pair_transfer(state: State<'_>, a: i64, b: i64) -> IpcResult<i64> {
    let mut guard = state.session.lock().await;
    ready(&mut guard)?.store.pair_transfer(a, b, Utc::now()).map_err(|e| IpcError::new(IpcCode::Invalid, e.to_string()))
}

/// The person says a row is not a transfer.
#[tauri::command]
pub async fn not_a_transfer(state: State<'_>, id: i64) -> IpcResult<()> {
    let mut guard = state.session.lock().await;
    ready(&mut guard)?.store.not_a_transfer(id).map_err(|e| IpcError::new(IpcCode::NotFound, e.to_string()))
}

/// The person's accounts Saldo does not sync.
#[tauri::command]
pub async fn own_accounts(state: State<'_>) -> IpcResult<Vec<OwnAccountView>> {
    let mut guard = state.session.lock().await;
    Ok(ready(&mut guard)?.store.own_ibans()?.into_iter().map(|(iban, name)| OwnAccountView { iban, name }).collect())
}

/// Adds one of the person's other accounts; transfers to it are found at once.
#[tauri::command]
pub async fn add_own_account(state: State<'_>, iban: String, name: Option<String>) -> IpcResult<u32> {
    let mut guard = state.session.lock().await;
    let store = &mut ready(&mut guard)?.store;
    store
        .add_own_iban(&iban, name.as_deref().filter(|n| !n.trim().is_empty()))
        .map_err(|e| IpcError::new(IpcCode::Invalid, e.to_string()))?;
    Ok(store.detect_transfers(None, Utc::now())?.transfers as u32)
}

/// Forgets one of the person's other accounts.
#[tauri::command]
pub async fn remove_own_account(state: State<'_>, iban: String) -> IpcResult<()> {
    let mut guard = state.session.lock().await;
    ready(&mut guard)?.store.remove_own_iban(&iban)?;
    Ok(())
}
