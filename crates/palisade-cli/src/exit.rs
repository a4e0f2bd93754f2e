//! The exit codes of `palisade`, as documented in `--help` and the README.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success; allowed; nothing fired; every case passed.
    Ok,
    /// 1: a policy violation was found.
    Violation,
    /// 2: bad arguments or input that could not be read.
    InputError,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Ok => ExitCode::SUCCESS,
            Exit::Violation => ExitCode::from(1),
            Exit::InputError => ExitCode::from(2),
        }
    }
}
