//! `palisade network generate`: least-privilege policies from declared
//! intent.

use std::path::PathBuf;

use clap::Args;
use palisade::network::intent::{Flavor, Generated, generate};

use super::load;
use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade network generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Otterize ClientIntents (`v2beta1`, `v1alpha3`): files or directories.
    #[arg(long, required = true, value_name = "PATH")]
    pub intents: Vec<PathBuf>,
    /// The workloads, namespaces and services: files or directories.
    #[arg(long, required = true, value_name = "PATH")]
    pub inventory: Vec<PathBuf>,
    /// The policy language: `kubernetes` (NetworkPolicy) or `cilium`
    /// (CiliumNetworkPolicy).
    #[arg(long, default_value = "kubernetes", value_parser = ["kubernetes", "cilium"])]
    pub flavor: String,
    /// Write one `<namespace>.yaml` per namespace into this directory
    /// (created when missing) instead of standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Do not write DNS egress to kube-system `kube-dns` for every workload.
    #[arg(long)]
    pub no_implicit_dns: bool,
}

/// Runs `palisade network generate`: exit 2 when a declared path cannot
/// be expressed in the flavor.
pub fn run(out: &Output, args: &GenerateArgs) -> Exit {
    let Some(flavor) = Flavor::parse(&args.flavor) else {
        out.error(&format!("unknown flavor `{}`", args.flavor));
        return Exit::InputError;
    };
    let loaded = load::with_declaration(out, &args.inventory, &args.intents, args.no_implicit_dns);
    let Some((resolver, declaration, mut issues)) = loaded else {
        return Exit::InputError;
    };
    let inventory = &resolver.catalog().inventory;
    let generated = generate(inventory, &declaration, flavor, &mut issues);
    load::report_issues(out, &issues);
    let generated = match generated {
        Ok(g) => g,
        Err(errors) => {
            for e in &errors {
                out.error(&e.to_string());
            }
            return Exit::InputError;
        }
    };
    match &args.out {
        None => out.line(documents(generated.iter()).trim_end()),
        Some(dir) => {
            if let Err(e) = write_files(dir, &generated) {
                out.error(&format!("cannot write to `{}`: {e}", dir.display()));
                return Exit::InputError;
            }
            out.note(&format!(
                "{} policies written to {}",
                generated.len(),
                dir.display()
            ));
        }
    }
    Exit::Ok
}

/// The policies as YAML documents.
fn documents<'a>(policies: impl Iterator<Item = &'a Generated>) -> String {
    policies.map(|g| format!("---\n{}", g.to_yaml())).collect()
}

fn write_files(dir: &std::path::Path, generated: &[Generated]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut namespaces: Vec<&str> = generated.iter().map(|g| g.namespace.as_str()).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    for ns in namespaces {
        let text = documents(generated.iter().filter(|g| g.namespace == ns));
        std::fs::write(dir.join(format!("{ns}.yaml")), text)?;
    }
    Ok(())
}
