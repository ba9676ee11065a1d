//! Prompt templates: how a question becomes the text the model continues.
//!
//! The strings are copied from the reference code of the recipes the paper follows:
//!
//! * [`PromptTemplate::QwenMathChat`] — `qwen_math` of sail-sg/understand-r1-zero
//!   (`train_zero_math.py::apply_qwen_math_template`, the Dr. GRPO recipe the paper's
//!   Qwen2.5-Math-1.5B runs use), identical to `qwen25-math-cot` of QwenLM/Qwen2.5-Math
//!   `evaluation/utils.py`, which simpleRL-reason's evaluation uses:
//!   `<|im_start|>system\nPlease reason step by step, and put your final answer within
//!   \boxed{}.<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n`.
//!   No stop strings (the model ends with `<|im_end|>` / EOS); graded on the last `\boxed{}`.
//! * [`PromptTemplate::R1`] — `r1` of understand-r1-zero (`apply_r1_template`), the
//!   DeepSeek-R1-Zero prompt; it ends with `Assistant: <think>` and generation stops at
//!   `</answer>` ([`PromptTemplate::stop_strings`]); graded on the `<answer>` tag.
//! * [`PromptTemplate::Plain`] — the base-model template `abel` of Qwen2.5-Math
//!   `evaluation/utils.py`, the "simpler prompt" format simpleRL-Zoo trains its non-Qwen base
//!   models with: `Question:\n{question}\nAnswer:\nLet's think step by step.\n`.
//! * [`PromptTemplate::Raw`] — the question unchanged (understand-r1-zero's `no` template); what
//!   the synthetic task uses with a tiny model, whose context is short.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A prompt template, parsed from its name (`raw`, `plain`, `qwen_math`, `r1`; see
/// [`PromptTemplate::NAMES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PromptTemplate {
    /// The question as is.
    Raw,
    /// Base-model template: `Question:\n{q}\nAnswer:\nLet's think step by step.\n`.
    Plain,
    /// Qwen2.5-Math ChatML with the "reason step by step … \boxed{}" system prompt.
    #[default]
    QwenMathChat,
    /// DeepSeek-R1-Zero template (`<think>` / `<answer>` tags), ending in `Assistant: <think>`.
    R1,
}

/// System prompt of [`PromptTemplate::QwenMathChat`].
pub const QWEN_MATH_SYSTEM: &str =
    "Please reason step by step, and put your final answer within \\boxed{}.";

const R1_PREFIX: &str =
    "A conversation between User and Assistant. The User asks a question, and the \
Assistant solves it. The Assistant first thinks about the reasoning process in the mind and then \
provides the User with the answer. The reasoning process is enclosed within <think> </think> and \
answer is enclosed within <answer> </answer> tags, respectively, i.e., <think> reasoning process \
here </think> <answer> answer here </answer>.\nUser: ";

impl PromptTemplate {
    /// Accepted names (case-insensitive, `-` and `_` interchangeable), canonical name first in
    /// each group: `raw`/`none`/`no`, `plain`/`base`/`abel`, `qwen_math`/`qwen_math_chat`/
    /// `qwen25_math_cot`, `r1`/`r1_zero`.
    pub const NAMES: [&'static str; 4] = ["raw", "plain", "qwen_math", "r1"];

    /// The canonical name (what [`fmt::Display`] prints and [`FromStr`] accepts).
    pub fn name(&self) -> &'static str {
        match self {
            PromptTemplate::Raw => "raw",
            PromptTemplate::Plain => "plain",
            PromptTemplate::QwenMathChat => "qwen_math",
            PromptTemplate::R1 => "r1",
        }
    }

    /// The full prompt text for `question` (no tokenizer special handling needed: the ChatML
    /// markers are plain text here and become special tokens when encoded).
    pub fn render(&self, question: &str) -> String {
        match self {
            PromptTemplate::Raw => question.to_string(),
            PromptTemplate::Plain => {
                format!("Question:\n{question}\nAnswer:\nLet's think step by step.\n")
            }
            PromptTemplate::QwenMathChat => format!(
                "<|im_start|>system\n{QWEN_MATH_SYSTEM}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
            ),
            PromptTemplate::R1 => format!("{R1_PREFIX}{question}\nAssistant: <think>"),
        }
    }

    /// Strings that end generation for this template (kept in the output): `</answer>` for R1,
    /// none otherwise (the model's EOS / `<|im_end|>` ends it).
    pub fn stop_strings(&self) -> &'static [&'static str] {
        match self {
            PromptTemplate::R1 => &["</answer>"],
            _ => &[],
        }
    }
}

impl FromStr for PromptTemplate {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(
            match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "raw" | "none" | "no" => PromptTemplate::Raw,
                "plain" | "base" | "abel" => PromptTemplate::Plain,
                "qwen_math" | "qwen_math_chat" | "qwen25_math_cot" | "qwen_math_cot" => {
                    PromptTemplate::QwenMathChat
                }
                "r1" | "r1_zero" => PromptTemplate::R1,
                _ => bail!(
                "unknown prompt template '{s}' (valid: raw, plain, qwen_math (qwen-math-chat), r1)"
            ),
            },
        )
    }
}

impl TryFrom<String> for PromptTemplate {
    type Error = anyhow::Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl From<PromptTemplate> for String {
    fn from(t: PromptTemplate) -> String {
        t.name().to_string()
    }
}

impl fmt::Display for PromptTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_strings() {
        assert_eq!(
            PromptTemplate::QwenMathChat.render("What is 1+1?"),
            "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n"
        );
        assert_eq!(
            PromptTemplate::R1.render("What is 1+1?"),
            "A conversation between User and Assistant. The User asks a question, and the Assistant solves it. The Assistant first thinks about the reasoning process in the mind and then provides the User with the answer. The reasoning process is enclosed within <think> </think> and answer is enclosed within <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>.\nUser: What is 1+1?\nAssistant: <think>"
        );
        assert_eq!(
            PromptTemplate::Plain.render("What is 1+1?"),
            "Question:\nWhat is 1+1?\nAnswer:\nLet's think step by step.\n"
        );
        assert_eq!(PromptTemplate::Raw.render("12+7="), "12+7=");
        assert_eq!(PromptTemplate::R1.stop_strings(), ["</answer>"]);
        assert!(PromptTemplate::QwenMathChat.stop_strings().is_empty());
    }

    #[test]
    fn parsing() {
        for (s, t) in [
            ("plain", PromptTemplate::Plain),
            ("qwen_math", PromptTemplate::QwenMathChat),
            ("qwen-math-chat", PromptTemplate::QwenMathChat),
            ("Qwen-Math", PromptTemplate::QwenMathChat),
            ("r1", PromptTemplate::R1),
            ("none", PromptTemplate::Raw),
        ] {
            assert_eq!(s.parse::<PromptTemplate>().unwrap(), t, "{s}");
        }
        for t in PromptTemplate::NAMES {
            assert_eq!(t.parse::<PromptTemplate>().unwrap().to_string(), t);
        }
        let err = "chatml".parse::<PromptTemplate>().unwrap_err().to_string();
        assert!(
            err.contains("'chatml'") && err.contains("plain") && err.contains("r1"),
            "{err}"
        );
        let t: PromptTemplate = serde_json::from_str("\"r1\"").unwrap();
        assert_eq!(t, PromptTemplate::R1);
        assert_eq!(
            serde_json::to_string(&PromptTemplate::Plain).unwrap(),
            "\"plain\""
        );
        assert!(serde_json::from_str::<PromptTemplate>("\"x\"").is_err());
    }
}
