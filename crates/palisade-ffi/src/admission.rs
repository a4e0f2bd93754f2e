//! Admission: policies loaded from directories or text, AdmissionReviews
//! answered.

use std::ffi::c_char;
use std::path::Path;

use palisade::admission::{AdmissionEngine, AdmissionReview, load_policies, load_policies_str};
use palisade::manifest;

use crate::boundary::{
    PalisadeStatus, c_string, drop_handle, guard, handle, handle_mut, invalid, new_handle, out_ptr,
    put, text,
};
#[cfg(doc)]
use crate::palisade_string_free;

/// Admission policies (opaque).
#[derive(Debug, Default)]
pub struct PalisadeAdmission {
    engine: AdmissionEngine,
}

/// Creates an empty admission policy set (it allows everything) in `*out`.
///
/// # Safety
/// `out` points to a writable pointer; `error` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_admission_new(
    out: *mut *mut PalisadeAdmission,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        unsafe { new_handle(out, PalisadeAdmission::default()) }
    })
}

/// Loads the policies under `path` (a file, or a directory read
/// recursively): Gatekeeper ConstraintTemplates with their constraints and
/// pattern policies; Namespaces found there join the evaluation context.
/// On an error nothing is added.
///
/// # Safety
/// `admission` is a live handle not used by another thread during the call;
/// `path` a NUL-terminated string; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_admission_load_dir(
    admission: *mut PalisadeAdmission,
    path: *const c_char,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (admission, path) =
            unsafe { (handle_mut(admission, "admission")?, text(path, "path")?) };
        // Policies and Namespaces, skipping Falco rules files and event streams.
        let mut files = Vec::new();
        for file in
            palisade::inputs::input_files(Path::new(path)).map_err(|e| invalid(e.to_string()))?
        {
            if file.extension().is_some_and(|e| e == "jsonl") {
                continue;
            }
            let body = std::fs::read_to_string(&file)
                .map_err(|e| invalid(format!("cannot read `{}`: {e}", file.display())))?;
            if !palisade::inputs::is_falco_rules(&body) {
                files.push(file);
            }
        }
        let loaded = load_policies(&files);
        if let Some(e) = loaded.errors.first() {
            return Err(invalid(e.to_string()));
        }
        let objects = manifest::load_paths(&files);
        if let Some(e) = objects.errors.first() {
            return Err(invalid(e.to_string()));
        }
        for object in objects.objects {
            if object.kind() == Some("Namespace") {
                admission.engine.context.add_object(object.object);
            }
        }
        admission.engine.policies.extend(loaded.policies);
        Ok(())
    })
}

/// Loads policies from YAML or JSON `text` (`name` names it in messages).
/// On an error nothing is added.
///
/// # Safety
/// As [`palisade_admission_load_dir`]; `name` and `text` NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_admission_load_text(
    admission: *mut PalisadeAdmission,
    name: *const c_char,
    text_yaml: *const c_char,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (admission, name, body) = unsafe {
            (
                handle_mut(admission, "admission")?,
                text(name, "name")?,
                text(text_yaml, "text")?,
            )
        };
        let loaded = load_policies_str(name, body).map_err(|e| invalid(e.to_string()))?;
        if let Some(e) = loaded.errors.first() {
            return Err(invalid(e.to_string()));
        }
        admission.engine.policies.extend(loaded.policies);
        Ok(())
    })
}

/// Stores the number of loaded policies in `*count`.
///
/// # Safety
/// `admission` a live handle; `count` writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_admission_policy_count(
    admission: *const PalisadeAdmission,
    count: *mut usize,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        unsafe {
            let admission = handle(admission, "admission")?;
            put(count, "count", admission.engine.policies.len())
        }
    })
}

/// Reviews an AdmissionReview (`admission.k8s.io/v1`, JSON): stores the
/// answering AdmissionReview JSON in `*response_json` (free it with
/// [`palisade_string_free`]) and whether the request is allowed in
/// `*allowed`. `allowed` may be NULL.
///
/// # Safety
/// `admission` a live handle; `review_json` NUL-terminated;
/// `response_json` writable; `allowed` NULL or writable; `error` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_admission_review(
    admission: *const PalisadeAdmission,
    review_json: *const c_char,
    response_json: *mut *mut c_char,
    allowed: *mut bool,
    error: *mut *mut c_char,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (admission, review) = unsafe {
            (
                handle(admission, "admission")?,
                text(review_json, "review_json")?,
            )
        };
        out_ptr(response_json, "response_json")?;
        let review = AdmissionReview::from_json_str(review).map_err(|e| invalid(e.to_string()))?;
        let response = admission
            .engine
            .policies
            .review(&review.request, &admission.engine.context);
        let json = review.response_json(&response).to_string();
        if !allowed.is_null() {
            // SAFETY: not NULL and writable per the contract.
            unsafe { allowed.write(response.allowed) };
        }
        // SAFETY: checked not NULL above; writable per the contract.
        unsafe { response_json.write(c_string(json)) };
        Ok(())
    })
}

/// Frees an admission handle. `NULL` is ignored.
///
/// # Safety
/// `admission` NULL or a live handle, not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn palisade_admission_free(admission: *mut PalisadeAdmission) {
    // SAFETY: forwarded contract.
    unsafe { drop_handle(admission) }
}
