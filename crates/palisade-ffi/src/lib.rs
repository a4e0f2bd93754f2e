//! The C ABI of Palisade (`libpalisade_ffi.so` / `.a`, header
//! `include/palisade.h`).
//!
//! **Status: not built yet.** The plan (see the facade issue): opaque handles
//! with paired `*_new` / `*_free`, status codes plus an error message the
//! caller frees, a panic guard on every export, and C tests compiled with
//! `cc`. Every `unsafe` block will carry a `SAFETY:` comment.
