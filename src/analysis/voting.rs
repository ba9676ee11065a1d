//! What layer-trained models solve (paper §5): newly-solved problems relative to the base model,
//! majority voting across models, and self-consistency voting within one model.

use anyhow::{ensure, Result};
use std::collections::HashSet;

/// One model's outcome on one problem: the shape of an evaluation record (the same field names
/// as `eval::ProblemRecord`, minus the response texts).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Problem id, stable across models.
    pub id: String,
    /// Per sample: graded correct.
    pub correct: Vec<bool>,
    /// Per sample: the extracted final answer, if any (aligned with `correct`).
    pub answers: Vec<Option<String>>,
}

impl Record {
    /// Solved means at least one sample is correct (the pass@k sense; with one greedy sample it
    /// is simply "answered correctly").
    pub fn solved(&self) -> bool {
        self.correct.iter().any(|&c| c)
    }
}

/// Most common extracted answer; ties go to the answer seen first; `None` answers do not vote,
/// and `None` is returned when nothing was extracted.
pub fn vote<'a>(answers: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    // (answer, count) in first-seen order; few distinct answers per problem, so a Vec suffices.
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for a in answers.into_iter().flatten() {
        match counts.iter_mut().find(|(x, _)| *x == a) {
            Some((_, c)) => *c += 1,
            None => counts.push((a, 1)),
        }
    }
    let best = counts.iter().map(|(_, c)| *c).max()?;
    counts
        .into_iter()
        .find(|(_, c)| *c == best)
        .map(|(a, _)| a.to_string())
}

/// Ids solved in `records` but not in `base_records`, in the order of `records`. A problem
/// missing from `base_records` counts as unsolved by the base model.
pub fn newly_solved(base_records: &[Record], records: &[Record]) -> Vec<String> {
    let base_solved: HashSet<&str> = base_records
        .iter()
        .filter(|r| r.solved())
        .map(|r| r.id.as_str())
        .collect();
    records
        .iter()
        .filter(|r| r.solved() && !base_solved.contains(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect()
}

/// Majority vote across models: `answers[model][problem]` → one answer per problem, ties broken
/// by model order (the first model's answer among the tied ones wins).
///
/// Errors when the models answered different numbers of problems.
pub fn majority_vote(answers: &[Vec<Option<String>>]) -> Result<Vec<Option<String>>> {
    let Some(first) = answers.first() else {
        return Ok(Vec::new());
    };
    let n = first.len();
    for (m, list) in answers.iter().enumerate() {
        ensure!(
            list.len() == n,
            "majority_vote: model {m} has {} answers but model 0 has {n}; \
             every model must answer the same problems in the same order",
            list.len()
        );
    }
    Ok((0..n)
        .map(|p| vote(answers.iter().map(|list| list[p].as_deref())))
        .collect())
}

/// Self-consistency: the most common answer among each record's own samples,
/// as `(id, answer)` in record order.
pub fn self_consistency(records: &[Record]) -> Vec<(String, Option<String>)> {
    records
        .iter()
        .map(|r| (r.id.clone(), vote(r.answers.iter().map(|a| a.as_deref()))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, correct: &[bool], answers: &[Option<&str>]) -> Record {
        Record {
            id: id.into(),
            correct: correct.to_vec(),
            answers: answers.iter().map(|a| a.map(String::from)).collect(),
        }
    }

    #[test]
    fn vote_ties_go_to_first_seen() {
        assert_eq!(
            vote([Some("3"), Some("4"), Some("4"), Some("3")]),
            Some("3".into())
        );
        assert_eq!(
            vote([None, Some("4"), Some("3"), Some("3")]),
            Some("3".into())
        );
        assert_eq!(vote([None, None]), None);
    }

    #[test]
    fn newly_solved_relative_to_base() {
        let base = [
            rec("a", &[true], &[]),
            rec("b", &[false], &[]),
            rec("c", &[false], &[]),
        ];
        let layer = [
            rec("c", &[false, true], &[]),
            rec("a", &[true], &[]),
            rec("b", &[false], &[]),
            rec("d", &[true], &[]),
        ];
        assert_eq!(newly_solved(&base, &layer), vec!["c", "d"]);
    }

    #[test]
    fn majority_vote_across_models() {
        let s = |x: &str| Some(x.to_string());
        let models = vec![
            vec![s("1"), s("x"), None],
            vec![s("2"), s("y"), None],
            vec![s("2"), s("x"), s("5")],
        ];
        assert_eq!(
            majority_vote(&models).unwrap(),
            vec![s("2"), s("x"), s("5")]
        );
        // One vote each: the first model's answer wins.
        let tie = vec![vec![s("7")], vec![s("8")]];
        assert_eq!(majority_vote(&tie).unwrap(), vec![s("7")]);
        assert!(majority_vote(&[vec![s("1")], vec![]]).is_err());
        assert!(majority_vote(&[]).unwrap().is_empty());
    }

    #[test]
    fn self_consistency_per_record() {
        let r = [
            rec("p1", &[], &[Some("a"), Some("b"), Some("b")]),
            rec("p2", &[], &[Some("c"), Some("d")]),
            rec("p3", &[], &[None]),
        ];
        assert_eq!(
            self_consistency(&r),
            vec![
                ("p1".to_string(), Some("b".to_string())),
                ("p2".to_string(), Some("c".to_string())),
                ("p3".to_string(), None)
            ]
        );
    }
}
