//! Criterion benchmarks of Palisade (`cargo bench -p palisade-benches`) and,
//! under `peers/`, runners of the engines users would otherwise use, on the
//! same work. Figures go to `docs/performance.md`.

pub mod cpu;
pub mod mutate_input;
pub mod runtime_stream;
