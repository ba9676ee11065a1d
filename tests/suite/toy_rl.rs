//! End to end on the embedded default: a tiny Qwen3 trained from scratch with SFT on synthetic
//! addition reaches a non-trivial accuracy, and GRPO — on all layers and on one layer — raises the
//! accuracy on held-out problems (16 samples each at temperature 1, fixed seeds).

use layerscript::quickstart::{toy_grpo, Toy};
use layerscript::train::TrainingPlan;

#[test]
fn rl_raises_held_out_accuracy() {
    let toy = Toy::new(20, 0).unwrap();
    let base = toy.warm_up(0, 300).unwrap();
    let base_acc = toy.score(&base, &toy.test, 16, 7).unwrap().accuracy;
    assert!(
        base_acc > 0.2,
        "SFT warm-up should give a non-trivial start, got {base_acc}"
    );
    for plan in [TrainingPlan::full(4), TrainingPlan::only(4, &[1]).unwrap()] {
        let (model, metrics) = toy
            .rl(base.clone(), plan.clone(), &toy_grpo(), None)
            .unwrap();
        let acc = toy.score(&model, &toy.test, 16, 7).unwrap().accuracy;
        let first = metrics[0].reward_mean;
        let last: f64 = metrics[metrics.len() - 5..]
            .iter()
            .map(|m| m.reward_mean)
            .sum::<f64>()
            / 5.0;
        eprintln!(
            "{}: held-out {base_acc:.3} -> {acc:.3}; train reward {first:.3} -> {last:.3}",
            plan.describe()
        );
        assert!(
            acc >= base_acc + 0.05,
            "{}: held-out accuracy {base_acc:.3} -> {acc:.3}",
            plan.describe()
        );
        assert!(
            last > first,
            "{}: training reward did not rise",
            plan.describe()
        );
    }
}
