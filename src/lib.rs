//! layerscript: layer-wise reinforcement learning research on Qwen LLMs, scripted in Rhai.

pub mod analysis;
pub mod backend;
pub mod data;
pub mod eval;
pub mod files;
pub mod interrupt;
pub mod model;
pub mod quickstart;
pub mod reward;
pub mod script;
pub mod train;
