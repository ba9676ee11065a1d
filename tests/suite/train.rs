//! The RL engine on tiny random models: frozen parameters stay bit-identical, only trained
//! parameters get optimizer state, and a resumed run reproduces the uninterrupted one.

use layerscript::backend::{Compute, Device};
use layerscript::model::load::hf_tensors;
use layerscript::model::{random_model, Family, Qwen, QwenConfig};
use layerscript::train::checkpoint;
use layerscript::train::grpo::{GrpoConfig, GrpoTrainer, Problem, StepMetrics};
use layerscript::train::policy::Policy;
use layerscript::train::TrainingPlan;

fn tiny() -> Qwen<Compute> {
    random_model(
        &QwenConfig::tiny(Family::Qwen3, 3, 32, 4, 2, 64, 64),
        11,
        &Device::default(),
    )
    .unwrap()
}

fn problems() -> Vec<Problem> {
    (0..6)
        .map(|i| Problem {
            prompt_ids: vec![1 + i, 2 + i, 3],
            answer: format!("{}", 7 + i % 3),
        })
        .collect()
}

/// Reward: share of response tokens equal to the answer id (dense, so advantages are non-zero).
fn reward(text: &str, answer: &str, _finished: bool) -> anyhow::Result<f64> {
    let ids: Vec<&str> = text.split(',').collect();
    Ok(ids.iter().filter(|t| t.trim() == answer).count() as f64 / ids.len().max(1) as f64)
}

fn decode(ids: &[u32]) -> String {
    ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

fn cfg() -> GrpoConfig {
    GrpoConfig {
        steps: 3,
        train_batch: 2,
        mini_batch: 1,
        micro_batch: 2,
        group: 4,
        epochs: 2,
        max_response_len: 5,
        lr: 1e-2,
        kl_coef: 0.01,
        seed: 3,
        ..Default::default()
    }
}

fn run(
    policy: &mut Policy,
    steps: std::ops::Range<usize>,
    problems: &[Problem],
) -> Vec<StepMetrics> {
    let t = GrpoTrainer {
        cfg: cfg(),
        problems,
        stop_ids: vec![],
        decode: &decode,
    };
    steps
        .map(|s| t.step(policy, s, &mut reward).unwrap())
        .collect()
}

#[test]
fn frozen_parameters_stay_bit_identical() {
    let base = tiny();
    let before = hf_tensors(&base).unwrap();
    let mut policy = Policy::new(
        base,
        TrainingPlan::only(3, &[1]).unwrap(),
        cfg().optimizer(),
    )
    .unwrap();
    let metrics = run(&mut policy, 0..3, &problems());
    let after = hf_tensors(&policy.current()).unwrap();
    let mut changed = 0;
    for ((name, _, a), (_, _, b)) in before.iter().zip(&after) {
        let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
        if name.starts_with("model.layers.1.") {
            changed += (!same) as usize;
        } else {
            assert!(same, "{name} is frozen but changed");
        }
    }
    assert!(changed > 0, "the trained layer never changed");
    assert!(
        policy
            .optim
            .state
            .keys()
            .all(|k| k.starts_with("model.layers.1.")),
        "optimizer state for a frozen parameter"
    );
    // Weight change is reported for the trained layer only.
    let wc = &metrics.last().unwrap().weight_change;
    assert!(wc[0] == 0.0 && wc[1] > 0.0 && wc[2] == 0.0, "{wc:?}");
}

#[test]
fn resume_reproduces_the_uninterrupted_run() {
    let probs = problems();
    let plan = TrainingPlan::only(3, &[0, 2]).unwrap();
    let mut full = Policy::new(tiny(), plan.clone(), cfg().optimizer()).unwrap();
    let straight = run(&mut full, 0..3, &probs);

    let mut first = Policy::new(tiny(), plan, cfg().optimizer()).unwrap();
    run(&mut first, 0..2, &probs);
    let dir = std::env::temp_dir().join(format!("layerscript-ckpt-{}", std::process::id()));
    checkpoint::save(&first, 2, serde_json::to_value(cfg()).unwrap(), &dir).unwrap();
    drop(first);
    let (mut resumed, state) = checkpoint::load(tiny(), cfg().optimizer(), &dir).unwrap();
    assert_eq!(state.step, 2);
    let again = run(&mut resumed, state.step..3, &probs);
    let (a, b) = (&straight[2], &again[0]);
    assert_eq!(
        (a.step, a.reward_mean, a.response_len),
        (b.step, b.reward_mean, b.response_len)
    );
    for (x, y, what) in [
        (a.grad_norm, b.grad_norm, "grad norm"),
        (a.kl, b.kl, "kl"),
        (a.entropy, b.entropy, "entropy"),
        (a.clip_frac, b.clip_frac, "clip"),
    ] {
        assert!(
            (x - y).abs() <= 1e-6 * x.abs().max(1e-6),
            "{what}: {x} vs {y}"
        );
    }
    assert_eq!(a.weight_change.len(), b.weight_change.len());
    for (x, y) in a.weight_change.iter().zip(&b.weight_change) {
        assert!((x - y).abs() <= 1e-6 * x.abs().max(1e-9));
    }
    // A checkpoint missing its state file is refused by name.
    std::fs::remove_file(dir.join("state.json")).unwrap();
    let e = checkpoint::load(tiny(), cfg().optimizer(), &dir)
        .err()
        .unwrap();
    assert!(format!("{e:#}").contains("state.json"));
}
