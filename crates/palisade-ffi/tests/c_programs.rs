//! Compiles the C programs (`tests/c/*.c` and the workspace's `examples/c/*.c`)
//! with `cc` against the built `libpalisade_ffi` and runs them — under
//! valgrind (`--error-exitcode=1 --leak-check=full`) when it is installed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test is the point"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The directory holding `libpalisade_ffi.so` (the test binary's `deps/`'s
/// parent), after building it: `cargo test` builds only the rlib that the
/// tests link, so the shared library is brought up to date here.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let profile_release = dir.file_name().is_some_and(|n| n == "release");
    let target_dir = dir.parent().unwrap();
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet", "-p", "palisade-ffi", "--lib"])
        .arg("--target-dir")
        .arg(target_dir);
    if profile_release {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p palisade-ffi failed");
    assert!(
        dir.join("libpalisade_ffi.so").exists() || dir.join("libpalisade_ffi.dylib").exists(),
        "libpalisade_ffi not found in {}; build it with `cargo build -p palisade-ffi`",
        dir.display()
    );
    dir
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// Compiles `source` and runs it with the examples' data directory as its
/// argument; returns its standard output.
fn compile_and_run(source: &Path) -> String {
    let lib = lib_dir();
    let out_dir = lib.join("c-programs");
    std::fs::create_dir_all(&out_dir).unwrap();
    let exe = out_dir.join(source.file_stem().unwrap());
    let status = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g"])
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg(source)
        .arg("-L")
        .arg(&lib)
        .arg("-lpalisade_ffi")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&exe)
        .status()
        .expect("cc runs");
    assert!(status.success(), "cc failed on {}", source.display());
    let data = crate_dir().join("../../examples/data");
    let valgrind = have("valgrind");
    let output = if valgrind {
        Command::new("valgrind")
            .args([
                "--quiet",
                "--error-exitcode=1",
                "--leak-check=full",
                // Process-wide caches (the field slot table) live until exit.
                "--errors-for-leak-kinds=definite",
            ])
            .arg(&exe)
            .arg(&data)
            .output()
    } else {
        eprintln!(
            "notice: valgrind not found; running {} without it",
            source.display()
        );
        Command::new(&exe).arg(&data).output()
    }
    .expect("the C program runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} failed ({}{}):\nstdout:\n{stdout}\nstderr:\n{}",
        source.display(),
        output.status,
        if valgrind { ", under valgrind" } else { "" },
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn c_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    files.sort();
    files
}

/// Each C program of `dir` compiled and run, with its standard output;
/// `None`, with a printed notice, when there is no C compiler.
fn compile_and_run_all(dir: &Path) -> Option<Vec<(PathBuf, String)>> {
    if !have("cc") {
        eprintln!("skipping: no C compiler `cc` found");
        return None;
    }
    let runs = c_files(dir)
        .into_iter()
        .map(|file| {
            let stdout = compile_and_run(&file);
            (file, stdout)
        })
        .collect();
    Some(runs)
}

#[test]
fn c_test_program_covers_every_export_and_passes() {
    let Some(runs) = compile_and_run_all(&crate_dir().join("tests/c")) else {
        return;
    };
    assert!(!runs.is_empty());
    for (_, stdout) in runs {
        assert!(stdout.contains(" 0 failures"), "{stdout}");
    }
}

#[test]
fn every_export_in_the_header_is_called_by_the_c_tests() {
    let header = std::fs::read_to_string(crate_dir().join("include/palisade.h")).unwrap();
    let mut tests = String::new();
    for file in c_files(&crate_dir().join("tests/c")) {
        tests.push_str(&std::fs::read_to_string(file).unwrap());
    }
    let exports: Vec<&str> = header
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("palisade_") && header.contains(&format!("{w}(")))
        .collect();
    assert!(exports.len() >= 20, "{exports:?}");
    let missing: Vec<&&str> = exports
        .iter()
        .filter(|e| !tests.contains(&format!("{e}(")))
        .collect();
    assert!(missing.is_empty(), "exports no C test calls: {missing:?}");
}

#[test]
fn c_examples_compile_and_run() {
    let Some(runs) = compile_and_run_all(&crate_dir().join("../../examples/c")) else {
        return;
    };
    assert_eq!(runs.len(), 3, "one example per layer");
    for (file, stdout) in runs {
        assert!(!stdout.is_empty(), "{} printed nothing", file.display());
    }
}
