//! Kubernetes' URL library (`urls.go` of `k8s.io/apiserver/pkg/cel/library`):
//! `url(s)`, `isURL(s)`, and on a URL `getScheme`, `getHost`,
//! `getHostname`, `getPort`, `getEscapedPath`, `getQuery`.
//!
//! The API server parses with Go's `net/url` (`ParseRequestURI` to accept,
//! then `Parse` for the parts): an absolute URI or an absolute path, the
//! parts kept as written (no normalization: `https://example.com` has the
//! path `''`, not `/`). The `url` crate follows the WHATWG standard, which
//! normalizes and accepts other inputs, so this is a small parser of the
//! Go rules instead.

use std::sync::Arc;

use cel_core::{CelType, FunctionDecl, MapKey, Value, ValueMap};

use super::opaque::{Kind, constructor, member, predicate};

/// A parsed URL: the parts Go's `url.URL` gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: String,
    host: String,
    raw_path: String,
    path: String,
    raw_query: String,
}

impl Kind for Url {
    const NAME: &'static str = "kubernetes.URL";
}

/// Whether Go's `shouldEscape(c, encodePath)` holds.
fn escaped_in_path(c: u8) -> bool {
    !(c.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&c))
}

/// `%XX`-decoding; `plus`: `+` is a space (query strings). `None` on a bad escape.
fn unescape(text: &str, plus: bool) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if escaped_in_path(b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// Go's `validEncoded(s, encodePath)`.
fn valid_encoded(raw: &str) -> bool {
    raw.bytes()
        .all(|b| b"!$&'()*+,;=:@[]%".contains(&b) || !escaped_in_path(b))
}

/// The scheme of `text` and the rest, as Go's `getScheme`.
fn split_scheme(text: &str) -> Result<(&str, &str), String> {
    for (i, c) in text.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => {
                return Ok(text.split_once(':').unwrap_or((text, "")));
            }
            _ => return Ok(("", text)),
        }
    }
    Ok(("", text))
}

/// Go's host check: characters a host may hold, and a numeric port.
fn check_authority(host: &str) -> Result<(), String> {
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:[]<>\"%".contains(*c)))
    {
        return Err(format!("invalid character {bad:?} in host name"));
    }
    let port = if let Some(inner) = host.strip_prefix('[') {
        inner
            .split_once(']')
            .ok_or_else(|| "missing ']' in host".to_owned())?
            .1
    } else {
        host.rfind(':')
            .and_then(|i| host.get(i..))
            .unwrap_or_default()
    };
    let valid = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|digits| digits.bytes().all(|b| b.is_ascii_digit()));
    if valid {
        Ok(())
    } else {
        Err(format!("invalid port {port:?} after host"))
    }
}

impl Url {
    /// Parses `text` as the API server does: an absolute URI or an absolute path.
    pub fn parse(text: &str) -> Result<Url, String> {
        let error = |reason: String| {
            format!("URL parse error during conversion from string: parse {text:?}: {reason}")
        };
        if text.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(error("net/url: invalid control character in URL".into()));
        }
        let without_fragment = text.split_once('#').map_or(text, |(u, _)| u);
        let (scheme, rest) = split_scheme(without_fragment).map_err(error)?;
        let (rest, raw_query) = rest.split_once('?').unwrap_or((rest, ""));
        if !rest.starts_with('/') {
            if scheme.is_empty() {
                return Err(error("invalid URI for request".into()));
            }
            // An opaque URI (`mailto:x@y`): no host, no path.
            return Ok(Url {
                scheme: scheme.to_ascii_lowercase(),
                host: String::new(),
                raw_path: String::new(),
                path: String::new(),
                raw_query: raw_query.to_owned(),
            });
        }
        let (host, raw_path) = match rest.strip_prefix("//").filter(|_| !scheme.is_empty()) {
            Some(authority_and_path) => {
                let end = authority_and_path
                    .find('/')
                    .unwrap_or(authority_and_path.len());
                let authority = &authority_and_path[..end];
                let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                check_authority(host).map_err(error)?;
                (host.to_owned(), &authority_and_path[end..])
            }
            None => (String::new(), rest),
        };
        let path = unescape(raw_path, false)
            .ok_or_else(|| error(format!("invalid URL escape in {raw_path:?}")))?;
        Ok(Url {
            scheme: scheme.to_ascii_lowercase(),
            host,
            raw_path: raw_path.to_owned(),
            path,
            raw_query: raw_query.to_owned(),
        })
    }

    /// Go's `Hostname` and `Port`.
    fn host_and_port(&self) -> (&str, &str) {
        let host = self.host.as_str();
        let (name, port) = match host.rfind(':') {
            Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => {
                (&host[..i], &host[i + 1..])
            }
            _ => (host, ""),
        };
        let name = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name);
        (name, port)
    }

    /// Go's `EscapedPath`.
    fn escaped_path(&self) -> String {
        if valid_encoded(&self.raw_path)
            && unescape(&self.raw_path, false).as_deref() == Some(&self.path)
        {
            self.raw_path.clone()
        } else {
            escape_path(&self.path)
        }
    }

    /// Go's `Query`: `key=value` pairs split on `&`, unescaped; a pair with a
    /// `;` or a bad escape is dropped.
    fn query(&self) -> Value {
        let mut entries: Vec<(String, Vec<Value>)> = Vec::new();
        for pair in self
            .raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.contains(';'))
        {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (Some(key), Some(value)) = (unescape(key, true), unescape(value, true)) else {
                continue;
            };
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some((_, values)) => values.push(Value::from(value.as_str())),
                None => entries.push((key, vec![Value::from(value.as_str())])),
            }
        }
        Value::Map(Arc::new(ValueMap::from_entries(entries.into_iter().map(
            |(k, v)| (MapKey::String(Arc::from(k.as_str())), Value::List(v.into())),
        ))))
    }
}

/// `url.<name>()` giving a string.
fn part(name: &'static str, f: fn(&Url) -> String) -> FunctionDecl {
    member::<Url>(name, &format!("url_{name}"), CelType::String, move |url| {
        Value::from(f(url).as_str())
    })
}

/// The functions of the library.
pub fn functions() -> Vec<FunctionDecl> {
    vec![
        constructor("url", "string_to_url", Url::parse),
        predicate("isURL", "is_url_string", Url::parse),
        part("getScheme", |u| u.scheme.clone()),
        part("getHost", |u| u.host.clone()),
        part("getHostname", |u| u.host_and_port().0.to_owned()),
        part("getPort", |u| u.host_and_port().1.to_owned()),
        part("getEscapedPath", Url::escaped_path),
        member::<Url>(
            "getQuery",
            "url_get_query",
            CelType::map(CelType::String, CelType::list(CelType::String)),
            Url::query,
        ),
    ]
}
