//! The console's criterion benchmarks (`cargo bench -p
//! palisade-console-benches`): `benches/console.rs` starts a console on
//! loopback, fills its store and measures the API and the pages. This
//! library is empty; the package exists so that the engine benches of
//! `palisade-benches` build without the console.
