//! The tuning routine's state: rule states (enabled, mode), tag states
//! (enabled) and exceptions.

use sqlx::Row;

use super::{Bind, Store, StoreError};

/// A stored rule state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleState {
    /// The rule.
    pub name: String,
    /// Switched on.
    pub enabled: bool,
    /// `alert` or `observe`.
    pub mode: String,
}

impl Store {
    /// Every stored rule state.
    pub async fn rule_states(&self) -> Result<Vec<RuleState>, StoreError> {
        let rows = self
            .fetch_all("SELECT name, enabled, mode FROM rule_states", &[])
            .await?;
        self.each(&rows, |row| {
            let enabled: i64 = row.try_get(1)?;
            Ok(RuleState {
                name: row.try_get(0)?,
                enabled: enabled != 0,
                mode: row.try_get(2)?,
            })
        })
    }

    /// Saves a rule's state.
    pub async fn save_rule_state(&self, state: &RuleState, at: i64) -> Result<(), StoreError> {
        self.fetch_all(
            "INSERT INTO rule_states (name, enabled, mode, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, mode = excluded.mode, updated_at = excluded.updated_at",
            &[
                Bind::Text(&state.name),
                Bind::Int(i64::from(state.enabled)),
                Bind::Text(&state.mode),
                Bind::Int(at),
            ],
        )
        .await?;
        Ok(())
    }

    /// Every exception: `(rule, body as JSON text)`, in the order added.
    pub async fn exceptions(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self
            .fetch_all("SELECT rule, body FROM exceptions ORDER BY id", &[])
            .await?;
        self.each(&rows, |row| Ok((row.try_get(0)?, row.try_get(1)?)))
    }

    /// Adds an exception.
    pub async fn add_exception(&self, rule: &str, body: &str, at: i64) -> Result<(), StoreError> {
        self.fetch_all(
            "INSERT INTO exceptions (rule, body, created_at) VALUES ($1, $2, $3)",
            &[Bind::Text(rule), Bind::Text(body), Bind::Int(at)],
        )
        .await?;
        Ok(())
    }

    /// The tags switched off.
    pub async fn disabled_tags(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .fetch_all("SELECT name FROM tag_states WHERE enabled = 0", &[])
            .await?;
        self.each(&rows, |row| row.try_get(0))
    }

    /// Switches a tag on or off.
    pub async fn save_tag_state(
        &self,
        tag: &str,
        enabled: bool,
        at: i64,
    ) -> Result<(), StoreError> {
        self.fetch_all(
            "INSERT INTO tag_states (name, enabled, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
            &[Bind::Text(tag), Bind::Int(i64::from(enabled)), Bind::Int(at)],
        )
        .await?;
        Ok(())
    }
}
