//! Network: manifests compiled into a resolver; flows checked with their
//! reasons; connectivity lists.

use std::ffi::c_char;
use std::path::Path;

use palisade::manifest;
use palisade::network::{ConnList, ConnListFormat, Flow, Protocol, Resolver};

use crate::boundary::{
    Failure, PalisadeStatus, c_string, drop_handle, failure, guard, handle, invalid, new_from_text,
    new_handle, out_ptr, text,
};

/// Network policies compiled against an inventory (opaque).
#[derive(Debug)]
pub struct PalisadeNetwork {
    resolver: Resolver,
}

fn network_handle(report: manifest::LoadReport) -> Result<PalisadeNetwork, Failure> {
    if let Some(e) = report.errors.first() {
        return Err(invalid(e.to_string()));
    }
    let (resolver, _issues) = palisade::network::resolver(&report.objects);
    Ok(PalisadeNetwork { resolver })
}

/// Loads the manifests under `path` (file or directory: namespaces,
/// workloads, network policies) and compiles them into `*out`.
///
/// # Safety
/// `path` NUL-terminated; `out` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_network_new_from_dir(
    path: *const c_char,
    out: *mut *mut PalisadeNetwork,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let path = unsafe { text(path, "path")? };
        out_ptr(out, "out")?;
        let network = network_handle(manifest::load_path(Path::new(path)))?;
        // SAFETY: forwarded contract.
        unsafe { new_handle(out, network) }
    })
}

/// Loads manifests from YAML or JSON `text` (`name` names it in messages)
/// and compiles them into `*out`.
///
/// # Safety
/// `name`, `text` NUL-terminated; `out` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_network_new_from_text(
    name: *const c_char,
    text_yaml: *const c_char,
    out: *mut *mut PalisadeNetwork,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    // SAFETY: forwarded contract.
    unsafe {
        new_from_text(name, text_yaml, out, error, |name, body| {
            network_handle(manifest::load_str(name, body))
        })
    }
}

/// Checks one flow: `from` and `to` are `NS/NAME` of a workload (or
/// `NS/NAME[Kind]`), an IP address or `entity:NAME`; `protocol` is `TCP`,
/// `UDP` or `SCTP`. Stores the verdict in `*allowed` and, when
/// `explanation_json` is not NULL, `{"allowed": bool, "because": [..]}` there,
/// each reason `{"text", "names": [{"name", "file", "line", "column"}]}`.
///
/// # Safety
/// `network` a live handle; strings NUL-terminated; `allowed` writable;
/// `explanation_json` NULL or writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_network_check(
    network: *const PalisadeNetwork,
    from: *const c_char,
    to: *const c_char,
    protocol: *const c_char,
    port: u16,
    allowed: *mut bool,
    explanation_json: *mut *mut c_char,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (network, from, to, protocol) = unsafe {
            (
                handle(network, "network")?,
                text(from, "from")?,
                text(to, "to")?,
                text(protocol, "protocol")?,
            )
        };
        out_ptr(allowed, "allowed")?;
        let protocol = Protocol::parse(protocol).ok_or_else(|| {
            invalid(format!(
                "unknown protocol `{protocol}` (expected TCP, UDP or SCTP)"
            ))
        })?;
        let end = |name: &str| {
            network.resolver.flow_end(name).ok_or_else(|| {
                failure(
                    PalisadeStatus::NotFound,
                    format!(
                        "no workload `{name}` (expected NS/NAME, NS/NAME[Kind] or an IP address)"
                    ),
                )
            })
        };
        let flow = Flow {
            src: end(from)?,
            dst: end(to)?,
            protocol,
            port,
        };
        let verdict = network.resolver.check(&flow);
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { allowed.write(verdict.allowed) };
        if !explanation_json.is_null() {
            let json = serde_json::json!({
                "allowed": verdict.allowed,
                "because": verdict.explained(),
            });
            // SAFETY: not NULL and writable per the contract.
            unsafe { explanation_json.write(c_string(json.to_string())) };
        }
        Ok(())
    })
}

/// Stores the whole connectivity list as JSON (an array of
/// `{src, dst, conn}`) in `*json`.
///
/// # Safety
/// `network` a live handle; `json` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_network_connlist_json(
    network: *const PalisadeNetwork,
    json: *mut *mut c_char,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let network = unsafe { handle(network, "network")? };
        out_ptr(json, "json")?;
        let text = ConnList::new(&network.resolver).render(ConnListFormat::Json);
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { json.write(c_string(text)) };
        Ok(())
    })
}

/// Frees a network handle. `NULL` is ignored.
///
/// # Safety
/// `network` NULL or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_network_free(network: *mut PalisadeNetwork) {
    // SAFETY: forwarded contract.
    unsafe { drop_handle(network) }
}
