//! Loading manifests for the network commands, and reporting what was not
//! understood.

use std::path::PathBuf;

use palisade::network::intent::Declaration;
use palisade::network::{Issues, Resolver};

use crate::output::Output;

/// Loads `paths` and compiles them. Manifest errors are fatal (`None`);
/// policy fields that are not understood are reported as warnings.
pub fn resolver(out: &Output, paths: &[PathBuf]) -> Option<Resolver> {
    let objects = manifests(out, paths)?;
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&objects, &mut issues);
    report_issues(out, &issues);
    Some(resolver)
}

/// The manifests in `paths`; their errors are printed and fatal (`None`).
fn manifests(out: &Output, paths: &[PathBuf]) -> Option<Vec<palisade::manifest::Manifest>> {
    let report = palisade::manifest::load_paths(paths);
    for error in &report.errors {
        out.error(&error.to_string());
    }
    report.is_ok().then_some(report.objects)
}

/// Prints load issues to standard error.
pub fn report_issues(out: &Output, issues: &Issues) {
    for issue in issues {
        out.warning(&issue.to_string());
    }
}

/// The manifests of `check`, `connlist` and `audit`: positional, as they
/// always were, or as `--policies` and `--inventory` like the newer
/// commands take them (the three may be mixed; all are read together).
#[derive(Debug, clap::Args)]
pub struct Manifests {
    /// Manifest files, directories (read recursively) or `-` for standard input.
    #[arg(
        value_name = "MANIFESTS",
        required_unless_present_any = ["policies", "inventory"]
    )]
    paths: Vec<PathBuf>,
    /// Policy manifests: files or directories (read recursively).
    #[arg(long, value_name = "PATH")]
    policies: Vec<PathBuf>,
    /// The workloads, namespaces and services: files or directories.
    #[arg(long, value_name = "PATH")]
    inventory: Vec<PathBuf>,
}

impl Manifests {
    /// Loads and compiles every path given, as [`resolver`] does.
    pub fn resolver(&self, out: &Output) -> Option<Resolver> {
        let paths: Vec<PathBuf> = [&self.paths, &self.policies, &self.inventory]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        resolver(out, &paths)
    }
}

/// The inputs the intent and flow commands share.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Policy manifests: files or directories (read recursively).
    #[arg(long, required = true, value_name = "PATH")]
    pub policies: Vec<PathBuf>,
    /// Do not count DNS to kube-system `kube-dns` (UDP and TCP 53) as
    /// declared for every workload.
    #[arg(long)]
    pub no_implicit_dns: bool,
    /// The workloads, namespaces and services (`--inventory`), and the
    /// Otterize ClientIntents, `v2beta1` or `v1alpha3` (`--intents`): files
    /// or directories.
    #[command(flatten)]
    pub sources: Sources,
}

/// The inventory and intents paths of [`ClusterArgs`].
#[derive(Debug, clap::Args)]
pub struct Sources {
    #[arg(
        long,
        value_name = "PATH",
        help = "The workloads, namespaces and services: files or directories"
    )]
    inventory: Vec<PathBuf>,
    #[arg(
        long,
        value_name = "PATH",
        help = "Otterize ClientIntents (`v2beta1`, `v1alpha3`): files or directories"
    )]
    intents: Vec<PathBuf>,
}

impl ClusterArgs {
    /// Loads the policies with the inventory, and the intents.
    pub fn load(&self, out: &Output) -> Option<(Resolver, Declaration, Issues)> {
        let mut cluster = self.policies.clone();
        cluster.extend(self.sources.inventory.iter().cloned());
        with_declaration(out, &cluster, &self.sources.intents, self.no_implicit_dns)
    }

    /// `true` when ClientIntents were given.
    pub fn has_intents(&self) -> bool {
        !self.sources.intents.is_empty()
    }
}

/// Loads and compiles `cluster` (policies and inventory), then the
/// ClientIntents in `intents` (manifest errors are fatal: `None`); what is
/// not understood goes to the returned issues. `no_implicit_dns` turns off
/// the DNS every workload is declared to use.
pub fn with_declaration(
    out: &Output,
    cluster: &[PathBuf],
    intents: &[PathBuf],
    no_implicit_dns: bool,
) -> Option<(Resolver, Declaration, Issues)> {
    let resolver = resolver(out, cluster)?;
    let objects = manifests(out, intents)?;
    let mut issues = Issues::default();
    let mut declaration = Declaration::from_manifests(&objects, &mut issues);
    declaration.implicit_dns = !no_implicit_dns;
    Some((resolver, declaration, issues))
}
