//! Statistics over per-layer results, as pure functions over plain slices (paper §2–§5).
//!
//! - [`contribution`](mod@contribution): layer contribution
//!   ℓ = (score_layer − score_base) / (score_full − score_base), per-layer tables, rankings
//!   (`top_k` / `bottom_k`) and the profiling-free `middle_layers`.
//! - [`stats`]: Spearman (average ranks for ties), Pearson, Jaccard.
//! - [`voting`]: per-problem records, newly-solved problems, majority vote across models and
//!   self-consistency within one model.
//! - [`metrics`]: pass@k (unbiased estimator), avg@k, maj@k.
//! - [`scan`]: a layer scan's scores over seeds with bootstrap standard errors and intervals for
//!   Δ = full − base and ℓ; ℓ is withheld when full training did not beat the base.
//!
//! Nothing here knows about Rhai or tensors; the Rhai-facing wrappers live in
//! `src/script/api/analysis.rs`.

pub mod contribution;
pub mod metrics;
pub mod scan;
pub mod stats;
pub mod voting;

pub use contribution::{
    bottom_k, contribution, contribution_table, middle_layers, top_k, LayerContribution, LayerScore,
};
pub use metrics::{avg_at_k, maj_at_k, pass_at_k, pass_at_k_mean};
pub use scan::{scan_report, spearman_interval, standard_error, ScanReport, SeedScores};
pub use stats::{average_ranks, jaccard, pearson, spearman};
pub use voting::{majority_vote, newly_solved, self_consistency, vote, Record};

#[cfg(test)]
mod fixture_tests;
