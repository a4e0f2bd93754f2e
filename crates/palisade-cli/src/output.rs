//! Where and how commands print: format, color, verbosity.
//!
//! Results go to standard output; errors, warnings and progress notes go to
//! standard error, so `--format json` output stays machine-readable.

use std::io::{IsTerminal, Write};

use clap::{Args, ValueEnum};
use serde::Serialize;

/// A text style for terminal output.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// Emphasis.
    Bold,
    /// Errors, denials.
    Red,
    /// Warnings.
    Yellow,
    /// Success, allowed.
    #[allow(dead_code, reason = "used by layer commands as they arrive")]
    Green,
    /// Secondary detail (sources, counts).
    Dim,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Red => "31",
            Style::Yellow => "33",
            Style::Green => "32",
            Style::Dim => "2",
        }
    }
}

/// The printing context of one command run.
#[derive(Debug)]
pub struct Output {
    /// The output format asked for.
    pub format: Format,
    color_stdout: bool,
    color_stderr: bool,
    quiet: bool,
    verbose: u8,
    /// When set, results are kept here instead of printed (`palisade demo`
    /// assembles its parts' JSON into one document).
    capture: Option<std::cell::RefCell<String>>,
}

impl Output {
    /// The context for the given global options.
    pub fn new(args: &GlobalArgs) -> Output {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |is_terminal: bool| match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color,
        };
        Output {
            format: args.format,
            color_stdout: decide(std::io::stdout().is_terminal()),
            color_stderr: decide(std::io::stderr().is_terminal()),
            quiet: args.quiet,
            verbose: args.verbose,
            capture: None,
        }
    }

    /// The same context, keeping results for [`Output::captured`] instead
    /// of printing them.
    pub fn capturing(&self) -> Output {
        Output {
            format: self.format,
            color_stdout: false,
            color_stderr: self.color_stderr,
            quiet: self.quiet,
            verbose: self.verbose,
            capture: Some(std::cell::RefCell::new(String::new())),
        }
    }

    /// The results kept by a [`Output::capturing`] context.
    pub fn captured(self) -> String {
        self.capture.map(|c| c.into_inner()).unwrap_or_default()
    }

    /// `true` when `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Format::Json
    }

    /// `true` when `-v` was given at least `level` times.
    #[allow(dead_code, reason = "used by layer commands as they arrive")]
    pub fn verbose(&self, level: u8) -> bool {
        self.verbose >= level
    }

    /// `text` styled for standard output.
    pub fn paint(&self, style: Style, text: &str) -> String {
        paint(self.color_stdout, style, text)
    }

    /// Prints a line of results to standard output.
    pub fn line(&self, text: &str) {
        if let Some(capture) = &self.capture {
            let mut kept = capture.borrow_mut();
            kept.push_str(text);
            kept.push('\n');
            return;
        }
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`palisade ... | head`) is not an error worth a panic.
        let _ = writeln!(stdout, "{text}");
    }

    /// Prints a value as pretty JSON to standard output.
    pub fn print_json<T: Serialize>(&self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.line(&text),
            Err(e) => self.error(&format!("cannot write JSON: {e}")),
        }
    }

    /// A note for people (suppressed by `-q` and in JSON mode), to standard error.
    pub fn note(&self, text: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr().lock(), "{text}");
        }
    }

    /// A warning, to standard error (suppressed by `-q`).
    #[allow(dead_code, reason = "used by layer commands as they arrive")]
    pub fn warning(&self, text: &str) {
        if !self.quiet {
            let label = paint(self.color_stderr, Style::Yellow, "warning");
            let _ = writeln!(std::io::stderr().lock(), "{label}: {text}");
        }
    }

    /// An error, to standard error (always shown).
    pub fn error(&self, text: &str) {
        let label = paint(self.color_stderr, Style::Red, "error");
        let _ = writeln!(std::io::stderr().lock(), "{label}: {text}");
    }

    /// The value of a step that can fail on its input; on an error, prints
    /// it and gives `None` (the command then exits with
    /// [`Exit::InputError`](crate::exit::Exit::InputError)).
    pub fn checked<T, E: std::fmt::Display>(&self, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.error(&e.to_string())).ok()
    }
}

fn paint(enabled: bool, style: Style, text: &str) -> String {
    if enabled {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_owned()
    }
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// When to color text output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print less: only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more (repeat for even more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Output format of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Text,
    /// JSON for programs.
    Json,
}

/// When to use color.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}
