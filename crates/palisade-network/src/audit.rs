//! Audit (coming).
