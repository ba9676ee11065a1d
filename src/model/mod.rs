//! The Qwen model: HF config, decoder, loading/saving, KV cache, generation, log-probs, tokenizer.

pub mod config;
pub mod forward_context;
pub mod generate;
pub mod inspect;
pub mod kv_cache;
pub mod load;
pub mod logprobs;
pub mod qwen;
pub mod tokenizer;

pub use config::{Family, QwenConfig};
pub use generate::{generate, Completion, GenerateOptions};
pub use load::{load_model, random_model, save_model};
pub use qwen::Qwen;
