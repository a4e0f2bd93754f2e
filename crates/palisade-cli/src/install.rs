//! What a packager installs beside the binary, generated from the command
//! tree itself so it never falls behind: `palisade completions SHELL`
//! (clap_complete) and `palisade manpages DIR` (clap_mangen).

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::args::Cli;
use crate::exit::Exit;
use crate::output::Output;

/// Arguments of `palisade completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Arguments of `palisade manpages`.
#[derive(Debug, Args)]
pub struct ManpagesArgs {
    /// The directory to write the pages into (created when missing), e.g.
    /// `/usr/local/share/man/man1`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// `palisade completions SHELL`: the script on standard output.
pub fn completions(out: &Output, args: &CompletionsArgs) -> Exit {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "palisade", &mut script);
    let mut stdout = std::io::stdout().lock();
    match std::io::Write::write_all(&mut stdout, &script) {
        Ok(()) => Exit::Ok,
        // A closed pipe (`palisade completions bash | head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => {
            out.error(&format!("cannot write the completion script: {e}"));
            Exit::InputError
        }
    }
}

/// `palisade manpages DIR`: one page per command, `palisade.1`,
/// `palisade-admission.1`, `palisade-admission-serve.1`, ...
pub fn manpages(out: &Output, args: &ManpagesArgs) -> Exit {
    if let Err(e) = std::fs::create_dir_all(&args.dir) {
        out.error(&format!("cannot create `{}`: {e}", args.dir.display()));
        return Exit::InputError;
    }
    let mut command = Cli::command();
    // Propagates global options and versions into every subcommand.
    command.build();
    let mut written = Vec::new();
    if let Err(e) = write_pages(&command, "palisade", &args.dir, &mut written) {
        out.error(&e);
        return Exit::InputError;
    }
    for path in &written {
        out.line(&path.display().to_string());
    }
    out.note(&format!(
        "{} manual pages written to `{}`",
        written.len(),
        args.dir.display()
    ));
    Exit::Ok
}

/// Writes the page of `command` (called `name`) and of every subcommand
/// below it, depth first.
fn write_pages(
    command: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), String> {
    // The page's title and file name are the full command,
    // `palisade-admission-serve` (`build` gave it that display name).
    let page_command = command.clone().display_name(name.to_owned());
    let mut page = Vec::new();
    clap_mangen::Man::new(page_command)
        .title(name.to_uppercase())
        .render(&mut page)
        .map_err(|e| format!("cannot render the manual page of `{name}`: {e}"))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, page).map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    written.push(path);
    for sub in command.get_subcommands() {
        // `help` is clap's own, not a command of ours.
        if sub.get_name() == "help" {
            continue;
        }
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}
