//! The store's tables: one text per migration for both backends
//! (`migrations/NNNN_name.sql`), with the few words where the dialects
//! differ filled in per backend. sqlx checks each applied migration by the
//! checksum of its text, so the text filled in for a backend never changes
//! once released: `0001` gives byte for byte the SQLite and PostgreSQL files
//! it was first shipped as (a test pins their checksums).

use std::borrow::Cow;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType};

use super::Backend;

/// Every migration: version, description, text.
const MIGRATIONS: [(i64, &str, &str); 3] = [
    (1, "init", include_str!("../../migrations/0001_init.sql")),
    (
        2,
        "admission decisions",
        include_str!("../../migrations/0002_admission_decisions.sql"),
    ),
    (
        3,
        "flow findings, clusters and tag states",
        include_str!("../../migrations/0003_flow_findings.sql"),
    ),
];

/// The migrations of one backend.
#[derive(Debug, Clone, Copy)]
pub struct Schema(pub Backend);

impl Schema {
    /// The words that differ: `(placeholder, text)`.
    fn dialect(self) -> [(&'static str, &'static str); 3] {
        match self.0 {
            Backend::Sqlite => [
                ("{{backend}}", "SQLite"),
                ("{{other}}", "PostgreSQL"),
                ("{{id}}", "INTEGER PRIMARY KEY AUTOINCREMENT"),
            ],
            Backend::Postgres => [
                ("{{backend}}", "PostgreSQL"),
                ("{{other}}", "SQLite"),
                ("{{id}}", "BIGSERIAL PRIMARY KEY"),
            ],
        }
    }

    /// Every migration's text for this backend.
    pub fn migrations(self) -> Vec<Migration> {
        MIGRATIONS
            .iter()
            .map(|(version, description, text)| {
                let sql = self
                    .dialect()
                    .iter()
                    .fold((*text).to_owned(), |sql, (from, to)| sql.replace(from, to));
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Owned(sql),
                    false,
                )
            })
            .collect()
    }
}

impl<'s> MigrationSource<'s> for Schema {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async move { Ok(self.migrations()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Stores made before the migrations shared one text keep opening:
    /// the first migration's checksums are those of the files it shipped as.
    #[test]
    fn the_first_migration_keeps_its_released_checksums() {
        let sqlite = Schema(Backend::Sqlite).migrations();
        let postgres = Schema(Backend::Postgres).migrations();
        assert_eq!(
            hex(&sqlite[0].checksum),
            "9363ee5dc4b668d6aa7c2b2ea41f2595dfbc61ac1c47610130355213d5a81db06be0f3ac3257375ddb9116999e04626d"
        );
        assert_eq!(
            hex(&postgres[0].checksum),
            "cb021565fc3094f028cf9bbae277d522bd8d70c46276de887b3faa718a4cb2a2dd9f3767a3121118fa0351f439d7af4c"
        );
    }

    #[test]
    fn every_placeholder_is_filled() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            for m in Schema(backend).migrations() {
                assert!(!m.sql.contains("{{"), "{}: {}", m.version, m.sql);
            }
        }
    }
}
