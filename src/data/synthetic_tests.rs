//! Tests of the synthetic arithmetic task.

use super::*;
use crate::data::last_boxed;

/// Independent evaluator: the sum of signed products of the prompt's factors.
fn eval_prompt(prompt: &str) -> i128 {
    let expr = prompt.strip_suffix('=').expect("prompt ends with '='");
    let mut total = 0i128;
    let mut sign = 1i128;
    let mut product = 1i128;
    let mut num = String::new();
    for c in expr.chars().chain(std::iter::once('+')) {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        product *= num.parse::<i128>().expect("a number before each operator");
        num.clear();
        if c == '*' {
            continue;
        }
        total += sign * product;
        product = 1;
        sign = if c == '-' { -1 } else { 1 };
    }
    total
}

fn cfg(n: usize, digits: u32, terms: u32, ops: &str, seed: u64) -> SyntheticConfig {
    SyntheticConfig {
        n,
        digits,
        terms,
        ops: ops.into(),
        seed,
        ..Default::default()
    }
}

#[test]
fn answers_are_arithmetically_right() {
    for c in [
        cfg(300, 2, 2, "+-", 1),
        cfg(300, 3, 4, "+-*", 2),
        cfg(200, 5, 3, "*", 3),
        SyntheticConfig {
            chain_of_thought: true,
            ..cfg(300, 3, 5, "+-*", 4)
        },
    ] {
        let d = synthetic_task(&c).unwrap();
        assert_eq!(d.len(), c.n);
        for e in d.iter() {
            let v = eval_prompt(&e.prompt);
            assert_eq!(e.answer, v.to_string(), "{}", e.prompt);
            let sol = e.solution.as_deref().unwrap();
            assert_eq!(last_boxed(sol).unwrap(), e.answer, "{sol}");
            assert!(sol.ends_with(&format!("\\boxed{{{v}}}")));
            if c.chain_of_thought {
                assert_eq!(sol.lines().count(), c.terms as usize, "{sol}");
                for step in sol.lines().take(c.terms as usize - 1) {
                    let (lhs, rhs) = step.rsplit_once('=').unwrap();
                    if !lhs.starts_with('-') {
                        assert_eq!(eval_prompt(&format!("{lhs}=")).to_string(), rhs, "{step}");
                    }
                }
            } else {
                assert_eq!(sol, format!("\\boxed{{{v}}}"));
            }
        }
    }
}

#[test]
fn format_examples() {
    let c = SyntheticConfig {
        chain_of_thought: true,
        ..cfg(1, 2, 3, "+-*", 0)
    };
    let p = Problem {
        operands: vec![3, 45, 6],
        ops: vec!['*', '-'],
    };
    let e = p.to_example("x".into(), c.chain_of_thought).unwrap();
    assert_eq!(e.prompt, "3*45-6=");
    assert_eq!(e.answer, "129");
    assert_eq!(
        e.solution.as_deref(),
        Some("3*45=135\n135-6=129\n\\boxed{129}")
    );
    let p = Problem {
        operands: vec![5, 12, 3],
        ops: vec!['-', '+'],
    };
    let e = p.to_example("y".into(), true).unwrap();
    assert_eq!(
        (e.answer.as_str(), e.solution.as_deref()),
        ("-4", Some("5-12=-7\n-7+3=-4\n\\boxed{-4}"))
    );
    let e = p.to_example("z".into(), false).unwrap();
    assert_eq!(e.solution.as_deref(), Some("\\boxed{-4}"));
}

#[test]
fn deterministic_distinct_and_seeded() {
    let c = cfg(500, 2, 2, "+-", 9);
    let a = synthetic_task(&c).unwrap();
    assert_eq!(a, synthetic_task(&c).unwrap());
    assert_ne!(
        a,
        synthetic_task(&SyntheticConfig {
            seed: 10,
            ..c.clone()
        })
        .unwrap()
    );
    let prompts: HashSet<_> = a.iter().map(|e| e.prompt.clone()).collect();
    assert_eq!(
        prompts.len(),
        500,
        "distinct while the space (20000) allows"
    );
    assert_eq!(a.name, "synthetic");
    assert_eq!(a.examples[0].id, "synthetic/0");
    // Both short and long operands appear.
    assert!(a.iter().any(|e| e.prompt.len() <= 4) && a.iter().any(|e| e.prompt.len() == 6));
    // min_digits: no operand shorter than 3 digits.
    let long = synthetic_task(&SyntheticConfig {
        min_digits: 3,
        ..cfg(100, 4, 3, "+", 1)
    })
    .unwrap();
    for e in long.iter() {
        let nums = e.prompt.trim_end_matches('=').split('+');
        assert!(
            nums.map(str::len).all(|l| (3..=4).contains(&l)),
            "{}",
            e.prompt
        );
    }
}

#[test]
fn small_spaces_enumerate_and_repeat() {
    // 1-digit, 2 terms, '+': exactly 100 distinct problems.
    let c = cfg(100, 1, 2, "+", 5);
    assert_eq!(c.distinct_problems(), 100);
    let d = synthetic_task(&c).unwrap();
    let prompts: HashSet<_> = d.iter().map(|e| e.prompt.clone()).collect();
    assert_eq!(prompts.len(), 100);
    let more = synthetic_task(&cfg(250, 1, 2, "+", 5)).unwrap();
    assert_eq!(more.len(), 250);
    assert_eq!(
        more.iter().map(|e| &e.prompt).collect::<HashSet<_>>().len(),
        100
    );
    assert!(synthetic_task(&cfg(0, 2, 2, "+", 0)).unwrap().is_empty());
}

#[test]
fn split_is_disjoint() {
    for c in [
        cfg(800, 2, 2, "+-", 3),
        cfg(90, 1, 2, "+", 3),
        cfg(2000, 3, 3, "+-*", 8),
    ] {
        let n_test = (c.distinct_problems() as usize - c.n).min(100);
        let (train, test) = synthetic_split(&c, n_test).unwrap();
        assert_eq!((train.len(), test.len()), (c.n, n_test));
        let tr: HashSet<_> = train.iter().map(|e| e.prompt.clone()).collect();
        let te: HashSet<_> = test.iter().map(|e| e.prompt.clone()).collect();
        assert_eq!(tr.len(), c.n, "train prompts are distinct");
        assert_eq!(te.len(), n_test, "test prompts are distinct");
        assert!(tr.is_disjoint(&te));
        let ids: HashSet<_> = train
            .iter()
            .chain(test.iter())
            .map(|e| e.id.clone())
            .collect();
        assert_eq!(ids.len(), c.n + n_test);
        assert_eq!(
            (train.name.as_str(), test.name.as_str()),
            ("synthetic-train", "synthetic-test")
        );
        assert_eq!(synthetic_split(&c, n_test).unwrap(), (train, test));
    }
    let err = synthetic_split(&cfg(90, 1, 2, "+", 0), 11)
        .unwrap_err()
        .to_string();
    assert!(err.contains("allow only 100"), "{err}");
}

#[test]
fn bad_configs_are_errors() {
    for (c, msg) in [
        (cfg(1, 0, 2, "+", 0), "digits"),
        (cfg(1, 19, 2, "+", 0), "digits"),
        (
            SyntheticConfig {
                min_digits: 3,
                ..cfg(1, 2, 2, "+", 0)
            },
            "min_digits",
        ),
        (cfg(1, 2, 1, "+", 0), "terms"),
        (cfg(1, 2, 2, "/", 0), "'/'"),
        (cfg(1, 2, 2, "", 0), "empty"),
        (cfg(1, 10, 4, "*", 0), "36"),
    ] {
        let err = synthetic_task(&c).unwrap_err().to_string();
        assert!(err.contains(msg), "{err}");
    }
}

#[test]
fn config_serde() {
    let c: SyntheticConfig = serde_json::from_str(r#"{"digits": 3, "ops": "+-*"}"#).unwrap();
    assert_eq!(
        c,
        SyntheticConfig {
            digits: 3,
            ops: "+-*".into(),
            ..Default::default()
        }
    );
    let err = serde_json::from_str::<SyntheticConfig>(r#"{"digit": 3}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field"), "{err}");
    let d = SyntheticConfig::default();
    assert_eq!(
        (d.n, d.digits, d.min_digits, d.terms, d.ops.as_str()),
        (1000, 2, 1, 2, "+-")
    );
}
