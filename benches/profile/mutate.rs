//! A driver for instruction-count profiles of mutation, which do not
//! depend on the machine's load:
//!
//! ```sh
//! cargo build --release -p palisade-benches --bin profile-mutate
//! valgrind --tool=callgrind target/release/profile-mutate unhardened 11
//! ```
//!
//! runs the built-in remediation pack N times on the Pod of
//! `benches/benches/admission_mutate.rs` (`unhardened`) or on the Pod the
//! pack already fixed (`hardened`). The count per mutation is the
//! difference between two runs (11 and 1 iterations) divided by 10.

use std::hint::black_box;
use std::process::ExitCode;

use palisade::admission::mutate::{self, remediation};
use palisade::admission::pattern::PatternRequest;
use palisade_benches::mutate_input::unhardened_pod;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(which), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u32>().ok()))
    else {
        eprintln!("usage: profile-mutate unhardened|hardened ITERATIONS");
        return ExitCode::from(2);
    };
    let pack = remediation::remediation_pack();
    if let Some(e) = pack.errors.first() {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let raw = unhardened_pod();
    let object = match which.as_str() {
        "unhardened" => raw,
        "hardened" => mutate::mutate(&pack.policies, &PatternRequest::create(&raw)).object,
        other => {
            eprintln!("unknown Pod `{other}`: unhardened or hardened");
            return ExitCode::from(2);
        }
    };
    let mut patches = 0;
    for _ in 0..n {
        let out = mutate::mutate(
            black_box(&pack.policies),
            &PatternRequest::create(black_box(&object)),
        );
        patches += out.patches.len();
    }
    println!("{n} mutations, {patches} patches");
    ExitCode::SUCCESS
}
