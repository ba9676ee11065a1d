//! The analysis, io and host modules as scripts see them, and the `layers` stdlib.

use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn ints(v: Dynamic) -> Vec<i64> {
    v.into_array()
        .unwrap()
        .into_iter()
        .map(|x| x.as_int().unwrap())
        .collect()
}

#[test]
fn contribution_scalar_and_series() {
    assert!(close(float("contribution(45.0, 40.0, 50.0)"), 0.5));
    assert!(close(float("contribution(45, 40, 50)"), 0.5));
    let v = eval("contribution([43, 51.0], 40, 50.0)")
        .unwrap()
        .into_array()
        .unwrap();
    assert!(close(v[0].as_float().unwrap(), 0.3) && close(v[1].as_float().unwrap(), 1.1));
    let e = eval_err("contribution(45.0, 40.0, 40.0)");
    assert!(e.contains("undefined when full == base"), "{e}");
    let e = eval_err(r#"contribution("x", 40.0, 50.0)"#);
    assert!(e.contains("score must be a number, got string"), "{e}");
}

#[test]
fn fixture_table_contribution_and_top_k() {
    let path = fixture_csv().display().to_string();
    let code = format!(
        r#"
        let rows = read_csv("{path}");
        let t = contribution_table(rows, rows[0].base, rows[0].full);
        [column(t, "contribution"), top_k(column(t, "contribution"), 3), bottom_k(column(t, "contribution"), 2)]
        "#
    );
    let out = eval(&code).unwrap().into_array().unwrap();
    let ell: Vec<f64> = out[0]
        .clone()
        .into_array()
        .unwrap()
        .iter()
        .map(|v| v.as_float().unwrap())
        .collect();
    let want = [0.30, 0.60, 0.85, 1.10, 1.00, 0.85, 0.45, -0.10];
    assert_eq!(ell.len(), 8);
    for (a, b) in ell.iter().zip(want) {
        assert!(close(*a, b), "{ell:?}");
    }
    assert_eq!(ints(out[1].clone()), vec![3, 4, 2]);
    assert_eq!(ints(out[2].clone()), vec![7, 0]);
}

#[test]
fn stdlib_layers_module() {
    let path = fixture_csv().display().to_string();
    let code = format!(
        r#"
        import "layers" as layers;
        let t = contribution_table(read_csv("{path}"), 40.0, 50.0);
        let s = layers::summary(t);
        #{{
            best: layers::best_layers(t, 3), worst: layers::worst_layers(t, 2),
            summary: s, agree: layers::rank_agreement(t, t),
            jac: layers::mean_pairwise_jaccard([["a", "b"], ["b"], []]),
        }}
        "#
    );
    let m = eval(&code)
        .unwrap_or_else(|e| panic!("{e}"))
        .cast::<rhai::Map>();
    assert_eq!(ints(m["best"].clone()), vec![3, 4, 2]);
    assert_eq!(ints(m["worst"].clone()), vec![7, 0]);
    let s = m["summary"].clone().cast::<rhai::Map>();
    assert_eq!(s["best_layer"].as_int(), Ok(3));
    assert_eq!(s["worst_layer"].as_int(), Ok(7));
    assert_eq!(s["at_least_full"].as_int(), Ok(2));
    assert_eq!(s["below_half"].as_int(), Ok(3));
    assert!(close(s["mean"].as_float().unwrap(), 5.05 / 8.0));
    let agree = m["agree"].clone().cast::<rhai::Map>();
    assert!(close(agree["rho"].as_float().unwrap(), 1.0));
    assert_eq!(agree["n"].as_int(), Ok(8));
    assert!(
        agree["lo"].as_float().unwrap() > 0.99,
        "a perfect agreement's interval stays high"
    );
    // Pairs: {a,b}/{b} = 0.5, {a,b}/{} = 0, {b}/{} = 0 → mean 1/6.
    assert!(close(m["jac"].as_float().unwrap(), 0.5 / 3.0));
}

#[test]
fn middle_layers_and_correlations() {
    assert_eq!(
        ints(eval("middle_layers(36, 5)").unwrap()),
        vec![15, 16, 17, 18, 19]
    );
    assert!(close(float("spearman([1, 2, 3, 4], [1, 3, 2, 4])"), 0.8));
    assert!(close(float("pearson([1.0, 2.0], [5, 3])"), -1.0));
    let e = eval_err("pearson([1, 1, 1], [1, 2, 3])");
    assert!(e.contains("constant series"), "{e}");
    assert!(close(
        float(r#"jaccard(["a", "b", "c"], ["b", "c", "d"])"#),
        0.5
    ));
    assert!(close(float("jaccard([], [])"), 1.0));
}

#[test]
fn records_votes_and_scores() {
    let code = r#"
        let base = [#{id: "a", correct: true}, #{id: "b", correct: false}, #{id: "c", correct: [false, false]}];
        let layer = [#{id: "a", correct: true}, #{id: "b", correct: [false, true]}, #{id: "c", correct: [false, false]}];
        let recs = [
            #{id: "p1", correct: [true, false, true], answers: ["4", "5", "4"]},
            #{id: "p2", correct: [false, true], answers: ["7", "8"]},
        ];
        #{
            fresh: newly_solved(base, layer),
            vote: majority_vote([["1", "x"], ["2", ()], ["2", "y"]]),
            sc: self_consistency(recs),
            pass1: pass_at_k(recs, 1), pass_nck: pass_at_k(5, 2, 2),
            avg: avg_at_k(recs), maj: maj_at_k(recs),
        }
    "#;
    let m = eval(code)
        .unwrap_or_else(|e| panic!("{e}"))
        .cast::<rhai::Map>();
    assert_eq!(m["fresh"].to_string(), r#"["b"]"#);
    assert_eq!(m["vote"].to_string(), r#"["2", "x"]"#);
    let sc = m["sc"].clone().into_array().unwrap();
    assert_eq!(sc[0].clone().cast::<rhai::Map>()["answer"].to_string(), "4");
    assert_eq!(sc[1].clone().cast::<rhai::Map>()["answer"].to_string(), "7");
    assert!(close(
        m["pass1"].as_float().unwrap(),
        (2.0 / 3.0 + 0.5) / 2.0
    ));
    assert!(close(m["pass_nck"].as_float().unwrap(), 0.7));
    assert!(close(m["avg"].as_float().unwrap(), (2.0 / 3.0 + 0.5) / 2.0));
    assert!(close(m["maj"].as_float().unwrap(), 0.5));
}

#[test]
fn csv_json_round_trips_are_atomic_and_typed() {
    let dir = temp_dir("io");
    let d = dir.display();
    let code = format!(
        r#"
        let rows = [#{{layer: 1, score: 0.5, name: "a,b"}}, #{{layer: 0, score: 2.0, name: ()}}];
        write_csv("{d}/out/t.csv", rows);
        write_json("{d}/t.json", #{{k: [1, 2.5, "x"]}});
        write_jsonl("{d}/t.jsonl", rows);
        [read_csv("{d}/out/t.csv"), read_json("{d}/t.json"), read_jsonl("{d}/t.jsonl"), file_exists("{d}/t.json")]
        "#
    );
    let out = eval(&code)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_array()
        .unwrap();
    let text = std::fs::read_to_string(dir.join("out/t.csv")).unwrap();
    assert_eq!(text, "layer,name,score\n1,\"a,b\",0.5\n0,,2.0\n");
    assert_eq!(
        out[0].to_string(),
        r#"[#{"layer": 1, "name": "a,b", "score": 0.5}, #{"layer": 0, "name": (), "score": 2.0}]"#
    );
    assert_eq!(out[1].to_string(), r#"#{"k": [1, 2.5, "x"]}"#);
    assert_eq!(out[2].clone().into_array().unwrap().len(), 2);
    assert!(out[3].as_bool().unwrap());
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty());
    let e = eval_err(&format!(r#"read_csv("{d}/missing.csv")"#));
    assert!(
        e.contains("opening") && e.contains("missing.csv") && e.contains("No such file"),
        "{e}"
    );
}

#[test]
fn params_constants_and_shards() {
    let mut s = Session::new(HostContext {
        output: Output::capture(),
        params: vec![
            ("k".into(), Dynamic::from_int(3)),
            ("lr".into(), Dynamic::from_int(1)),
            ("run-name".into(), Dynamic::from("x".to_string())),
        ],
        shard: Some((1, 3)),
        ..HostContext::default()
    });
    let v = eval_in(&mut s, r#"[k, param("k", 5), param("lr", 0.5), param("missing", "d"), param("run-name", ""), shard(), shard_items(range(0, 8))]"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v.to_string(),
        r#"[3, 3, 1.0, "d", "x", #{"count": 3, "index": 1}, [1, 4, 7]]"#
    );
    // Constants cannot be reassigned by accident.
    assert!(eval_in(&mut s, "k = 4;").unwrap_err().contains("constant"));
    // Without a shard: the whole array.
    assert_eq!(eval("shard_items([1, 2])").unwrap().to_string(), "[1, 2]");
    assert_eq!(
        eval("shard()").unwrap().to_string(),
        r#"#{"count": 1, "index": 0}"#
    );
}

#[test]
fn print_is_captured() {
    let mut s = session();
    let ev = s.eval(&Source {
        name: "p.rhai".into(),
        text: "print(\"hello\"); debug(1); 2".into(),
        line_offset: 0,
    });
    assert_eq!(ev.printed, "hello\n[p.rhai:1] 1\n");
    assert_eq!(ev.value.unwrap().as_int(), Ok(2));
}
