//! Which implementation of a template runs: Rego or CEL
//! (`K8sNativeValidation`), chosen as Gatekeeper chooses or forced.

use std::str::FromStr;

/// The engine asked for (`--engine auto|rego|cel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EngineChoice {
    /// CEL where the template has it, Rego otherwise (Gatekeeper's choice).
    #[default]
    Auto,
    /// Rego only; templates without Rego are skipped.
    Rego,
    /// CEL only; templates without CEL are skipped.
    Cel,
}

/// The implementation a constraint runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The template's Rego on regorus.
    Rego,
    /// The template's `K8sNativeValidation` on the CEL engine.
    Cel,
}

palisade_core::names! {
    /// `Rego` or `CEL`.
    Backend {
        Rego => "Rego",
        Cel => "CEL",
    }
}

palisade_core::names! {
    /// `auto`, `rego` or `cel`.
    EngineChoice {
        Auto => "auto",
        Rego => "rego",
        Cel => "cel",
    }
}

/// Which regorus evaluator runs a template's Rego.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RegoMode {
    /// The compiled program (regorus's RVM) where regorus's compiler took
    /// the template, the interpreter otherwise.
    #[default]
    Auto,
    /// The compiled program only; a template regorus could not compile
    /// fails to evaluate.
    Compiled,
    /// regorus's tree-walking interpreter.
    Interpreter,
}

palisade_core::names! {
    /// `auto`, `compiled` or `interpreter`.
    RegoMode {
        Auto => "auto",
        Compiled => "compiled",
        Interpreter => "interpreter",
    }
}

impl EngineChoice {
    /// Every choice.
    pub const ALL: [EngineChoice; 3] = [EngineChoice::Auto, EngineChoice::Rego, EngineChoice::Cel];

    /// The backend to run for a template that has Rego (`has_rego`) and/or
    /// CEL (`has_cel`); `Err` names the forced engine the template lacks.
    pub fn resolve(self, has_rego: bool, has_cel: bool) -> Result<Backend, Backend> {
        match self {
            EngineChoice::Auto if has_cel => Ok(Backend::Cel),
            EngineChoice::Auto => Ok(Backend::Rego),
            EngineChoice::Rego if has_rego => Ok(Backend::Rego),
            EngineChoice::Rego => Err(Backend::Rego),
            EngineChoice::Cel if has_cel => Ok(Backend::Cel),
            EngineChoice::Cel => Err(Backend::Cel),
        }
    }
}

impl FromStr for EngineChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<EngineChoice, String> {
        EngineChoice::ALL
            .into_iter()
            .find(|e| e.as_str() == s)
            .ok_or_else(|| format!("unknown engine `{s}`; expected auto, rego or cel"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_prefers_cel_and_forced_engines_may_be_missing() {
        assert_eq!(EngineChoice::Auto.resolve(true, true), Ok(Backend::Cel));
        assert_eq!(EngineChoice::Auto.resolve(true, false), Ok(Backend::Rego));
        assert_eq!(EngineChoice::Rego.resolve(true, true), Ok(Backend::Rego));
        assert_eq!(EngineChoice::Rego.resolve(false, true), Err(Backend::Rego));
        assert_eq!(EngineChoice::Cel.resolve(true, false), Err(Backend::Cel));
        assert_eq!("cel".parse(), Ok(EngineChoice::Cel));
        assert!("lua".parse::<EngineChoice>().is_err());
    }
}
