//! The inventory: cluster objects the webhook cannot see in a request,
//! loaded from manifests (`--inventory DIR...`) and swapped atomically when
//! the files change, like the policies.
//!
//! `Namespace` objects give `spec.match.namespaceSelector` of constraints
//! (and pattern policies' namespace selectors) the labels of a request's
//! namespace, and Gatekeeper templates `input.review._unstable.namespace`;
//! every object is in Gatekeeper's `data.inventory` for referential
//! templates (unique ingress hosts, unique service selectors, ...). This
//! takes the place of Gatekeeper's sync cache: whatever keeps the files up to
//! date (a `kubectl get -o yaml` job, a GitOps checkout) is the sync.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use palisade::admission::Context;
use palisade::manifest;

/// Where inventory objects come from.
#[derive(Debug, Clone, Default)]
pub struct InventorySource {
    paths: Vec<PathBuf>,
}

impl InventorySource {
    /// Objects from `paths` (files or directories, searched recursively).
    pub fn new(paths: Vec<PathBuf>) -> InventorySource {
        InventorySource { paths }
    }

    /// The inventory files and directories.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Loads every object. Any error makes the whole load fail (so a
    /// half-written file never replaces a complete inventory); the errors
    /// come back as messages naming file, line and column.
    pub fn load(&self) -> Result<Inventory, Vec<String>> {
        super::paths::require_existing(&self.paths)?;
        let report = manifest::load_paths(&self.paths);
        let mut errors: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        for object in &report.objects {
            if object.name().is_none() {
                errors.push(format!(
                    "{}: `{}` object has no `metadata.name`; inventory objects are looked up by name",
                    object.source.location(),
                    object.kind().unwrap_or_default()
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let namespaces = report
            .objects
            .iter()
            .filter(|m| m.kind() == Some("Namespace") && m.api_version() == Some("v1"))
            .count();
        let objects = report.objects.len();
        Ok(Inventory {
            context: Context::with_objects(report.objects.into_iter().map(|m| m.object)),
            objects,
            namespaces,
            number: 0,
        })
    }
}

/// One loaded inventory.
#[derive(Debug, Default)]
pub struct Inventory {
    /// The objects as the policies see them: namespaces by name and the
    /// `data.inventory` tree.
    pub context: Context,
    /// How many objects.
    pub objects: usize,
    /// How many of them are Namespaces.
    pub namespaces: usize,
    /// Its number: 0 for the empty inventory served without
    /// `--inventory`, 1 for the first load, +1 per reload.
    pub number: u64,
}

/// The inventory requests are evaluated with, swapped atomically.
#[derive(Debug)]
pub struct InventoryStore {
    current: ArcSwap<Inventory>,
}

impl Default for InventoryStore {
    fn default() -> InventoryStore {
        InventoryStore {
            current: ArcSwap::from_pointee(Inventory::default()),
        }
    }
}

impl InventoryStore {
    /// The current inventory (empty until one is loaded).
    pub fn current(&self) -> Arc<Inventory> {
        self.current.load_full()
    }

    /// Installs `inventory` as the next one and returns its number.
    /// Requests already running keep the inventory they started with.
    pub fn install(&self, mut inventory: Inventory) -> u64 {
        inventory.number = self.current.load().number + 1;
        let number = inventory.number;
        self.current.store(Arc::new(inventory));
        number
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_objects_load_into_the_context() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("cluster.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {env: prod}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector: {app: web}\n",
        )
        .unwrap();
        let inventory = InventorySource::new(vec![dir.path().to_path_buf()])
            .load()
            .unwrap();
        assert_eq!((inventory.objects, inventory.namespaces), (2, 1));
        let shop = inventory.context.namespace("shop").unwrap();
        assert_eq!(shop["metadata"]["labels"]["env"], "prod");
        let tree = inventory.context.inventory();
        assert_eq!(
            tree["namespace"]["shop"]["v1"]["Service"]["web"]["spec"]["selector"]["app"],
            "web"
        );
    }

    #[test]
    fn errors_name_file_and_line_and_fail_the_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  labels: {a: b}\n",
        )
        .unwrap();
        let errors = InventorySource::new(vec![dir.path().to_path_buf()])
            .load()
            .unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("bad.yaml:6:1") && errors[0].contains("metadata.name"),
            "{errors:?}"
        );
        let missing = InventorySource::new(vec![dir.path().join("nope")])
            .load()
            .unwrap_err();
        assert!(missing[0].contains("no such file"), "{missing:?}");
    }

    #[test]
    fn generations_count_up_from_the_empty_inventory() {
        let store = InventoryStore::default();
        assert_eq!(store.current().number, 0);
        assert!(store.current().context.namespace("shop").is_none());
        assert_eq!(store.install(Inventory::default()), 1);
        assert_eq!(store.install(Inventory::default()), 2);
        assert_eq!(store.current().number, 2);
    }
}
