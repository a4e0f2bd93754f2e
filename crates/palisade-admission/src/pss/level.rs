//! Pod Security levels and policy versions, parsed the way Pod Security
//! Admission parses its namespace labels.

use std::fmt;
use std::str::FromStr;

/// The newest policy version whose checks this crate knows. `latest`, and
/// any newer version, evaluate with the checks of this version.
pub const NEWEST_MINOR: u32 = 37;

/// A Pod Security Standards level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// No restrictions.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Heavily restricted, current pod hardening best practice.
    Restricted,
}

palisade_core::names! {
    /// The level's name as written in labels (`baseline`).
    Level {
        Privileged => "privileged",
        Baseline => "baseline",
        Restricted => "restricted",
    }
}

impl Level {
    /// Every level, from the least restricted.
    pub const ALL: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];
}

/// A level that is not `privileged`, `baseline` or `restricted`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("unknown Pod Security level `{value}`: must be one of privileged, baseline, restricted")]
#[diagnostic(code(palisade::pss::level))]
pub struct ParseLevelError {
    /// The text that was given.
    pub value: String,
}

impl FromStr for Level {
    type Err = ParseLevelError;
    fn from_str(s: &str) -> Result<Level, ParseLevelError> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| ParseLevelError {
                value: s.to_owned(),
            })
    }
}

/// A policy version: `v1.N` or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `v1.<minor>`.
    V1(u32),
    /// `latest`: always the newest definitions.
    Latest,
}

impl Version {
    /// The minor version whose check definitions apply (`latest` and
    /// versions newer than [`NEWEST_MINOR`] use [`NEWEST_MINOR`]).
    pub fn effective_minor(self) -> u32 {
        match self {
            Version::V1(minor) => minor.min(NEWEST_MINOR),
            Version::Latest => NEWEST_MINOR,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::V1(minor) => write!(f, "v1.{minor}"),
            Version::Latest => f.write_str("latest"),
        }
    }
}

/// A version that is neither `latest` nor `v1.N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid Pod Security version `{value}`: must be \"latest\" or \"v1.x\"")]
#[diagnostic(code(palisade::pss::version))]
pub struct ParseVersionError {
    /// The text that was given.
    pub value: String,
}

impl FromStr for Version {
    type Err = ParseVersionError;
    fn from_str(s: &str) -> Result<Version, ParseVersionError> {
        if s == "latest" {
            return Ok(Version::Latest);
        }
        let error = || ParseVersionError {
            value: s.to_owned(),
        };
        let minor = s.strip_prefix("v1.").ok_or_else(error)?;
        // Like PSA: digits only, no leading zero except `0` itself.
        let valid = !minor.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && (minor == "0" || !minor.starts_with('0'));
        if !valid {
            return Err(error());
        }
        minor.parse().map(Version::V1).map_err(|_| error())
    }
}

/// A level at a version, written `level:version` (`restricted:v1.30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelVersion {
    /// The level.
    pub level: Level,
    /// The version.
    pub version: Version,
}

impl LevelVersion {
    /// `level` at `version`.
    pub fn new(level: Level, version: Version) -> LevelVersion {
        LevelVersion { level, version }
    }
}

impl fmt::Display for LevelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_psa() {
        assert_eq!("latest".parse::<Version>(), Ok(Version::Latest));
        assert_eq!("v1.0".parse::<Version>(), Ok(Version::V1(0)));
        assert_eq!("v1.25".parse::<Version>(), Ok(Version::V1(25)));
        for bad in ["v1.05", "1.25", "v2.1", "v1.", "v1.x", ""] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
        assert_eq!(Version::V1(99).effective_minor(), NEWEST_MINOR);
    }

    #[test]
    fn levels_parse() {
        assert_eq!("baseline".parse::<Level>(), Ok(Level::Baseline));
        assert!("Baseline".parse::<Level>().is_err());
        let lv = LevelVersion::new(Level::Restricted, Version::V1(30));
        assert_eq!(lv.to_string(), "restricted:v1.30");
    }
}
