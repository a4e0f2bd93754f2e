//! The boundary every export crosses: the status codes, the one panic
//! guard ([`guard`]) that runs each export and turns a failure or a caught
//! panic into a status and a message, and the helpers that read arguments
//! and write results through raw pointers.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

/// What a call returned.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PalisadeStatus {
    /// Success.
    Ok = 0,
    /// A required pointer argument was `NULL`.
    NullArgument = 1,
    /// The input could not be read: bad UTF-8, YAML, JSON, rules, ...
    InvalidInput = 2,
    /// A name (field, workload, alert index) was not found.
    NotFound = 3,
    /// An internal error (a caught panic); the message says more.
    Panic = 4,
}

/// A failed call: its status and message.
pub(crate) struct Failure {
    pub(crate) status: PalisadeStatus,
    pub(crate) message: String,
}

pub(crate) fn failure(status: PalisadeStatus, message: impl Into<String>) -> Failure {
    Failure {
        status,
        message: message.into(),
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    failure(PalisadeStatus::InvalidInput, message)
}

/// A Rust string as a C string the caller frees (NULs replaced).
pub(crate) fn c_string(text: String) -> *mut c_char {
    let text = text.replace('\0', "\u{fffd}");
    CString::new(text).map_or(ptr::null_mut(), CString::into_raw)
}

/// Runs `body` with every panic caught; stores the error message.
pub(crate) fn guard(
    error: *mut *mut c_char,
    body: impl FnOnce() -> Result<(), Failure>,
) -> PalisadeStatus {
    if !error.is_null() {
        // SAFETY: the caller passes either NULL or a pointer to a writable `char *`.
        unsafe { *error = ptr::null_mut() };
    }
    let result = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(failure(
            PalisadeStatus::Panic,
            "internal error: a panic was caught at the C boundary",
        ))
    });
    match result {
        Ok(()) => PalisadeStatus::Ok,
        Err(f) => {
            if !error.is_null() {
                // SAFETY: as above; the string is released by `palisade_string_free`.
                unsafe { *error = c_string(f.message) };
            }
            f.status
        }
    }
}

/// Reads a C string argument.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    if p.is_null() {
        return Err(failure(
            PalisadeStatus::NullArgument,
            format!("`{what}` is NULL"),
        ));
    }
    // SAFETY: not NULL, and NUL-terminated and valid for 'a per the contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .map_err(|_| invalid(format!("`{what}` is not UTF-8")))
}

/// Borrows a handle argument.
///
/// # Safety
/// `p` is NULL or a live handle made by this library.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: NULL or a live handle per the contract.
    unsafe { p.as_ref() }
        .ok_or_else(|| failure(PalisadeStatus::NullArgument, format!("`{what}` is NULL")))
}

/// Borrows a handle argument mutably.
///
/// # Safety
/// `p` is NULL or a live handle made by this library, used by no other thread.
pub(crate) unsafe fn handle_mut<'a, T>(p: *mut T, what: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: NULL or a live, unshared handle per the contract.
    unsafe { p.as_mut() }
        .ok_or_else(|| failure(PalisadeStatus::NullArgument, format!("`{what}` is NULL")))
}

/// Checks an out-pointer is not NULL.
pub(crate) fn out_ptr<T>(p: *mut T, what: &str) -> Result<(), Failure> {
    if p.is_null() {
        Err(failure(
            PalisadeStatus::NullArgument,
            format!("`{what}` is NULL"),
        ))
    } else {
        Ok(())
    }
}

/// Writes `value` through a checked out-pointer.
///
/// # Safety
/// `p` is NULL or points to writable memory for a `T`.
pub(crate) unsafe fn put<T>(p: *mut T, what: &str, value: T) -> Result<(), Failure> {
    out_ptr(p, what)?;
    // SAFETY: not NULL and writable per the contract.
    unsafe { p.write(value) };
    Ok(())
}

/// Moves `value` into a new handle and stores it in `*out`.
///
/// # Safety
/// `out` is NULL or points to a writable pointer.
pub(crate) unsafe fn new_handle<T>(out: *mut *mut T, value: T) -> Result<(), Failure> {
    // Check before allocating: a NULL `out` must not leak the handle.
    out_ptr(out, "out")?;
    // SAFETY: forwarded contract.
    unsafe { put(out, "out", Box::into_raw(Box::new(value))) }
}

/// The body of every `palisade_*_new_from_text` export: reads the `name`
/// and `text` arguments, builds the handle's value from them with `build`,
/// and stores it as a new handle in `*out`.
///
/// # Safety
/// `name` and `text_arg` NULL or NUL-terminated; `out` NULL or points to a
/// writable pointer; `error` NULL or writable.
pub(crate) unsafe fn new_from_text<T>(
    name: *const c_char,
    text_arg: *const c_char,
    out: *mut *mut T,
    error: *mut *mut c_char,
    build: impl FnOnce(&str, &str) -> Result<T, Failure>,
) -> PalisadeStatus {
    guard(error, || {
        // SAFETY: forwarded contract.
        let (name, body) = unsafe { (text(name, "name")?, text(text_arg, "text")?) };
        out_ptr(out, "out")?;
        let value = build(name, body)?;
        // SAFETY: forwarded contract.
        unsafe { new_handle(out, value) }
    })
}

/// Frees a handle made by [`new_handle`], with every panic (of a `Drop`)
/// caught: the body of every `palisade_*_free` export.
///
/// # Safety
/// `p` is NULL or a handle from this library not freed before.
pub(crate) unsafe fn drop_handle<T>(p: *mut T) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if !p.is_null() {
            // SAFETY: made by `Box::into_raw` in `new_handle`, freed once per the contract.
            drop(unsafe { Box::from_raw(p) });
        }
    }));
}
