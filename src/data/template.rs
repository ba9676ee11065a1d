//! Prompt templates. `qwen_math` and `r1` are the exact strings oat / simpleRL-style recipes use
//! (see `notes/rl_anchors.md`); `plain` is for base models without a chat format.

use anyhow::{bail, Result};

/// How a question becomes a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptTemplate {
    /// `Question: {q}\nAnswer:` — base-model completion format.
    Plain,
    /// Qwen2.5-Math ChatML with "Please reason step by step, and put your final answer within \boxed{}."
    QwenMath,
    /// DeepSeek-R1-Zero: think / answer tags, ends with `Assistant: <think>`.
    R1,
    /// The question itself, nothing added (synthetic tasks).
    Raw,
}

impl PromptTemplate {
    /// Parses `plain`, `qwen_math`, `r1`, `raw`.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "plain" => Self::Plain,
            "qwen_math" | "qwen-math" | "chatml" => Self::QwenMath,
            "r1" | "r1_zero" => Self::R1,
            "raw" | "none" => Self::Raw,
            _ => bail!("unknown prompt template `{s}`: expected one of plain, qwen_math, r1, raw"),
        })
    }

    /// The prompt for `question`.
    pub fn render(&self, question: &str) -> String {
        match self {
            Self::Plain => format!("Question: {question}\nAnswer:"),
            Self::QwenMath => format!("<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{{}}.<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"),
            Self::R1 => format!(
                "A conversation between User and Assistant. The User asks a question, and the Assistant solves it. The Assistant first thinks about the reasoning process in the mind and then provides the User with the answer. The reasoning process is enclosed within <think> </think> and answer is enclosed within <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>.\nUser: {question}\nAssistant: <think>"
            ),
            Self::Raw => question.to_string(),
        }
    }

    /// Strings that end a response under this template (R1 stops at `</answer>`).
    pub fn stop_strings(&self) -> Vec<String> {
        match self {
            Self::R1 => vec!["</answer>".into()],
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_exact_strings() {
        assert_eq!(PromptTemplate::parse("qwen_math").unwrap().render("1+1?"), "<|im_start|>system\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>user\n1+1?<|im_end|>\n<|im_start|>assistant\n");
        assert!(PromptTemplate::R1
            .render("q")
            .ends_with("User: q\nAssistant: <think>"));
        assert_eq!(PromptTemplate::Plain.render("q"), "Question: q\nAnswer:");
        assert!(PromptTemplate::parse("qwen")
            .unwrap_err()
            .to_string()
            .contains("qwen_math"));
    }
}
