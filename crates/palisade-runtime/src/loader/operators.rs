//! The comparison operators of exception checks, as Falco lists them (a
//! leaf module: the reader and the collector check items against it).

/// The operators a check may use (Falco's `supported_operators`).
pub const OPERATORS: [&str; 20] = [
    "exists",
    "<=",
    "<",
    ">=",
    ">",
    "==",
    "=",
    "!=",
    "glob",
    "iglob",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "regex",
    "intersects",
    "in",
    "pmatch",
];

/// `true` for a string operator with a list modifier (`startswith oneof`).
pub fn is_modifier_comp(op: &str) -> bool {
    let Some((base, modifier)) = op.split_once(' ') else {
        return false;
    };
    matches!(
        base,
        "=" | "=="
            | "!="
            | "contains"
            | "icontains"
            | "bcontains"
            | "startswith"
            | "bstartswith"
            | "endswith"
            | "glob"
            | "iglob"
            | "regex"
    ) && matches!(modifier, "oneof" | "anyof" | "allof")
}

/// `true` for an operator usable in exception `comps`.
pub fn is_supported_comp(op: &str) -> bool {
    OPERATORS.contains(&op) || is_modifier_comp(op)
}

/// `true` for an operator whose right side is a list (`in`, `intersects`,
/// `pmatch`, or a modified string operator).
pub fn is_list_comp(op: &str) -> bool {
    matches!(op, "in" | "intersects" | "pmatch") || is_modifier_comp(op)
}
