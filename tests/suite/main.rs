//! One integration-test binary for the whole crate; each module is one area.

mod cli; // the binary: piped REPL, run errors and shards, verify
mod fixtures; // reading the HF reference fixtures
mod grpo_formula_parity; // TRL GRPOTrainer parity of the loss formulas (every backend)
mod grpo_parity; // TRL GRPOTrainer parity through the trainer (loss, gradients, metrics)
mod model_io; // loading errors, save/load round trip, random models
mod parity; // HF transformers parity on every fixture model
mod toy_rl; // the paper scripts end to end on the toy: RL raises held-out accuracy
mod train; // frozen parameters, optimizer state, checkpoint resume
