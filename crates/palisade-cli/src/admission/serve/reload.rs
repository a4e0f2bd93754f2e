//! Hot reload: policy and inventory directories and certificate files are polled for
//! changes (modification time and size of every file, following symlinks,
//! so Kubernetes ConfigMap and Secret volume swaps are seen). A changed
//! policy set is compiled on the blocking pool, off the request path, and
//! swapped in atomically; a set with errors is not served: the previous one
//! stays, the errors are logged and counted.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use palisade::walk::{MANIFEST_EXTENSIONS, Walker, has_extension};

use super::app::App;
use super::inventory::InventorySource;
use super::policies::PolicySource;
use palisade_https::CertStore;

/// How long files must stay unchanged before a reload starts, so a change
/// made of several writes is read once it is complete.
const SETTLE: Duration = Duration::from_millis(100);

/// Loads the policy set and serves it on success. On failure the served set
/// (if any) stays, and the errors are logged, counted and returned.
pub async fn load_policies(app: &App, source: &PolicySource) -> Result<u64, Vec<String>> {
    let loading = source.clone();
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || loading.load())
        .await
        .unwrap_or_else(|_| Err(vec!["loading policies failed unexpectedly".to_owned()]));
    match result {
        Ok(policies) => {
            let count = policies.len();
            for (template, reason) in &policies.rego_interpreted {
                tracing::warn!(
                    template,
                    reason,
                    "template runs on the Rego interpreter: regorus cannot compile it"
                );
            }
            app.metrics
                .rego_templates(policies.rego_compiled, policies.rego_interpreted.len());
            let number = app.store.install(policies);
            app.metrics
                .generation
                .set(i64::try_from(number).unwrap_or(i64::MAX));
            app.metrics
                .policies
                .set(i64::try_from(count).unwrap_or(i64::MAX));
            app.metrics
                .policy_reloads
                .get_or_create(&super::metrics::ResultLabels { result: "ok" })
                .inc();
            tracing::info!(
                generation = number,
                policies = count,
                load_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "policy set loaded"
            );
            Ok(number)
        }
        Err(errors) => {
            for error in &errors {
                tracing::error!(%error, "policy load error");
            }
            match app.store.current() {
                Some(current) => tracing::error!(
                    errors = errors.len(),
                    generation = current.number,
                    "policy set not loaded; still serving the previous set"
                ),
                None => tracing::error!(errors = errors.len(), "policy set not loaded"),
            }
            // Counted last: once the count moves, the errors are logged.
            app.metrics
                .policy_reloads
                .get_or_create(&super::metrics::ResultLabels { result: "error" })
                .inc();
            app.metrics
                .policy_load_errors
                .inc_by(u64::try_from(errors.len()).unwrap_or(u64::MAX));
            Err(errors)
        }
    }
}

/// Loads the inventory and serves it on success. On failure the served
/// inventory stays, and the errors are logged, counted and returned.
pub async fn load_inventory(app: &App, source: &InventorySource) -> Result<u64, Vec<String>> {
    let loading = source.clone();
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || loading.load())
        .await
        .unwrap_or_else(|_| Err(vec!["loading the inventory failed unexpectedly".to_owned()]));
    match result {
        Ok(inventory) => {
            let (objects, namespaces) = (inventory.objects, inventory.namespaces);
            let number = app.inventory.install(inventory);
            app.metrics
                .inventory_generation
                .set(i64::try_from(number).unwrap_or(i64::MAX));
            app.metrics
                .inventory_objects
                .set(i64::try_from(objects).unwrap_or(i64::MAX));
            app.metrics
                .inventory_loads
                .get_or_create(&super::metrics::ResultLabels { result: "ok" })
                .inc();
            tracing::info!(
                generation = number,
                objects,
                namespaces,
                load_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "inventory loaded"
            );
            Ok(number)
        }
        Err(errors) => {
            for error in &errors {
                tracing::error!(%error, "inventory load error");
            }
            let current = app.inventory.current();
            if current.number > 0 {
                tracing::error!(
                    errors = errors.len(),
                    generation = current.number,
                    "inventory not loaded; still serving the previous inventory"
                );
            } else {
                tracing::error!(errors = errors.len(), "inventory not loaded");
            }
            // Counted last: once the count moves, the errors are logged.
            app.metrics
                .inventory_loads
                .get_or_create(&super::metrics::ResultLabels { result: "error" })
                .inc();
            app.metrics
                .inventory_load_errors
                .inc_by(u64::try_from(errors.len()).unwrap_or(u64::MAX));
            Err(errors)
        }
    }
}

/// Polls the policy paths, the inventory paths and the certificate files
/// every `interval` and reloads what changed. Runs until aborted.
pub async fn watch(
    app: Arc<App>,
    source: PolicySource,
    inventory: InventorySource,
    certs: Arc<CertStore>,
    interval: Duration,
) {
    let policy_paths: Vec<PathBuf> = source.paths();
    let inventory_paths: Vec<PathBuf> = inventory.paths().to_vec();
    let mut policies_seen = stamps(policy_paths.clone()).await;
    let mut inventory_seen = stamps(inventory_paths.clone()).await;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if !policy_paths.is_empty() {
            let now = settled(&policy_paths, stamps(policy_paths.clone()).await).await;
            if now != policies_seen {
                policies_seen = now;
                tracing::info!("policy files changed; reloading");
                let _ = load_policies(&app, &source).await;
            }
        }
        if !inventory_paths.is_empty() {
            let now = settled(&inventory_paths, stamps(inventory_paths.clone()).await).await;
            if now != inventory_seen {
                inventory_seen = now;
                tracing::info!("inventory files changed; reloading");
                let _ = load_inventory(&app, &inventory).await;
            }
        }
        let certs_now = Arc::clone(&certs);
        let reloaded = tokio::task::spawn_blocking(move || certs_now.reload_if_changed())
            .await
            .ok()
            .flatten();
        if let Some(reloaded) = reloaded {
            let result = match reloaded {
                Ok(()) => {
                    tracing::info!("certificate reloaded");
                    "ok"
                }
                Err(error) => {
                    tracing::error!(%error, "certificate not reloaded; still serving the previous one");
                    "error"
                }
            };
            app.metrics
                .tls_reloads
                .get_or_create(&super::metrics::ResultLabels { result })
                .inc();
        }
    }
}

/// `now`, or once a change was seen, the stamps after they stopped changing
/// (checked every [`SETTLE`], at most ten times).
async fn settled(paths: &[PathBuf], mut now: Vec<Stamp>) -> Vec<Stamp> {
    for _ in 0..10 {
        tokio::time::sleep(SETTLE).await;
        let again = stamps(paths.to_vec()).await;
        if again == now {
            break;
        }
        now = again;
    }
    now
}

/// What identifies a file's version: path, modification time, size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: Option<u64>,
}

/// The stamps of every policy-like file under `paths`, on the blocking pool.
async fn stamps(paths: Vec<PathBuf>) -> Vec<Stamp> {
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for path in &paths {
            collect(path, &mut out);
        }
        out
    })
    .await
    .unwrap_or_default()
}

/// Walks `path` as the policy loaders do (the shared walker: directories
/// recursively, hidden and ConfigMap `..` entries skipped, links followed,
/// `.yaml`, `.yml` and `.json` files); a path given explicitly is stamped
/// whatever its name, and even when missing or when its walk fails (the
/// loader then reports the error).
fn collect(path: &Path, out: &mut Vec<Stamp>) {
    let files = Walker::new()
        .files(path, |p| has_extension(p, &MANIFEST_EXTENSIONS))
        .unwrap_or_else(|_| vec![path.to_path_buf()]);
    for file in files {
        let metadata = std::fs::metadata(&file).ok();
        out.push(Stamp {
            modified: metadata.as_ref().and_then(|m| m.modified().ok()),
            len: metadata.as_ref().map(std::fs::Metadata::len),
            path: file,
        });
    }
}
