//! Lists of strings in policy fields (`operations`, `apiGroups`, `kinds`,
//! `libs`, ...), read the one way every format reads them: absent or `null`
//! is the empty list, anything but a list of strings is an error.

use serde_json::Value as Json;

/// Why a field is not a list of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringListError {
    /// The field is not a list.
    NotAList,
    /// Entry `index` is not a string.
    NotAString {
        /// Its position in the list.
        index: usize,
    },
}

impl StringListError {
    /// The message for the field named `field`.
    pub(crate) fn message(self, field: &str) -> String {
        match self {
            StringListError::NotAList => format!("`{field}` is not a list"),
            StringListError::NotAString { .. } => {
                format!("`{field}` holds a value that is not a string")
            }
        }
    }
}

/// The strings of `value`: empty when it is absent or `null`.
pub(crate) fn string_list(value: Option<&Json>) -> Result<Vec<String>, StringListError> {
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, i)| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or(StringListError::NotAString { index })
            })
            .collect(),
        Some(_) => Err(StringListError::NotAList),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_and_null_are_empty_and_bad_entries_are_named() {
        assert_eq!(string_list(None), Ok(vec![]));
        assert_eq!(string_list(Some(&Json::Null)), Ok(vec![]));
        assert_eq!(
            string_list(Some(&json!(["a", "b"]))),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            string_list(Some(&json!(["a", 1]))),
            Err(StringListError::NotAString { index: 1 })
        );
        assert_eq!(
            string_list(Some(&json!("a"))),
            Err(StringListError::NotAList)
        );
        assert_eq!(
            StringListError::NotAList.message("libs"),
            "`libs` is not a list"
        );
    }
}
