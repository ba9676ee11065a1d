//! The model, data, train and eval API on a tiny random model: plans, option errors, custom
//! rewards, generation, evaluation records, run folders (resume, settings check, load_run).

use super::{eval, eval_err, eval_in, session, temp_dir};

const SETUP: &str = r#"
let m = tiny_model(#{ layers: 2, hidden: 32, heads: 2, kv_heads: 1, intermediate: 64, seed: 3 });
let ds = synthetic_task(#{ n: 8, digits: 1, ops: "+", seed: 1 });
let quick = #{ steps: 1, train_batch: 2, mini_batch: 2, micro_batch: 4, group: 2, max_response_len: 4, lr: 1e-3 };
"#;

#[test]
fn plans_read_like_the_paper() {
    let mut s = session();
    let _ = eval_in(&mut s, SETUP).unwrap();
    let p = eval_in(&mut s, "m.train_only([1]).plan()")
        .unwrap()
        .cast::<rhai::Map>();
    assert_eq!(p["text"].to_string(), "layer 1 ×1");
    let p = eval_in(&mut s, "m.train_all().boost([0], 10.0).plan().layers").unwrap();
    assert_eq!(p.to_string(), "[10.0, 1.0]");
    // Plan builders leave their receiver as it was: forgetting `.copy()` cannot retarget the
    // base model of a later run.
    let full = eval_in(&mut s, "m.plan().text").unwrap().to_string();
    assert!(full.contains("layer 0..=1 ×1"), "{full}");
    for call in [
        "m.train_only(1)",
        "m.train_only([0])",
        "m.freeze_all()",
        "m.boost([0], 10.0)",
        "m.lr_scale(1, 0.0)",
        "m.freeze_all().train_all()",
    ] {
        let p = eval_in(&mut s, &format!("{call}; m.plan().text")).unwrap();
        assert_eq!(p.to_string(), full, "after `{call}`");
        let p = eval_in(
            &mut s,
            &format!("let x = m; x.{}; x.plan().text", &call[2..]),
        )
        .unwrap();
        assert_eq!(p.to_string(), full, "after `{call}` on a variable");
    }
    let p = eval_in(
        &mut s,
        "let b = m.boost([0], 3.0); [b.plan().layers, m.plan().layers]",
    )
    .unwrap();
    assert_eq!(p.to_string(), "[[3.0, 1.0], [1.0, 1.0]]");
    assert_eq!(
        eval_in(&mut s, "m.num_layers").unwrap().as_int().unwrap(),
        2
    );
}

#[test]
fn bad_layers_and_keys_are_named_with_their_line() {
    let e = eval_err(&format!("{SETUP}\nm.train_only([5])"));
    assert!(
        e.contains("layer 5 out of range: model has 2 layers (0..=1)"),
        "{e}"
    );
    assert!(e.contains("test.rhai:6:"), "line of the call: {e}");
    let e = eval_err(&format!("{SETUP}\ngrpo(m, ds, #{{ lrr: 1e-6 }})"));
    assert!(e.contains("unknown key `lrr`"), "{e}");
    assert!(
        e.contains("lr") && e.contains("reward") && e.contains("save_every"),
        "lists valid keys: {e}"
    );
    let e = eval_err(&format!("{SETUP}\nevaluate(m, ds, #{{ sample: 2 }})"));
    assert!(
        e.contains("unknown key `sample`") && e.contains("samples"),
        "{e}"
    );
    let e = eval_err(&format!(
        "{SETUP}\ngrpo(m, ds, quick + #{{ out: \"x\", save_every: \"5\" }})"
    ));
    assert!(e.contains("`save_every` must be an int"), "{e}");
    let e = eval_err("tiny_model(#{ layers: 0 })");
    assert!(
        e.contains("layers, hidden and intermediate must be ≥ 1"),
        "{e}"
    );
    let e = eval_err(&format!("{SETUP}\nevaluate(m, ds.take(0), #{{}})"));
    assert!(e.contains("is empty"), "{e}");
    let e = eval_err("tiny_model(#{ family: \"llama\" })");
    assert!(e.contains("family `llama` is not supported"), "{e}");
}

#[test]
fn custom_rewards_plug_in() {
    let mut s = session();
    let _ = eval_in(&mut s, SETUP).unwrap();
    let r = eval_in(
        &mut s,
        "quick.reward = |resp, ans, fin| 0.25; grpo(m, ds, quick).metrics()[0].reward_mean",
    )
    .unwrap();
    assert_eq!(r.as_float().unwrap(), 0.25);
    let r = eval_in(&mut s, "quick.reward = |resp, ans, fin| resp.len() >= 0; grpo(m, ds, quick).metrics()[0].reward_mean").unwrap();
    assert_eq!(r.as_float().unwrap(), 1.0, "bools count as 0/1");
    let e = eval_in(
        &mut s,
        "quick.reward = |resp, ans, fin| 0.0 / 0.0; grpo(m, ds, quick)",
    )
    .unwrap_err();
    assert!(e.to_lowercase().contains("nan"), "{e}");
    let e = eval_in(&mut s, "quick.reward = 3; grpo(m, ds, quick)").unwrap_err();
    assert!(e.contains("`reward` must be a function"), "{e}");
}

#[test]
fn generate_and_evaluate() {
    let mut s = session();
    let _ = eval_in(&mut s, SETUP).unwrap();
    let out = eval_in(
        &mut s,
        r#"m.generate(["1+1=", "2+3="], #{ max_new_tokens: 3, samples: 2, temperature: 1.0 })"#,
    )
    .unwrap();
    assert_eq!(out.cast::<rhai::Array>().len(), 4);
    let r = eval_in(
        &mut s,
        "evaluate(m, ds, #{ samples: 3, temperature: 1.0, max_new_tokens: 4 })",
    )
    .unwrap()
    .cast::<rhai::Map>();
    let recs = r["records"].clone().cast::<rhai::Array>();
    assert_eq!(recs.len(), 8);
    let first = recs[0].clone().cast::<rhai::Map>();
    assert_eq!(first["correct"].clone().cast::<rhai::Array>().len(), 3);
    assert!(r["pass_at_k"].as_float().unwrap() >= r["accuracy"].as_float().unwrap());
    // Analysis functions take these records as they are.
    let acc = eval_in(&mut s, "let r = evaluate(m, ds, #{ samples: 3, temperature: 1.0, max_new_tokens: 4 }); avg_at_k(r.records) - r.accuracy").unwrap();
    assert!(acc.as_float().unwrap().abs() < 1e-12);
    // The standard error comes with the accuracy: the per-problem means' std / √n.
    let v = eval_in(
        &mut s,
        "let r = evaluate(m, ds, #{ samples: 3, temperature: 1.0, max_new_tokens: 4 }); \
         [r.se - standard_error(r.per_problem), mean(r.per_problem) - r.accuracy, r.per_problem.len()]",
    )
    .unwrap()
    .cast::<rhai::Array>();
    assert!(v[0].as_float().unwrap().abs() < 1e-12 && v[1].as_float().unwrap().abs() < 1e-12);
    assert_eq!(v[2].as_int().unwrap(), 8);
    for (key, what) in [
        ("samples", "sample per problem"),
        ("batch", "problem per generation batch"),
    ] {
        let e = eval_in(&mut s, &format!("evaluate(m, ds, #{{ {key}: 0 }})")).unwrap_err();
        assert!(
            e.contains(&format!("{key} = 0; give at least 1 {what}")),
            "{e}"
        );
    }
}

#[test]
fn seeds_give_one_run_each_and_batch_arithmetic_is_checked() {
    let dir = temp_dir("api-seeds");
    let d = dir.display().to_string().replace('\\', "/");
    let mut s = session();
    let _ = eval_in(&mut s, SETUP).unwrap();
    let v = eval_in(
        &mut s,
        &format!(
            r#"let runs = grpo(m.train_only(1), ds, quick + #{{ seeds: 2, out: "{d}" }});
               [runs.len(), file_exists("{d}/seed1/metrics.csv"), file_exists("{d}/seed2/metrics.csv"),
                runs[0].metrics()[0].reward_mean == grpo(m.train_only(1), ds, quick + #{{ seed: 1 }}).metrics()[0].reward_mean]"#
        ),
    )
    .unwrap()
    .to_string();
    assert_eq!(
        v, "[2, true, true, true]",
        "seed s of `seeds` is the run with `seed: s`"
    );
    let e = eval_in(&mut s, "grpo(m, ds, quick + #{ seeds: [3, 3] })").unwrap_err();
    assert!(e.contains("repeats a seed"), "{e}");
    let e = eval_in(&mut s, "grpo(m, ds, quick + #{ micro_batch: 3 })").unwrap_err();
    assert!(
        e.contains("micro_batch 3 must divide mini_batch × group = 2 × 2 = 4"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_folders_resume_and_reload() {
    let dir = temp_dir("api-run");
    let d = dir.display().to_string().replace('\\', "/");
    let mut s = session();
    let _ = eval_in(&mut s, SETUP).unwrap();
    let code = format!(
        r#"let one = m.train_only(1);
           let a = grpo(one, ds, quick + #{{ steps: 2, out: "{d}/a" }}).metrics();
           let b = grpo(one, ds, quick + #{{ steps: 3, out: "{d}/a" }}).metrics();
           let c = grpo(one, ds, quick + #{{ steps: 3 }}).metrics();
           [a.len(), b.len(), a[1].reward_mean == b[1].reward_mean, b[2].reward_mean == c[2].reward_mean,
            b[2].grad_norm == c[2].grad_norm]"#
    );
    let v = eval_in(&mut s, &code).unwrap().to_string();
    assert_eq!(
        v, "[2, 3, true, true, true]",
        "resumed run = uninterrupted run"
    );
    let e = eval_in(
        &mut s,
        &format!(r#"grpo(one, ds, quick + #{{ steps: 4, lr: 0.5, out: "{d}/a" }})"#),
    )
    .unwrap_err();
    assert!(e.contains("other settings") && e.contains("lr"), "{e}");
    let wc = eval_in(
        &mut s,
        &format!(r#"weight_change(m, load_run(m, "{d}/a"))"#),
    )
    .unwrap()
    .cast::<rhai::Array>();
    assert_eq!(wc[0].as_float().unwrap(), 0.0, "frozen layer 0 unchanged");
    assert!(wc[1].as_float().unwrap() > 0.0, "trained layer 1 moved");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn data_api() {
    assert_eq!(
        eval(r#"synthetic_task(#{ n: 10 }).split(0.3, 1)[1].len"#)
            .unwrap()
            .as_int()
            .unwrap(),
        3
    );
    let p = eval(r#"synthetic_task(#{ n: 2 }).template("qwen_math").examples()[0].prompt"#)
        .unwrap()
        .to_string();
    assert!(
        p.starts_with("<|im_start|>system\nPlease reason step by step"),
        "{p}"
    );
    let e = eval_err(r#"synthetic_task(#{ n: 2 }).template("chatml9")"#);
    assert!(e.contains("chatml9"), "{e}");
    let e = eval_err(r#"load_jsonl("no/such.jsonl", #{ prompt: "q", answer: "a" })"#);
    assert!(e.contains("no/such.jsonl"), "{e}");
    assert!(eval(r#"verify("$\\frac{1}{2}$", "so \\boxed{0.5}")"#)
        .unwrap()
        .as_bool()
        .unwrap());
}

#[test]
fn shipped_benchmarks_load_by_name() {
    assert_eq!(
        eval(r#"benchmark("gsm8k").len"#).unwrap().as_int().unwrap(),
        1319
    );
    assert_eq!(
        eval(r#"benchmark("math500").len"#)
            .unwrap()
            .as_int()
            .unwrap(),
        500
    );
    let e = eval_err(r#"benchmark("gsm9k")"#);
    assert!(
        e.contains("unknown benchmark 'gsm9k'") && e.contains("gsm8k"),
        "{e}"
    );
}

#[test]
fn every_host_function_has_a_doc_for_help() {
    let s = session();
    let all = crate::script::help::functions(s.engine(), s.lib(), false);
    for name in [
        "grpo",
        "dr_grpo",
        "sft",
        "evaluate",
        "load_model",
        "tiny_model",
        "train_only",
        "boost",
        "weight_change",
        "benchmark",
        "contribution",
        "bar_chart",
    ] {
        assert!(
            all.iter().any(|f| f.name == name),
            "`{name}` is not listed by :help"
        );
    }
    let missing: Vec<String> = all
        .into_iter()
        .filter(|f| f.doc.is_empty())
        .map(|f| f.signature)
        .collect();
    assert!(missing.is_empty(), "undocumented: {missing:#?}");
}
