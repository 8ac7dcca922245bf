//! `categories` and `rules`: the person's category tree (with Saldo's
//! defaults until they change it) and the ordered rules that categorise
//! rows, kept as one plain file on export and import.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use saldo_classify::rules::{CategoryDef, Conditions, RuleDef, RuleFile, RuleSet};

use crate::states::CategoryKind;
use crate::{Result, Store, StoreError};

/// A category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    /// Id.
    pub id: i64,
    /// Its parent.
    pub parent_id: Option<i64>,
    /// Names from the root, joined with `/`.
    pub path: String,
    /// What it counts as.
    pub kind: CategoryKind,
}

/// A stored rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Id.
    pub id: i64,
    /// Order in which rules are tried (lowest first).
    pub position: i64,
    /// Name (shown as the reason).
    pub name: String,
    /// Its category.
    pub category_id: i64,
    /// The category's path.
    pub category: String,
    /// When it applies.
    pub when: Conditions,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// Categories created.
    pub categories: usize,
    /// Rules added.
    pub rules: usize,
}

/// The rules compiled for matching, with what a match means.
#[derive(Debug)]
pub(crate) struct CompiledRules {
    pub(crate) set: RuleSet,
    /// Rule id → (the reason to show, "rule NAME"; category id).
    pub(crate) meta: std::collections::HashMap<i64, (Arc<str>, i64)>,
}

/// The compiled rules and the database state they were read at, with the
/// ids of the reasons (`label_reasons`) their decisions point at, as far as
/// committed transactions have found or added them.
#[derive(Debug, Default)]
pub(crate) struct RulesCache {
    pub(crate) at: Option<i64>,
    pub(crate) rules: Option<Arc<CompiledRules>>,
    pub(crate) reasons: crate::labels::ReasonIds,
}

fn category_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Category> {
    Ok(Category { id: r.get(0)?, parent_id: r.get(1)?, path: r.get(2)?, kind: r.get(3)? })
}

/// A path with its names trimmed: `" Food / Groceries "` → `"Food/Groceries"`.
pub fn clean_path(path: &str) -> String {
    path.split('/').map(str::trim).filter(|n| !n.is_empty()).collect::<Vec<_>>().join("/")
}

impl Store {
    /// Every category, by path.
    pub fn categories(&self) -> Result<Vec<Category>> {
        let mut st = self.conn.prepare_cached("SELECT id, parent_id, path, kind FROM categories ORDER BY path")?;
        let rows = st.query_map([], category_row)?.collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The category with this path.
    pub fn category_by_path(&self, path: &str) -> Result<Option<Category>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, parent_id, path, kind FROM categories WHERE path = ?1",
                [clean_path(path)],
                category_row,
            )
            .optional()?)
    }

    /// The category with this id.
    pub fn category(&self, id: i64) -> Result<Option<Category>> {
        Ok(self
            .conn
            .query_row("SELECT id, parent_id, path, kind FROM categories WHERE id = ?1", [id], category_row)
            .optional()?)
    }

    /// The category at `path`, created (with its parents, of the same kind)
    /// when missing; an existing one keeps its kind.
    pub fn ensure_category(&mut self, path: &str, kind: CategoryKind) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let id = ensure_in(&tx, path, kind)?;
        tx.commit()?;
        self.rules_cache = RulesCache::default();
        Ok(id)
    }

    /// Every rule, in the order they are tried.
    pub fn rules(&self) -> Result<Vec<Rule>> {
        let mut st = self.conn.prepare_cached(
            "SELECT r.id, r.position, r.name, r.category_id, c.path, r.conditions
             FROM rules r JOIN categories c ON c.id = r.category_id ORDER BY r.position, r.id",
        )?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?)))?
            .collect::<rusqlite::Result<Vec<(i64, i64, String, i64, String, String)>>>()?;
        rows.into_iter()
            .map(|(id, position, name, category_id, category, when)| {
                let when = serde_json::from_str(&when)
                    .map_err(|e| StoreError::Corrupt(format!("rule {id}'s conditions: {e}")))?;
                Ok(Rule { id, position, name, category_id, category, when })
            })
            .collect()
    }

    /// Adds a rule at the end (or before the rule now at `position`).
    pub fn add_rule(&mut self, rule: &RuleDef, position: Option<i64>, now: DateTime<Utc>) -> Result<i64> {
        if rule.when.is_empty() {
            return Err(StoreError::Corrupt(format!("rule {:?} has no condition", rule.name)));
        }
        let tx = self.conn.transaction()?;
        let category: i64 = tx
            .query_row("SELECT id FROM categories WHERE path = ?1", [clean_path(&rule.category)], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Corrupt(format!("there is no category {:?}", rule.category)))?;
        let end: i64 = tx.query_row("SELECT coalesce(max(position), 0) + 1 FROM rules", [], |r| r.get(0))?;
        let at = position.map_or(end, |p| p.clamp(1, end));
        tx.execute("UPDATE rules SET position = position + 1 WHERE position >= ?1", [at])?;
        let when = serde_json::to_string(&rule.when).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "INSERT INTO rules (position, name, category_id, conditions, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![at, rule.name.trim(), category, when, now.to_rfc3339()],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        self.rules_cache = RulesCache::default();
        Ok(id)
    }

    /// Moves a rule to `position` (1: tried first; past the end: last), the
    /// others keeping their order. Whether it existed. Rows keep their
    /// categories until the rules are applied again.
    pub fn move_rule(&mut self, id: i64, position: i64) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let ids: Vec<i64> = tx
            .prepare("SELECT id FROM rules ORDER BY position, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let Some(from) = ids.iter().position(|&r| r == id) else { return Ok(false) };
        let mut order = ids;
        order.remove(from);
        let to = usize::try_from(position.saturating_sub(1)).unwrap_or(0).min(order.len());
        order.insert(to, id);
        // Positions are unique only by convention: renumber them all, 1..n.
        let mut set = tx.prepare("UPDATE rules SET position = ?2 WHERE id = ?1")?;
        for (i, rule) in order.iter().enumerate() {
            set.execute(params![rule, i as i64 + 1])?;
        }
        drop(set);
        tx.commit()?;
        self.rules_cache = RulesCache::default();
        Ok(true)
    }

    /// Deletes a rule (rows it categorised keep their category until the
    /// rules are applied again). Whether it existed.
    pub fn delete_rule(&mut self, id: i64) -> Result<bool> {
        let n = self.conn.execute("DELETE FROM rules WHERE id = ?1", [id])?;
        self.rules_cache = RulesCache::default();
        Ok(n > 0)
    }

    /// The categories and rules as one plain file.
    pub fn rule_file(&self) -> Result<RuleFile> {
        Ok(RuleFile {
            version: 1,
            categories: self
                .categories()?
                .into_iter()
                .map(|c| CategoryDef { path: c.path, kind: c.kind.to_rules() })
                .collect(),
            rules: self
                .rules()?
                .into_iter()
                .map(|r| RuleDef { name: r.name, category: r.category, when: r.when })
                .collect(),
        })
    }

    /// Imports a rule file in one transaction: its categories are created
    /// when missing; its rules replace all rules (`replace`) or are added
    /// after them.
    pub fn import_rules(&mut self, file: &RuleFile, replace: bool, now: DateTime<Utc>) -> Result<Imported> {
        let tx = self.conn.transaction()?;
        let before: i64 = tx.query_row("SELECT count(*) FROM categories", [], |r| r.get(0))?;
        for c in &file.categories {
            ensure_in(&tx, &c.path, CategoryKind::from_rules(c.kind))?;
        }
        let after: i64 = tx.query_row("SELECT count(*) FROM categories", [], |r| r.get(0))?;
        if replace {
            tx.execute("DELETE FROM rules", [])?;
        }
        let mut position: i64 = tx.query_row("SELECT coalesce(max(position), 0) FROM rules", [], |r| r.get(0))?;
        let now_s = now.to_rfc3339();
        for r in &file.rules {
            let category: i64 = tx
                .query_row("SELECT id FROM categories WHERE path = ?1", [clean_path(&r.category)], |row| row.get(0))
                .optional()?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("rule {:?}: there is no category {:?}", r.name, r.category))
                })?;
            position += 1;
            let when = serde_json::to_string(&r.when).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO rules (position, name, category_id, conditions, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![position, r.name, category, when, now_s],
            )?;
        }
        tx.commit()?;
        self.rules_cache = RulesCache::default();
        Ok(Imported { categories: (after - before) as usize, rules: file.rules.len() })
    }

    /// Installs Saldo's default categories and rules when there are no
    /// categories yet; whether it did.
    pub fn seed_default_rules(&mut self, now: DateTime<Utc>) -> Result<bool> {
        let any: bool = self.conn.query_row("SELECT EXISTS (SELECT 1 FROM categories)", [], |r| r.get(0))?;
        if any {
            return Ok(false);
        }
        self.import_rules(&saldo_classify::rules::defaults(), false, now)?;
        Ok(true)
    }

    /// The compiled rules, read again only when the database changed since
    /// (another connection wrote: `PRAGMA data_version`) or this store
    /// changed rules.
    pub(crate) fn compiled_rules(&mut self) -> Result<Arc<CompiledRules>> {
        let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        if let (Some(at), Some(rules)) = (self.rules_cache.at, &self.rules_cache.rules) {
            if at == version {
                return Ok(rules.clone());
            }
        }
        let rules = self.rules()?;
        let compiled = Arc::new(CompiledRules {
            set: RuleSet::new(rules.iter().map(|r| (r.id, &r.when))),
            meta: rules.iter().map(|r| (r.id, (Arc::from(format!("rule {}", r.name)), r.category_id))).collect(),
        });
        self.rules_cache = RulesCache { at: Some(version), rules: Some(compiled.clone()), reasons: Default::default() };
        Ok(compiled)
    }
}

/// [`Store::ensure_category`] inside a transaction.
fn ensure_in(tx: &rusqlite::Transaction<'_>, path: &str, kind: CategoryKind) -> Result<i64> {
    let path = clean_path(path);
    if path.is_empty() {
        return Err(StoreError::Corrupt("a category needs a name".into()));
    }
    let mut parent: Option<i64> = None;
    let mut so_far = String::new();
    for name in path.split('/') {
        if !so_far.is_empty() {
            so_far.push('/');
        }
        so_far.push_str(name);
        let id: Option<i64> =
            tx.query_row("SELECT id FROM categories WHERE path = ?1", [&so_far], |r| r.get(0)).optional()?;
        parent = Some(match id {
            Some(id) => id,
            None => {
                tx.execute(
                    "INSERT INTO categories (parent_id, path, kind) VALUES (?1, ?2, ?3)",
                    params![parent, so_far, kind],
                )?;
                tx.last_insert_rowid()
            }
        });
    }
    parent.ok_or_else(|| StoreError::Corrupt("a category needs a name".into()))
}
