//! End to end on the embedded default, through the paper's scripts themselves.
//!
//! `layer_scan.rhai` on layer 1 with the toy's 3 training seeds: a tiny Qwen3 SFT-warmed on
//! synthetic addition starts between 0.2 and 0.6 on 1,000 held-out problems, and full-parameter
//! GRPO beats it by at least 0.15 in *every* seed (the margin the toy is built with; one lucky
//! trajectory cannot pass this). Then every strategy script (Boost B-k, Only B-k, middle k,
//! voting, weight change) and the notebook run on that scan with short settings. A second test
//! feeds a scan where full training did not beat the base: ℓ is reported as undefined and
//! `only_b5.rhai` refuses to pick layers from it.

use layerscript::script::api::params::parse_param;
use layerscript::script::{run_file_with, HostContext};
use std::path::Path;

fn run(script: &str, params: &[(&str, String)]) {
    try_run(script, params).unwrap_or_else(|e| panic!("{script}: {e}"));
}

fn try_run(script: &str, params: &[(&str, String)]) -> Result<(), String> {
    let ctx = HostContext {
        quiet: true,
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), parse_param(v)))
            .collect(),
        ..Default::default()
    };
    run_file_with(ctx, Path::new(script)).map_err(|e| format!("{e:#}"))
}

fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    rdr.deserialize().map(Result::unwrap).collect()
}

fn num(row: &std::collections::HashMap<String, String>, k: &str) -> f64 {
    row[k]
        .parse()
        .unwrap_or_else(|_| panic!("{k} = {:?} is not a number", row[k]))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn paper_scripts_on_the_toy() {
    let out = std::env::temp_dir().join(format!("layerscript-toy-rl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let dir = out.display().to_string();
    let cache: (&'static str, String) = ("toy_cache", out.join("base").display().to_string());
    run(
        "scripts/layer_scan.rhai",
        &[("out", dir.clone()), ("layers", "1".into()), cache.clone()],
    );

    let scan = json(&out.join("scan.json"));
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    let base = f(&scan["base"]["score"]["mean"]);
    let full: Vec<f64> = scan["full"]["seed_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(f)
        .collect();
    eprintln!(
        "held-out accuracy: base {base:.3}, full per seed {full:.3?}, layer 1 per seed {}",
        scan["layers"][0]["seed_scores"]
    );
    assert!(
        scan["problems"].as_u64().unwrap() >= 500,
        "held-out set of at least 500 problems"
    );
    assert!(
        (0.2..=0.6).contains(&base),
        "the base must leave room to learn: {base}"
    );
    assert_eq!(full.len(), 3, "three training seeds");
    for (s, acc) in full.iter().enumerate() {
        assert!(
            *acc >= base + 0.15,
            "full-parameter GRPO, seed {}: {base:.3} -> {acc:.3}",
            s + 1
        );
    }
    // Every evaluation's standard error (over problems) is at most 0.015.
    for line in std::fs::read_to_string(out.join("scores.shard0of1.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            f(&v["se"]) <= 0.015,
            "{} seed {}: se {}",
            v["run"],
            v["seed"],
            v["se"]
        );
    }
    assert!(
        scan["undefined"].is_null(),
        "full beat base, so ℓ is defined"
    );
    let table = csv_rows(&out.join("contribution.csv"));
    assert_eq!(table.len(), 1, "one layer scanned");
    let (layer, ell) = (num(&table[0], "score"), num(&table[0], "contribution"));
    let full_mean = num(&table[0], "full");
    assert!((ell - (layer - base) / (full_mean - base)).abs() < 1e-9);
    assert!(num(&table[0], "contribution_lo") <= ell && ell <= num(&table[0], "contribution_hi"));
    assert_eq!(table[0]["seed_scores"].split(';').count(), 3);
    for r in ["full", "layer1"] {
        for seed in 1..=3 {
            let m = csv_rows(&out.join(r).join(format!("seed{seed}")).join("metrics.csv"));
            assert_eq!(m.len(), 30, "{r} seed {seed}: one metrics line per step");
            assert!(m
                .iter()
                .all(|x| (0.0..=1.0).contains(&num(x, "reward_mean"))));
        }
    }
    assert!(
        out.join("contribution.png").is_file()
            && out.join("layer1/seed1/checkpoint/state.json").is_file()
    );

    // The strategies, short: 2 GRPO steps, 1 sample per problem, 1 seed.
    let short = |extra: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("scan", dir.clone()),
            ("steps", "2".into()),
            ("k", "1".into()),
            ("seeds", "1".into()),
            cache.clone(),
        ];
        p.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        p
    };
    run("scripts/boost_b10.rhai", &short(&[("mult", "3.0")]));
    run("scripts/only_b5.rhai", &short(&[]));
    run("scripts/middle_k.rhai", &short(&[]));
    let strategies = csv_rows(&out.join("strategies.csv"));
    let names: Vec<&str> = strategies.iter().map(|r| r["strategy"].as_str()).collect();
    assert_eq!(names, ["Boost B1", "Only B1", "Middle 2"]);
    assert_eq!(strategies[2]["layers"], "[1, 2]", "middle 2 of 4 layers");
    assert!(strategies
        .iter()
        .all(|r| (0.0..=1.0).contains(&num(r, "score"))));
    let boosted =
        std::fs::read_to_string(out.join("boost_B1/seed1/checkpoint/state.json")).unwrap();
    let plan: serde_json::Value = serde_json::from_str(&boosted).unwrap();
    assert_eq!(
        plan["plan"]["layers"],
        serde_json::json!([1.0, 3.0, 1.0, 1.0]),
        "Boost B1 plan"
    );

    run("scripts/vote.rhai", &short(&[("voters", "1")]));
    let vote = csv_rows(&out.join("vote.csv"));
    assert_eq!(vote.len(), 3, "layer1, full and the vote");
    // One voter: the vote is that model's first-sample answers, scored by the same rule, so it
    // scores exactly what that model scores.
    assert!(vote
        .iter()
        .all(|r| (0.0..=1.0).contains(&num(r, "accuracy"))));
    assert_eq!(vote[2]["accuracy"], vote[0]["accuracy"], "{vote:?}");

    run("scripts/weight_change.rhai", &short(&[]));
    let wc = csv_rows(&out.join("weight_change.csv"));
    assert_eq!(wc.len(), 1);
    assert!(num(&wc[0], "single_change") > 0.0 && num(&wc[0], "full_change") > 0.0);
    assert!(out.join("weight_change.svg").is_file());

    // The notebook over this scan: tables and plots in its .out.md.
    let ctx = HostContext {
        quiet: true,
        params: vec![("scan".into(), parse_param(&dir))],
        ..Default::default()
    };
    let md =
        layerscript::script::notebook::run_notebook_with(ctx, Path::new("scripts/toy_report.md"))
            .unwrap();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(
        text.contains("| layer | score | contribution | hi | lo | score_se |")
            && text.contains("full − base: Δ = ")
            && text.contains("![](toy_contribution.png)"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// A scan whose full training did not beat the base: the report says so with the numbers, leaves
/// ℓ empty, plots raw scores, and a strategy script refuses to pick B-k from it.
#[test]
fn undefined_contribution_is_reported_and_refused() {
    let out = std::env::temp_dir().join(format!("layerscript-undefined-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let n = 400;
    let solved = |acc: f64| -> Vec<f64> {
        (0..n)
            .map(|i| {
                if (i as f64) < acc * n as f64 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    };
    let line = |run: &str, layer: Option<usize>, seed: u64, acc: f64| {
        serde_json::json!({ "run": run, "layer": layer, "seed": seed, "score": acc, "se": 0.02,
                            "per_problem": solved(acc) })
        .to_string()
    };
    let lines = [
        line("base", None, 0, 0.50),
        line("full", None, 1, 0.46),
        line("full", None, 2, 0.47),
        line("layer0", Some(0), 1, 0.52),
        line("layer1", Some(1), 1, 0.40),
    ];
    std::fs::write(out.join("scores.shard0of1.jsonl"), lines.join("\n")).unwrap();
    let dir = out.display().to_string();
    run("scripts/merge_scan.rhai", &[("out", dir.clone())]);
    let table = csv_rows(&out.join("contribution.csv"));
    assert_eq!(table.len(), 2);
    assert!(table
        .iter()
        .all(|r| r["contribution"].is_empty() && r["contribution_lo"].is_empty()));
    assert!(out.join("contribution.png").is_file());
    let scan = json(&out.join("scan.json"));
    let why = scan["undefined"].as_str().unwrap();
    assert!(
        why.starts_with("full-parameter RL did not beat the base: Δ = -0.035 ± ")
            && why.ends_with("so ℓ is undefined"),
        "{why}"
    );
    let err = try_run("scripts/only_b5.rhai", &[("scan", dir.clone())]).unwrap_err();
    assert!(err.contains(why) && err.contains("force=true"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}
