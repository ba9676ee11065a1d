//! Layer-wise RL: training plans, AdamW, GRPO-family advantages and losses, the GRPO loop, SFT
//! warm-up and checkpoints.

pub mod advantage;
pub mod checkpoint;
pub mod config;
pub mod grpo;
pub mod loss;
pub mod optim;
pub mod plan;
pub mod policy;
pub mod runlog;
pub mod sft;
pub mod step;

pub use advantage::{group_advantages, AdvNorm};
pub use loss::{
    aggregate, grpo_token_loss, kl_penalty, policy_loss, ClipConfig, KlKind, KlTerm, LossAgg,
    LossAggKind,
};
pub use optim::{AdamW, AdamWConfig, GradStore, Schedule};
pub use plan::{apply_plan, TrainingPlan};

/// A seeded permutation of `0..n` (Fisher–Yates over `StdRng`), the data order of one pass.
pub fn shuffle_order(n: usize, seed: u64) -> Vec<usize> {
    use rand::{seq::SliceRandom, SeedableRng};
    let mut v: Vec<usize> = (0..n).collect();
    v.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    v
}
