//! Each `ka.*` and `jevt.*` field's value, extracted from the audit event's
//! JSON as the k8saudit and json plugins do it.
//!
//! The plugin's rules, kept here: a value that is not a string is given
//! as its compact JSON text; a missing key makes the field absent; a list
//! field with no item is absent (libsinsp sees no value); a list field read
//! from an array skips the items that lack the key; an index argument
//! (`[0]`) picks one item of every array on the way.

use serde_json::Value as J;

/// What a field takes as argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// Nothing.
    None,
    /// An optional index into the list (`[0]`).
    Index,
    /// A required key (`[command]`, `[/stage]`).
    Key,
}

/// How a field's value is found, as `fields.txt` names it: `keys` (the
/// value at the path), `list` (the items of the array at the path),
/// `nested` (every value at the path, arrays walked), `uri-param`,
/// `has-name`, `images` and `repositories` (of the containers of the kind
/// the path names), `first-image`, `first-repository`, `host-ports`,
/// `security` (a setting, at the rest of the path, of each container of
/// the kind the path starts with), `any-privileged`, `effective` (the
/// container's setting, else the pod's, else `0`), `rules` (an item list of
/// each role rule), `hostpath-used`, `volume-types`, `pointer`, `whole`,
/// `rawtime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[rustfmt::skip]
pub(crate) enum Kind {
    Keys, List, Nested, UriParam, HasName, Images, Repositories, FirstImage, FirstRepository,
    HostPorts, Security, AnyPrivileged, Effective, Rules, HostPathUsed, VolumeTypes, Pointer,
    Whole, RawTime,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        #[rustfmt::skip]
        const NAMES: [(&str, Kind); 19] = [
            ("keys", Kind::Keys), ("list", Kind::List), ("nested", Kind::Nested),
            ("uri-param", Kind::UriParam), ("has-name", Kind::HasName), ("images", Kind::Images),
            ("repositories", Kind::Repositories), ("first-image", Kind::FirstImage),
            ("first-repository", Kind::FirstRepository), ("host-ports", Kind::HostPorts),
            ("security", Kind::Security), ("any-privileged", Kind::AnyPrivileged),
            ("effective", Kind::Effective), ("rules", Kind::Rules),
            ("hostpath-used", Kind::HostPathUsed), ("volume-types", Kind::VolumeTypes),
            ("pointer", Kind::Pointer), ("whole", Kind::Whole), ("rawtime", Kind::RawTime),
        ];
        NAMES.iter().find(|(n, _)| *n == name).map(|&(_, k)| k)
    }
}

/// How one field is extracted: its kind and the keys it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extract {
    pub kind: Kind,
    path: Box<[Box<str>]>,
}

impl Extract {
    /// `HOW[:PATH]` as `fields.txt` writes it; `None` when the kind is
    /// unknown or its path missing.
    pub fn parse(text: &str) -> Option<Extract> {
        let (name, path) = text.split_once(':').unwrap_or((text, ""));
        let kind = Kind::from_name(name)?;
        let path: Box<[Box<str>]> = path
            .split(',')
            .filter(|k| !k.is_empty())
            .map(Into::into)
            .collect();
        let needs_path = matches!(
            kind,
            Kind::Keys
                | Kind::List
                | Kind::Nested
                | Kind::Images
                | Kind::Repositories
                | Kind::Security
                | Kind::Effective
                | Kind::Rules
        );
        (needs_path != path.is_empty()).then_some(Extract { kind, path })
    }

    /// What the field takes as argument.
    pub fn arg(&self) -> ArgKind {
        match self.kind {
            Kind::UriParam | Kind::HasName | Kind::HostPathUsed | Kind::Pointer => ArgKind::Key,
            _ if self.is_list() => ArgKind::Index,
            _ => ArgKind::None,
        }
    }

    /// `true` when the field's values are a list.
    pub fn is_list(&self) -> bool {
        matches!(
            self.kind,
            Kind::List
                | Kind::Nested
                | Kind::Images
                | Kind::Repositories
                | Kind::HostPorts
                | Kind::Security
                | Kind::Effective
                | Kind::Rules
                | Kind::VolumeTypes
        )
    }

    /// The first key of the path (the containers' kind, the setting).
    fn head(&self) -> &str {
        self.path.first().map_or("", |k| k)
    }

    /// The path as key slices.
    fn keys(&self) -> Vec<&str> {
        self.path.iter().map(|k| &**k).collect()
    }
}

/// One extracted value, owned by the event that holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Extracted {
    /// No value.
    Absent,
    /// A string.
    Str(Box<str>),
    /// Several strings (never empty).
    Strs(Box<[Box<str>]>),
    /// A number (`jevt.rawtime`).
    UInt(u64),
}

impl Extracted {
    fn list(items: Vec<Box<str>>) -> Extracted {
        if items.is_empty() {
            Extracted::Absent
        } else {
            Extracted::Strs(items.into_boxed_slice())
        }
    }

    fn opt(value: Option<Box<str>>) -> Extracted {
        value.map_or(Extracted::Absent, Extracted::Str)
    }
}

/// The value of a field extracted as `how` with argument `arg` from
/// `event`, whose time is `time`.
pub(crate) fn extract(how: &Extract, event: &J, arg: Option<&str>, time: u64) -> Extracted {
    // An index argument that is not a number picks nothing.
    let index = match (how.arg(), arg) {
        (ArgKind::Index, Some(a)) => match a.trim().parse::<usize>() {
            Ok(i) => Some(i),
            Err(_) => return Extracted::Absent,
        },
        _ => None,
    };
    // The json plugin reads any JSON; the k8saudit plugin only events with
    // an `auditID`.
    if !matches!(how.kind, Kind::Pointer | Kind::Whole | Kind::RawTime)
        && event.get("auditID").is_none()
    {
        return Extracted::Absent;
    }
    let one = |items: Option<Vec<Box<str>>>| match (index, items) {
        (_, None) => Extracted::Absent,
        (Some(_), Some(items)) if items.len() == 1 => Extracted::opt(items.into_iter().next()),
        (_, Some(items)) => Extracted::list(items),
    };
    let keys = how.keys();
    let spec = ["requestObject", "spec"];
    match how.kind {
        Kind::Keys => Extracted::opt(get(event, &keys).map(text)),
        Kind::List => match get(event, &keys) {
            Some(J::Array(items)) => match index {
                Some(i) => Extracted::opt(items.get(i).map(text)),
                None => Extracted::list(items.iter().map(text).collect()),
            },
            _ => Extracted::Absent,
        },
        Kind::Nested => one(nested(event, index, &keys).map(skip_nil)),
        Kind::UriParam => Extracted::opt(arg.and_then(|a| uri_param(event, a))),
        Kind::HasName => Extracted::Str("true".into()),
        Kind::Images => one(images(event, how.head(), index)),
        Kind::Repositories => {
            one(images(event, how.head(), index).map(|i| i.iter().map(|i| repository(i)).collect()))
        }
        Kind::FirstImage => Extracted::opt(images(event, "containers", Some(0)).and_then(first)),
        Kind::FirstRepository => Extracted::opt(
            images(event, "containers", Some(0))
                .and_then(first)
                .map(|i| repository(&i)),
        ),
        Kind::HostPorts => one(host_ports(event, index)),
        Kind::Security => one(nested(event, index, &[&spec[..], &keys].concat()).map(skip_nil)),
        Kind::AnyPrivileged => match nested(
            event,
            None,
            &[
                "requestObject",
                "spec",
                "containers",
                "securityContext",
                "privileged",
            ],
        ) {
            Some(values) => {
                let any = values.iter().flatten().any(|v| v.as_bool() == Some(true));
                Extracted::Str(if any { "true" } else { "false" }.into())
            }
            None => Extracted::Absent,
        },
        Kind::Effective => one(effective(event, index, how.head())),
        Kind::Rules => match nested(event, index, &["requestObject", "rules", how.head()]) {
            Some(values) => Extracted::list(
                values
                    .into_iter()
                    .flatten()
                    .filter_map(J::as_array)
                    .flat_map(|items| items.iter().map(text))
                    .collect(),
            ),
            None => Extracted::Absent,
        },
        Kind::HostPathUsed => {
            let Some(arg) = arg else {
                return Extracted::Absent;
            };
            let Some(paths) = nested(
                event,
                None,
                &["requestObject", "spec", "volumes", "hostPath", "path"],
            ) else {
                return Extracted::Absent;
            };
            let prefix = arg.strip_suffix('*');
            let used = skip_nil(paths).iter().any(|p| match prefix {
                Some(prefix) => p.starts_with(prefix),
                None => **p == *arg,
            });
            Extracted::Str(if used { "true" } else { "false" }.into())
        }
        Kind::VolumeTypes => match nested(event, index, &["requestObject", "spec", "volumes"]) {
            Some(values) => {
                let volumes: Vec<&J> = match values.as_slice() {
                    [Some(J::Array(items))] => items.iter().collect(),
                    other => other.iter().flatten().copied().collect(),
                };
                Extracted::list(
                    volumes
                        .into_iter()
                        .filter_map(J::as_object)
                        .flat_map(|o| o.keys().filter(|k| *k != "name").map(|k| k.as_str().into()))
                        .collect(),
                )
            }
            None => Extracted::Absent,
        },
        Kind::Pointer => Extracted::opt(arg.and_then(|p| event.pointer(p)).map(text)),
        Kind::Whole => Extracted::Str(text(event)),
        Kind::RawTime => Extracted::UInt(time),
    }
}

/// The value under `keys`.
fn get<'a>(mut value: &'a J, keys: &[&str]) -> Option<&'a J> {
    for key in keys {
        value = value.get(key)?;
    }
    Some(value)
}

/// A value as the plugins give it: a string's text, anything else as JSON.
pub(crate) fn text(value: &J) -> Box<str> {
    match value {
        J::String(s) => s.as_str().into(),
        other => other.to_string().into_boxed_str(),
    }
}

/// The values under `keys`, arrays on the way walked item by item (an item
/// lacking the rest of the keys gives `None`), or one item of each when
/// `index` is given (the plugin's `getValuesRecursive`). `None` when the
/// keys lead nowhere.
fn nested<'a>(value: &'a J, index: Option<usize>, keys: &[&str]) -> Option<Vec<Option<&'a J>>> {
    let mut value = value;
    for (i, key) in keys.iter().enumerate() {
        if let J::Array(items) = value {
            match index {
                None => {
                    let rest = keys.get(i..).unwrap_or(&[]);
                    let mut out = Vec::new();
                    for item in items {
                        match nested(item, None, rest) {
                            Some(values) => out.extend(values),
                            None => out.push(None),
                        }
                    }
                    return Some(out);
                }
                Some(n) => value = items.get(n)?,
            }
        }
        if !key.is_empty() {
            value = value.get(key)?;
        }
    }
    Some(vec![Some(value)])
}

/// The texts of the values that are there.
fn skip_nil(values: Vec<Option<&J>>) -> Vec<Box<str>> {
    values.into_iter().flatten().map(text).collect()
}

fn first(items: Vec<Box<str>>) -> Option<Box<str>> {
    items.into_iter().next()
}

/// The images of containers of `kind`; `None` when one has no image.
fn images(event: &J, kind: &str, index: Option<usize>) -> Option<Vec<Box<str>>> {
    let values = nested(event, index, &["requestObject", "spec", kind, "image"])?;
    values.into_iter().map(|v| v.map(text)).collect()
}

/// `docker.io/nginx:1.2@sha256:...` -> `docker.io/nginx` (as the plugin:
/// up to the first `:`, then up to the first `@`).
fn repository(image: &str) -> Box<str> {
    let head = image.split(':').next().unwrap_or(image);
    head.split('@').next().unwrap_or(head).into()
}

fn host_ports(event: &J, index: Option<usize>) -> Option<Vec<Box<str>>> {
    let per_container = nested(
        event,
        index,
        &["requestObject", "spec", "containers", "ports"],
    )?;
    let mut out = Vec::new();
    for ports in per_container.into_iter().flatten() {
        let J::Array(ports) = ports else {
            return None;
        };
        for port in ports {
            if let Some(p) = port.get("hostPort").or_else(|| port.get("containerPort")) {
                out.push(text(p));
            }
        }
    }
    Some(out)
}

fn effective(event: &J, index: Option<usize>, key: &str) -> Option<Vec<Box<str>>> {
    // As the plugin: the pod's default is read at `spec.<key>` and each
    // container's at `<container>.<key>`.
    let pod = get(event, &["requestObject", "spec", key]).map_or_else(|| "0".into(), text);
    let values = nested(event, index, &["requestObject", "spec", "containers", key])?;
    Some(
        values
            .into_iter()
            .map(|v| v.map_or_else(|| pod.clone(), text))
            .collect(),
    )
}

/// The first value of query parameter `name` of `requestURI`.
fn uri_param(event: &J, name: &str) -> Option<Box<str>> {
    let uri = event.get("requestURI")?.as_str()?;
    let query = uri.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned().into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(requestobject: &str) -> J {
        serde_json::from_str(&format!(
            r#"{{"auditID":"a","requestURI":"/api/v1/namespaces/default/pods/p/exec?command=bash&command=-i&container=c%201","requestObject":{requestobject}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn extracts_as_the_plugin() {
        let pod = event(
            r#"{"spec":{"runAsUser":7,"containers":[{"image":"nginx:1.2","securityContext":{"privileged":true},"ports":[{"containerPort":80},{"hostPort":8080,"containerPort":81}]},{"image":"reg.io/a/b@sha256:00","runAsUser":3}],"volumes":[{"name":"v","hostPath":{"path":"/etc"}},{"name":"w","emptyDir":{}}]}}"#,
        );
        let strs = |items: &[&str]| {
            Extracted::Strs(items.iter().map(|s| (*s).into()).collect::<Vec<_>>().into())
        };
        let one = |s: &str| Extracted::Str(s.into());
        let cases = [
            (
                "images:containers",
                None,
                strs(&["nginx:1.2", "reg.io/a/b@sha256:00"]),
            ),
            (
                "repositories:containers",
                None,
                strs(&["nginx", "reg.io/a/b"]),
            ),
            ("images:containers", Some("1"), one("reg.io/a/b@sha256:00")),
            ("images:containers", Some("9"), Extracted::Absent),
            ("images:initContainers", None, Extracted::Absent),
            (
                "security:containers,securityContext,privileged",
                None,
                strs(&["true"]),
            ),
            ("any-privileged", None, one("true")),
            ("host-ports", None, strs(&["80", "8080"])),
            ("effective:runAsUser", None, strs(&["7", "3"])),
            (
                "nested:requestObject,spec,volumes,hostPath,path",
                None,
                strs(&["/etc"]),
            ),
            ("hostpath-used", Some("/et*"), one("true")),
            ("hostpath-used", Some("/et"), one("false")),
            ("volume-types", None, strs(&["hostPath", "emptyDir"])),
            ("uri-param", Some("command"), one("bash")),
            ("uri-param", Some("container"), one("c 1")),
            ("uri-param", Some("nope"), Extracted::Absent),
            ("pointer", Some("/requestObject/spec/runAsUser"), one("7")),
            ("keys:verb", None, Extracted::Absent),
            ("rawtime", None, Extracted::UInt(5)),
        ];
        for (how, arg, want) in cases {
            let got = extract(&Extract::parse(how).unwrap(), &pod, arg, 5);
            assert_eq!(got, want, "{how} {arg:?}");
        }
        let role =
            event(r#"{"rules":[{"verbs":["get","*"]},{"resources":["pods"]},{"verbs":["list"]}]}"#);
        assert_eq!(
            extract(&Extract::parse("rules:verbs").unwrap(), &role, None, 0),
            strs(&["get", "*", "list"])
        );
        // Not an audit event for the k8saudit plugin; still JSON for jevt.
        let other: J = serde_json::from_str(r#"{"verb":"get"}"#).unwrap();
        assert_eq!(
            extract(&Extract::parse("keys:verb").unwrap(), &other, None, 0),
            Extracted::Absent
        );
        assert_eq!(
            extract(
                &Extract::parse("pointer").unwrap(),
                &other,
                Some("/verb"),
                0
            ),
            Extracted::Str("get".into())
        );
    }
}
