//! The embedded default: `layerscript quickstart` runs `scripts/layer_scan.rhai` (compiled into the
//! binary with `stdlib/`, so it works from any folder) with `model=toy`: a tiny Qwen3 with the
//! real Qwen vocabulary prefix, SFT on sums of three digits, then GRPO on all layers and on each
//! single layer (3 seeds each), scored on 500 held-out problems, with every score's standard
//! error and each layer's contribution and 95% interval written to `OUT/contribution.csv` and
//! plotted with error bars.

use crate::script::{run_source, HostContext};
use anyhow::Result;
use std::path::Path;

/// The quickstart script's text.
pub const SCRIPT: &str = include_str!("../scripts/layer_scan.rhai");

/// Runs the quickstart with its output in `out` and any extra `--set` parameters.
pub fn run(out: &Path, sets: &[(String, String)], quiet: bool) -> Result<()> {
    let mut all = vec![("out".to_string(), out.display().to_string())];
    all.extend_from_slice(sets);
    let ctx = HostContext::from_cli(quiet, &all);
    run_source(ctx, "scripts/layer_scan.rhai", SCRIPT.to_string())
}
