//! Every visible netpol-analyzer case: our connectivity list equals the
//! golden `*_connlist_output.txt` as a set of lines (and the json, csv and md
//! goldens where they exist).

use std::path::{Path, PathBuf};

use palisade_network::connlist::{ConnList, Format};
use palisade_network::{Issues, Resolver};
use palisade_testkit::compare::line_set;

fn connlist(dir: &Path) -> ConnList {
    // Files that are not Kubernetes objects (an old output file upstream
    // keeps among the inputs) are skipped, as netpol-analyzer does.
    let report = palisade_core::manifest::load_paths(&[dir]);
    let mut issues = Issues::default();
    let resolver = Resolver::from_manifests(&report.objects, &mut issues);
    ConnList::new(&resolver)
}

#[test]
fn connlists_equal_the_goldens() {
    let Some(root) = palisade_testkit::corpus("network/netpol-analyzer") else {
        return;
    };
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("tests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    let mut golden_lines = 0;
    let mut other_formats = 0;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let golden_path = root
            .join("test_outputs/connlist")
            .join(format!("{name}_connlist_output.txt"));
        let golden = line_set(&std::fs::read_to_string(&golden_path).unwrap());
        golden_lines += golden.len();
        let list = connlist(dir);
        let ours = line_set(&list.render(Format::Txt));
        if ours != golden {
            let missing: Vec<_> = golden.difference(&ours).take(3).cloned().collect();
            let extra: Vec<_> = ours.difference(&golden).take(3).cloned().collect();
            failed.push(format!(
                "{name}: {} golden, {} ours; missing {missing:?}; extra {extra:?}",
                golden.len(),
                ours.len()
            ));
            continue;
        }
        let mut format_failures = Vec::new();
        for (ext, format) in [
            ("json", Format::Json),
            ("csv", Format::Csv),
            ("md", Format::Md),
        ] {
            let path = root
                .join("test_outputs/connlist")
                .join(format!("{name}_connlist_output.{ext}"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            other_formats += 1;
            let same = match format {
                Format::Json => {
                    let a: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let b: serde_json::Value = serde_json::from_str(&list.render(format)).unwrap();
                    let set = |v: &serde_json::Value| {
                        v.as_array()
                            .unwrap()
                            .iter()
                            .map(ToString::to_string)
                            .collect::<std::collections::BTreeSet<_>>()
                    };
                    set(&a) == set(&b)
                }
                _ => line_set(&text) == line_set(&list.render(format)),
            };
            if !same {
                format_failures.push(ext);
            }
        }
        if format_failures.is_empty() {
            passed.push(name);
        } else {
            failed.push(format!("{name}: formats differ: {format_failures:?}"));
        }
    }
    eprintln!(
        "netpol-analyzer corpus: {}/{} directories equal ({golden_lines} golden lines, {other_formats} other-format goldens)",
        passed.len(),
        dirs.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {} directories differ:\n{}",
        failed.len(),
        dirs.len(),
        failed.join("\n")
    );
    assert!(
        dirs.len() >= 65,
        "the corpus README lists 65 directories, found {}",
        dirs.len()
    );
}
