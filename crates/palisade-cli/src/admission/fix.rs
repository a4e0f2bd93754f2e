//! `palisade admission fix`: remediation of manifests in files. The
//! built-in remediation pack (unless `--no-pack`) and the user's mutate
//! policies are applied to every object; the changes are reported with
//! their reason, and what no patch can safely fix is named by its Pod
//! Security check. `--write` rewrites the files in place, `--out DIR`
//! writes fixed copies under DIR with the same relative paths.

use std::path::{Path, PathBuf};

use clap::Args;
use palisade::admission::mutate::fix::{Change, FixedObject, Fixer, ObjectFix, rewrite_file};
use palisade::admission::mutate::{self};
use palisade::admission::pss::{Level, LevelVersion, Version};
use palisade::manifest::{self, Manifest};
use serde::Serialize;

use crate::exit::Exit;
use crate::output::{Output, Style};

use super::object_at::ObjectAt;
use super::pss::{parse_level, parse_version};

/// Arguments of `palisade admission fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// Manifest files or directories to fix.
    #[arg(value_name = "MANIFESTS", required = true)]
    pub paths: Vec<PathBuf>,
    /// Kyverno `ClusterPolicy`/`Policy` files or directories with `mutate`
    /// rules, applied after the built-in pack; repeat for more.
    #[arg(long = "policies", value_name = "DIR")]
    pub policies: Vec<PathBuf>,
    /// Leave out the built-in remediation pack (only `--policies` apply).
    #[arg(long)]
    pub no_pack: bool,
    /// Rewrite the files in place (key order, comments and the other
    /// documents of each file are kept).
    #[arg(long, conflicts_with = "out")]
    pub write: bool,
    /// Write fixed copies of every file under DIR, with the same paths
    /// relative to the directory (or file) given.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The Pod Security level the fixed objects are checked against.
    #[arg(long, default_value = "restricted", value_parser = parse_level)]
    pub level: Level,
    /// The Pod Security version: `v1.N` or `latest`.
    #[arg(long, default_value = "latest", value_parser = parse_version)]
    pub version: Version,
}

/// One unfixable check in JSON output.
#[derive(Serialize)]
struct UnfixableRow<'a> {
    check: String,
    reason: &'a str,
}

/// One object in JSON output.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    at: ObjectAt<'a>,
    changes: &'a [Change],
    unfixable: Vec<UnfixableRow<'a>>,
}

/// The objects read from one argument, and where copies go under `--out`.
struct Input {
    /// The argument as given.
    root: PathBuf,
    /// `true` when it is a directory (paths are relative to it).
    dir: bool,
    objects: Vec<Manifest>,
}

/// Runs the command: exit 0 when every object passes the level after the
/// fixes, 1 when something is unfixable or a rule failed, 2 on unreadable
/// input, policies that do not load, or files that cannot be written.
pub fn run(out: &Output, args: &FixArgs) -> Exit {
    let Some(fixer) = fixer(out, args) else {
        return Exit::InputError;
    };
    if args.write && args.paths.iter().any(|p| p == Path::new("-")) {
        out.error("`--write` cannot rewrite standard input; use `--out DIR` or name the files");
        return Exit::InputError;
    }
    let mut inputs = Vec::new();
    let mut input_errors = false;
    for root in &args.paths {
        let report = manifest::load_path(root);
        for e in &report.errors {
            out.error(&e.to_string());
            input_errors = true;
        }
        inputs.push(Input {
            root: root.clone(),
            dir: root.is_dir(),
            objects: report.objects,
        });
    }
    let fixes: Vec<Vec<ObjectFix>> = inputs
        .iter()
        .map(|i| i.objects.iter().map(|m| fixer.fix(&m.object)).collect())
        .collect();
    let mut failed = false;
    for (input, fixes) in inputs.iter().zip(&fixes) {
        for (m, fix) in input.objects.iter().zip(fixes) {
            failed |= !fix.unfixable.is_empty();
            for r in &fix.errors {
                failed = true;
                out.warning(&format!(
                    "{r} (on {} at {}:{}:{})",
                    m.object_ref(),
                    m.source.file,
                    m.source.line,
                    m.source.column
                ));
            }
        }
    }
    let written = if args.write || args.out.is_some() {
        match write(out, args, &inputs, &fixes) {
            Some(n) => n,
            None => return Exit::InputError,
        }
    } else {
        0
    };
    report(out, args, &inputs, &fixes, written);
    if input_errors {
        Exit::InputError
    } else if failed {
        Exit::Violation
    } else {
        Exit::Ok
    }
}

fn fixer(out: &Output, args: &FixArgs) -> Option<Fixer> {
    let user = if args.policies.is_empty() {
        Vec::new()
    } else {
        let load = mutate::load_paths(&args.policies);
        for e in &load.errors {
            out.error(&e.to_string());
        }
        if !load.errors.is_empty() {
            return None;
        }
        if load.policies.is_empty() {
            out.error("no policies with `mutate` rules found under `--policies`");
            return None;
        }
        load.policies
    };
    let fixer = if args.no_pack {
        if user.is_empty() {
            out.error("`--no-pack` leaves nothing to apply: give `--policies`");
            return None;
        }
        Fixer::new(user)
    } else {
        Fixer::with_pack(user)
    };
    Some(fixer.level(LevelVersion::new(args.level, args.version)))
}

/// Writes the fixed files (`--write`: those that changed; `--out`: every
/// file read); the number written, or `None` after an error.
fn write(
    out: &Output,
    args: &FixArgs,
    inputs: &[Input],
    fixes: &[Vec<ObjectFix>],
) -> Option<usize> {
    let mut written = 0;
    for (input, fixes) in inputs.iter().zip(fixes) {
        let mut files: Vec<&str> = input
            .objects
            .iter()
            .map(|m| m.source.file.as_str())
            .collect();
        files.dedup();
        for file in files {
            let here: Vec<(&Manifest, &ObjectFix)> = input
                .objects
                .iter()
                .zip(fixes)
                .filter(|(m, _)| m.source.file == file)
                .collect();
            let changed = here.iter().any(|(_, f)| !f.changes.is_empty());
            let target = match &args.out {
                Some(dir) => dir.join(relative(input, file)),
                None if changed => PathBuf::from(file),
                None => continue,
            };
            let text = if file == "<stdin>" {
                None
            } else {
                match std::fs::read_to_string(file) {
                    Ok(text) => Some(text),
                    Err(e) => {
                        out.error(&format!(
                            "{file}: cannot read it again to write the fixes: {e}"
                        ));
                        return None;
                    }
                }
            };
            let objects: Vec<FixedObject<'_>> = here
                .iter()
                .map(|(m, f)| FixedObject {
                    document: m.source.document,
                    item: m.source.item,
                    object: &f.object,
                })
                .collect();
            let new_text = match text {
                Some(text) => match rewrite_file(file, &text, &objects) {
                    Ok(done) => {
                        for d in &done.rewritten_documents {
                            out.note(&format!(
                                "{file}: document {} written anew (its comments are not kept)",
                                d + 1
                            ));
                        }
                        done.text
                    }
                    Err(e) => {
                        out.error(&format!("{file}: {e}"));
                        return None;
                    }
                },
                // Standard input: the fixed objects as YAML documents.
                None => objects
                    .iter()
                    .map(|o| mutate::to_yaml_string(o.object))
                    .collect::<Vec<_>>()
                    .join("---\n"),
            };
            if let Some(parent) = target.parent()
                && let Err(e) = std::fs::create_dir_all(parent)
            {
                out.error(&format!("{}: {e}", parent.display()));
                return None;
            }
            if let Err(e) = std::fs::write(&target, new_text) {
                out.error(&format!("{}: {e}", target.display()));
                return None;
            }
            written += 1;
        }
    }
    Some(written)
}

/// Where a file read from `input` goes under `--out`.
fn relative(input: &Input, file: &str) -> PathBuf {
    if file == "<stdin>" {
        return PathBuf::from("stdin.yaml");
    }
    let path = Path::new(file);
    if input.dir
        && let Ok(rest) = path.strip_prefix(&input.root)
    {
        return rest.to_path_buf();
    }
    path.file_name()
        .map_or_else(|| path.to_path_buf(), PathBuf::from)
}

fn report(
    out: &Output,
    args: &FixArgs,
    inputs: &[Input],
    fixes: &[Vec<ObjectFix>],
    written: usize,
) {
    let pairs = || {
        inputs
            .iter()
            .zip(fixes)
            .flat_map(|(i, f)| i.objects.iter().zip(f))
    };
    if out.json() {
        let rows: Vec<Row<'_>> = pairs()
            .map(|(m, fix)| Row {
                at: ObjectAt::of(m),
                changes: &fix.changes,
                unfixable: fix
                    .unfixable
                    .iter()
                    .map(|u| UnfixableRow {
                        check: u.check.to_string(),
                        reason: &u.reason,
                    })
                    .collect(),
            })
            .collect();
        out.print_json(&rows);
        return;
    }
    let (mut total, mut changed, mut unfixable) = (0usize, 0usize, 0usize);
    for (m, fix) in pairs() {
        total += 1;
        if fix.changes.is_empty() && fix.unfixable.is_empty() {
            continue;
        }
        let head = if fix.unfixable.is_empty() {
            out.paint(Style::Green, "FIXED")
        } else {
            out.paint(Style::Red, "UNFIXABLE")
        };
        out.line(&format!(
            "{head} {} ({}:{})",
            m.object_ref(),
            m.source.file,
            m.source.line
        ));
        if !fix.changes.is_empty() {
            changed += 1;
        }
        for c in &fix.changes {
            out.line(&format!("  {} {}: {}", c.op, c.path, c.reason));
        }
        for u in &fix.unfixable {
            unfixable += 1;
            out.line(&format!("  cannot fix {}: {}", u.check, u.reason));
        }
    }
    let level = LevelVersion::new(args.level, args.version);
    let files = match (&args.out, args.write) {
        (Some(dir), _) => format!("; {written} files written under {}", dir.display()),
        (None, true) => format!("; {written} files rewritten"),
        (None, false) => "; nothing written (use --write or --out DIR)".to_owned(),
    };
    out.note(&format!(
        "{total} objects, {changed} changed, {unfixable} unfixable checks left at {level}{files}"
    ));
}
