//! `palisade completions` and `palisade manpages`: what a packager installs
//! beside the binary, checked the way a shell and `man` use it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test is the point"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use palisade_testkit::command::{self, text};

fn palisade(args: &[&str]) -> Output {
    command::run(env!("CARGO_BIN_EXE_palisade"), args)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("palisade-install-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sources the bash script in `bash -c` and asks the registered completion
/// function for the words after `line` (the last word is being completed).
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "set -e
source '{script}'
func=$(complete -p palisade | sed -n 's/.*-F \\([^ ]*\\) palisade$/\\1/p')
test -n \"$func\" || {{ echo 'no completion function registered for palisade' >&2; exit 3; }}
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE=\"${{COMP_WORDS[*]}}\"
COMP_POINT=${{#COMP_LINE}}
\"$func\" palisade \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"
printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        words = quoted.join(" "),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "the completion script did not load or run in bash: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn bash_completion_loads_and_completes_subcommands() {
    if Command::new("bash").arg("--version").output().is_err() {
        println!("notice: bash is absent: the bash completion test is skipped");
        return;
    }
    let out = palisade(&["completions", "bash"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = scratch("bash");
    let script = dir.join("palisade.bash");
    std::fs::write(&script, &out.stdout).unwrap();

    // The top-level commands, from a prefix.
    assert_eq!(bash_complete(&script, &["palisade", "adm"]), ["admission"]);
    let all = bash_complete(&script, &["palisade", ""]);
    for command in [
        "admission",
        "runtime",
        "network",
        "report",
        "completions",
        "manpages",
    ] {
        assert!(
            all.iter().any(|w| w == command),
            "`{command}` not offered: {all:?}"
        );
    }
    // A nested command.
    assert_eq!(
        bash_complete(&script, &["palisade", "admission", "se"]),
        ["serve"]
    );
    // The values of an argument.
    let shells = bash_complete(&script, &["palisade", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell"] {
        assert!(
            shells.iter().any(|w| w == shell),
            "`{shell}` not offered: {shells:?}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_shell_gets_its_script() {
    // What marks each shell's script as that shell's.
    for (shell, marker) in [
        ("bash", "complete -F _palisade"),
        ("zsh", "#compdef palisade"),
        ("fish", "complete -c palisade"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'palisade'",
        ),
    ] {
        let out = palisade(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: `{marker}` missing");
        assert!(script.contains("serve"), "{shell}: nested commands missing");
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = palisade(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    assert!(err.contains("bash"), "the shells are listed: {err}");
}

/// Every command path below `palisade`, from its `--help` (the tree as the
/// user sees it), as `palisade-admission-serve`.
fn command_paths(prefix: &[&str]) -> Vec<String> {
    let mut args: Vec<&str> = prefix.iter().skip(1).copied().collect();
    args.push("--help");
    let out = palisade(&args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    let help = text(&out.stdout);
    let mut paths = vec![prefix.join("-")];
    let Some(section) = help.split("Commands:\n").nth(1) else {
        return paths;
    };
    // The section ends at the first empty line; command names are indented
    // two spaces, wrapped descriptions deeper.
    for line in section.lines().take_while(|l| !l.trim().is_empty()) {
        if line.starts_with("   ") {
            continue;
        }
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        if name == "help" {
            continue;
        }
        let mut sub: Vec<&str> = prefix.to_vec();
        sub.push(name);
        paths.extend(command_paths(&sub));
    }
    paths
}

#[test]
fn manpages_are_written_for_every_command() {
    let dir = scratch("man").join("man1");
    let out = palisade(&["manpages", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let expected: BTreeSet<String> = command_paths(&["palisade"])
        .into_iter()
        .map(|p| format!("{p}.1"))
        .collect();
    assert!(
        expected.contains("palisade-admission-serve.1"),
        "{expected:?}"
    );
    assert!(expected.contains("palisade-manpages.1"), "{expected:?}");
    let written: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, expected);
    // Standard output lists the files written.
    assert_eq!(text(&out.stdout).lines().count(), expected.len());

    // A page is roff with its title, name and options.
    let serve = std::fs::read_to_string(dir.join("palisade-admission-serve.1")).unwrap();
    assert!(
        serve.starts_with(".ie \\n(.g .ds Aq"),
        "not roff: {}",
        &serve[..80]
    );
    assert!(serve.contains(".TH PALISADE-ADMISSION-SERVE 1"), "title");
    assert!(
        serve.contains("palisade\\-admission\\-serve"),
        "name section"
    );
    assert!(serve.contains("\\-\\-tls\\-cert"), "options");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn manpages_into_an_unwritable_place_is_a_clear_error() {
    let dir = scratch("blocked");
    let file = dir.join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let target = file.join("man1");
    let out = palisade(&["manpages", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("cannot create `{}`", target.display())),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
