//! Error rendering: file:line:col, source line, caret, message; option maps; limits.

use super::*;
use crate::script::{build_engine, render_error, EngineLimits};
use rhai::EvalAltResult;

/// A host function failing the way the model module will.
fn engine_with_layer_check() -> rhai::Engine {
    let mut engine = build_engine(HostContext {
        output: Output::capture(),
        ..HostContext::default()
    });
    engine.register_fn("layer", |i: i64| -> Result<i64, Box<EvalAltResult>> {
        if (0..28).contains(&i) {
            Ok(i)
        } else {
            Err(format!("layer {i} out of range: model has 28 layers (0..=27)").into())
        }
    });
    engine
}

#[test]
fn host_error_has_position_line_and_caret() {
    let src = "let model = 1;\nlet l = layer(31);\n";
    let err = engine_with_layer_check().run(src).unwrap_err();
    let out = render_error("exp.rhai", src, &err);
    assert_eq!(
        out,
        "error: layer 31 out of range: model has 28 layers (0..=27)\n \
         --> exp.rhai:2:9\n  |\n2 | let l = layer(31);\n  |         ^"
    );
}

#[test]
fn error_inside_function_names_the_call_site() {
    let out = eval_err("fn pick(rows) {\n    rows[10]\n}\n\npick([1, 2]);");
    assert!(
        out.starts_with("error: Array index 10 out of bounds: only 2 elements in array\n"),
        "{out}"
    );
    assert!(out.contains(" --> test.rhai:2:10\n"), "{out}");
    assert!(out.contains("2 |     rows[10]\n  |          ^"), "{out}");
    assert!(
        out.ends_with("= note: in function `pick`, called at test.rhai:5:1"),
        "{out}"
    );
}

#[test]
fn syntax_error_points_at_the_token() {
    let out = eval_err("let a = 1;\nlet b = (a + ;\n");
    assert!(out.starts_with("error: "), "{out}");
    assert!(out.contains("--> test.rhai:2:"), "{out}");
    assert!(out.contains("2 | let b = (a + ;"), "{out}");
}

#[test]
fn error_in_stdlib_module_shows_the_module_line() {
    let out = eval_err("import \"layers\" as layers;\nlayers::mean_pairwise_jaccard([]);");
    assert!(
        out.starts_with("error: mean_pairwise_jaccard needs at least two sets, got 0\n"),
        "{out}"
    );
    assert!(out.contains("layers.rhai:"), "{out}");
    assert!(out.contains("throw `mean_pairwise_jaccard needs"), "{out}");
    assert!(out.contains("called at test.rhai:2:9"), "{out}");
}

#[test]
fn notebook_style_line_offset_and_tabs() {
    let src = Source {
        name: "nb.md".into(),
        text: "let x = 1;\n\tlet y = nope;".into(),
        line_offset: 10,
    };
    let err = eval_in(&mut session(), "")
        .map(|_| ())
        .and(Ok::<(), String>(()));
    assert!(err.is_ok());
    let mut s = session();
    let ev = s.eval(&src);
    let out = ev.value.unwrap_err();
    assert!(out.contains("--> nb.md:12:10"), "{out}");
    assert!(
        out.contains("12 | \tlet y = nope;\n   | \t        ^"),
        "{out}"
    );
}

#[test]
fn unknown_option_keys_list_the_valid_ones() {
    let out = eval_err(
        "contribution_table([#{layer: 0, score: 1.0}], #{base: 0.0, full: 2, scor: \"x\"})",
    );
    assert!(
        out.starts_with("error: invalid contribution_table options: unknown key `scor`; valid keys are: base, full, score, into.\n"),
        "{out}"
    );
    let out = eval_err("bar_chart([#{a: 1}], #{x: \"a\", y: \"a\", colour: \"red\"}, \"x\")");
    assert!(out.contains("invalid bar_chart options: unknown key `colour`; valid keys are: x, y, highlight, lo, hi, title,"), "{out}");
    let out = eval_err("contribution_table([#{layer: 0, score: 1.0}], #{full: 2.0})");
    assert!(
        out.contains("invalid contribution_table options: the key `base` is required."),
        "{out}"
    );
    let out = eval_err("contribution_table([#{layer: 0}], 0.0, 1.0)");
    assert!(
        out.contains("row 0 has no `score` column (it has: layer)"),
        "{out}"
    );
}

#[test]
fn options_helper_rejects_typos() {
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Train {
        lr: f64,
        group: i64,
    }
    let mut m = rhai::Map::new();
    m.insert("lrr".into(), Dynamic::from_float(1e-6));
    let err = crate::script::options::<Train>(m, "train").unwrap_err();
    assert_eq!(
        crate::script::error::message(&err),
        "invalid train options: unknown key `lrr`; valid keys are: lr, group."
    );
    let mut m = rhai::Map::new();
    m.insert("lr".into(), Dynamic::from("fast".to_string()));
    m.insert("group".into(), Dynamic::from_int(8));
    let err = crate::script::options::<Train>(m, "train").unwrap_err();
    let msg = crate::script::error::message(&err);
    assert!(msg.starts_with("invalid train options:"), "{msg}");
}

#[test]
fn runaway_loop_and_recursion_stop_with_a_message() {
    let ctx = HostContext {
        output: Output::capture(),
        limits: EngineLimits {
            max_operations: 10_000,
            max_call_levels: 16,
            ..EngineLimits::default()
        },
        ..HostContext::default()
    };
    let mut s = Session::new(ctx.clone());
    let out = eval_in(&mut s, "let i = 0;\nloop { i += 1; }").unwrap_err();
    assert!(
        out.contains("too many operations") && out.contains("max_operations"),
        "{out}"
    );
    assert!(out.contains("test.rhai:2:"), "{out}");
    let mut s = Session::new(ctx);
    let out = eval_in(&mut s, "fn f(n) { f(n + 1) }\nf(0)").unwrap_err();
    assert!(out.contains("stack overflow"), "{out}");
}

#[test]
fn rust_side_errors_keep_their_context_chain() {
    let err = anyhow::anyhow!("No such file")
        .context("opening weights.safetensors")
        .context("loading model");
    let e = crate::script::host_err(err);
    assert_eq!(
        crate::script::error::message(&e),
        "loading model: opening weights.safetensors: No such file"
    );
}
