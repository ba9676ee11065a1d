//! Verifiable rewards: final-answer extraction and math equivalence (agreeing with math-verify on
//! the fixture cases), the binary math reward, and offline grading of JSONL files.

pub mod equiv;
pub mod expr;
pub mod extract;
pub mod jsonl;
pub mod normalize;

pub use equiv::answers_equal;
pub use extract::{extract_answer, gold_answer};
use serde::{Deserialize, Serialize};

/// The verdict on one (gold, prediction) pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Whether the prediction's answer equals the gold one.
    pub correct: bool,
    /// The gold answer after extraction.
    pub gold_answer: Option<String>,
    /// The prediction's extracted answer.
    pub pred_answer: Option<String>,
}

/// Grades a whole response against a gold answer (`$2$`, `#### 72`, a boxed solution, or plain).
pub fn verify(gold: &str, prediction: &str) -> Verdict {
    let g = gold_answer(gold);
    let p = extract_answer(prediction);
    let correct = p.as_deref().is_some_and(|p| answers_equal(&g, p));
    Verdict {
        correct,
        gold_answer: (!g.is_empty()).then_some(g),
        pred_answer: p,
    }
}

/// Whether `prediction` (a full response) answers `gold` correctly.
pub fn is_equivalent(gold: &str, prediction: &str) -> bool {
    verify(gold, prediction).correct
}

/// Options of the math reward.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MathRewardConfig {
    /// A response cut by the length limit (no stop token) scores 0 (oat / Dr. GRPO).
    pub truncated_scores_zero: bool,
}

/// 1.0 for a correct final answer, else 0.0.
pub fn math_reward(response: &str, gold: &str, finished: bool, cfg: &MathRewardConfig) -> f64 {
    if cfg.truncated_scores_zero && !finished {
        return 0.0;
    }
    if is_equivalent(gold, response) {
        1.0
    } else {
        0.0
    }
}

/// The math grader for evaluation.
pub struct MathGrader;

impl crate::eval::Grader for MathGrader {
    fn grade(&self, response: &str, gold: &str) -> (bool, Option<String>) {
        let v = verify(gold, response);
        (v.correct, v.pred_answer)
    }
    fn answer_matches(&self, answer: &str, gold: &str) -> bool {
        answers_equal(&gold_answer(gold), answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (gold, prediction) case math-verify 0.9.0 graded in the fixtures.
    #[test]
    fn agrees_with_math_verify_cases() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/math_verify/cases.json"
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let cases = v["cases"].as_array().unwrap();
        assert!(cases.len() >= 20);
        for c in cases {
            let (g, p) = (
                c["gold"].as_str().unwrap(),
                c["prediction"].as_str().unwrap(),
            );
            assert_eq!(
                is_equivalent(g, p),
                c["verdict"].as_bool().unwrap(),
                "{}: gold {g:?} pred {p:?} -> {:?}",
                c["category"],
                verify(g, p)
            );
        }
    }

    #[test]
    fn reward_options() {
        let cfg = MathRewardConfig {
            truncated_scores_zero: true,
        };
        assert_eq!(math_reward(r"\boxed{4}", "4", true, &cfg), 1.0);
        assert_eq!(math_reward(r"\boxed{4}", "4", false, &cfg), 0.0);
        assert_eq!(
            math_reward(r"\boxed{4}", "4", false, &MathRewardConfig::default()),
            1.0
        );
        assert_eq!(math_reward("no answer", "4", true, &cfg), 0.0);
    }

    #[test]
    fn odd_inputs_never_panic() {
        let odd = [
            "",
            "\\boxed{",
            "}}}{{{",
            "\\frac{",
            "\\sqrt",
            "$$$",
            "((((",
            "1/0",
            "\\boxed{\\boxed{1}}",
            "####",
            "é\\boxed{ü}",
            "0.000.1",
            "99999999999999999999999999999999999999999",
            "^^^",
            "\\left(",
            "1,2,3,",
            "[)",
            "2^{999999}",
        ];
        for a in odd {
            for b in odd {
                let _ = verify(a, b);
            }
        }
    }
}
