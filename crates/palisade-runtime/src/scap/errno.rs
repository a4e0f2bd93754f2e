//! Error names: `evt.res` shows a failed call's `-errno` result by its
//! name (`ENOENT`), as libsinsp does. The table (`errno.tsv`) comes from
//! libsinsp's `sinsp_errno.h`.

use std::sync::OnceLock;

/// The table: `code<TAB>name` lines.
const TABLE: &str = include_str!("errno.tsv");

/// The name of error number `code` (`2` -> `ENOENT`), when known.
pub fn errno_name(code: i64) -> Option<&'static str> {
    static NAMES: OnceLock<Vec<(i64, &'static str)>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            TABLE
                .lines()
                .filter_map(|l| {
                    let (code, name) = l.split_once('\t')?;
                    Some((code.parse().ok()?, name))
                })
                .collect()
        })
        .iter()
        .find(|&&(c, _)| c == code)
        .map(|&(_, n)| n)
}
