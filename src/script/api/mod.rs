//! The Rhai API: one plugin module per domain, each a thin layer over the library (`model`,
//! `data`, `train`, `eval` over `crate::model`, `crate::data`, `crate::train`, `crate::eval`;
//! `analysis` and `scan` over `crate::analysis`; `io` and `plot` for results on disk; `params`
//! for `--set` parameters and shards). `build_engine` registers them all globally.

pub mod analysis;
pub mod data;
pub mod eval;
pub mod io;
pub mod model;
pub mod params;
pub mod plot;
pub mod scan;
pub mod train;
