//! A scripted REPL session through `run_lines`, the function piped stdin uses.

use super::*;
use crate::script::repl::{is_incomplete, run_lines, Repl};

fn transcript(lines: &[&str]) -> String {
    let ctx = HostContext {
        output: Output::capture(),
        ..HostContext::default()
    };
    let mut out = Vec::new();
    run_lines(ctx, lines.join("\n").as_bytes(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn multi_line_detection() {
    assert!(is_incomplete("let rows = ["));
    assert!(is_incomplete("fn f(x) {\n  x"));
    assert!(is_incomplete("let s = \"abc"));
    assert!(is_incomplete("let s = `multi\nline"));
    assert!(is_incomplete("/* open comment"));
    assert!(is_incomplete("let x = 1 + \\"));
    assert!(is_incomplete("/// Doc for the next function."));
    assert!(!is_incomplete("let s = \"a { [ (\";"));
    assert!(!is_incomplete("let c = '{'; // {"));
    assert!(!is_incomplete("f(x) }"));
    assert!(!is_incomplete("let m = #{a: [1, 2]};"));
}

#[test]
fn scripted_session() {
    let out = transcript(&[
        "let rows = [",
        "  #{layer: 0, score: 43.0},",
        "  #{layer: 1, score: 51.0}",
        "];",
        "fn double(x) {",
        "  x * 2",
        "}",
        "double(21)",
        "rows.len()",
        "let t = contribution_table(rows, 40, 50); t",
        "column(t, \"contribution\")",
        "print(\"hi\"); \"done\"",
        ":vars",
        ":help contribution",
        ":help",
        "import \"layers\" as layers;",
        "layers::best_layers(t, 1).len() + 4",
        "double(rows[1].layer)",
        "nope(1)",
        ":bogus",
        ":quit",
        "print(\"after quit\")",
    ]);
    // Functions and variables persist across inputs; a multi-line input runs once.
    assert!(out.starts_with("42\n2\n"), "{out}");
    // An array of maps prints as an aligned table, layer first.
    assert!(out.contains("layer  score  contribution\n-----  -----  ------------\n    0   43.0           0.3\n    1   51.0           1.1\n"), "{out}");
    // A series prints as bars.
    assert!(
        out.contains(&format!("0 │{}", "█".repeat(11)))
            && out.contains(&format!("1 │{} 1.1", "█".repeat(40))),
        "{out}"
    );
    assert!(out.contains("hi\n\"done\"\n"), "{out}");
    // :vars lists variables with types.
    assert!(
        out.contains("rows: array = [#{layer: 0, score: 43.0}, "),
        "{out}"
    );
    assert!(out.contains("t: array = "), "{out}");
    // :help name shows signature and doc comment.
    assert!(out.contains("contribution(score: "), "{out}");
    assert!(
        out.contains("    Layer contribution ℓ = (score − base) / (full − base)"),
        "{out}"
    );
    // :help lists host and script functions.
    assert!(out.contains("  double(x)"), "{out}");
    assert!(
        out.contains("  read_csv(path: &str)")
            || out.contains("  read_csv(path: String)")
            || out.contains("  read_csv("),
        "{out}"
    );
    // Imports stay bound for later inputs.
    assert!(out.contains("\n5\n"), "{out}");
    assert!(
        out.contains("\n2\nerror: Function not found: nope"),
        "{out}"
    );
    assert!(out.contains("--> <repl:"), "{out}");
    assert!(out.contains("unknown command :bogus"), "{out}");
    assert!(!out.contains("after quit"), "{out}");
}

#[test]
fn help_for_stdlib_and_script_functions() {
    let out = transcript(&[
        "/// Triples a number.",
        "fn triple(x) { x * 3 }",
        ":help triple",
        "import \"layers\" as layers;",
        ":help layers::best_layers",
        ":help top",
    ]);
    assert!(out.contains("triple(x)\n    Triples a number."), "{out}");
    assert!(
        out.contains(
            "layers::best_layers(rows, k)\n    The layers of the `k` rows with the highest"
        ),
        "{out}"
    );
    assert!(
        out.contains("no function named `top`; similar: ") && out.contains("top_k"),
        "{out}"
    );
}

#[test]
fn errors_in_earlier_functions_show_their_own_input() {
    let out = transcript(&["fn bad(a) {", "  a[5]", "}", "bad([1])"]);
    assert!(out.contains("--> <repl:1>:2:5\n"), "{out}");
    assert!(out.contains("2 |   a[5]"), "{out}");
    assert!(
        out.contains("in function `bad`, called at <repl:2>:1:1"),
        "{out}"
    );
}

#[test]
fn save_writes_a_markdown_notebook() {
    let dir = temp_dir("repl-save");
    let mut repl = Repl::new(HostContext {
        output: Output::capture(),
        ..HostContext::default()
    });
    repl.run_input("let x = 2;");
    repl.run_input("print(\"x is \" + x); [#{a: x}]");
    let shown = repl.run_input(&format!(
        "bar_chart([#{{l: 0, v: 1.0}}], #{{x: \"l\", y: \"v\"}}, \"{}/p\")",
        dir.display()
    ));
    // The paths a plot returns are listed once, as "wrote ...".
    assert!(
        shown.starts_with("wrote ") && shown.lines().count() == 2,
        "{shown}"
    );
    let path = dir.join("session.md");
    let msg = repl.run_input(&format!(":save {}", path.display()));
    assert!(msg.starts_with("saved 3 inputs"), "{msg}");
    let md = std::fs::read_to_string(&path).unwrap();
    assert!(md.contains("```rhai\nlet x = 2;\n```\n"), "{md}");
    assert!(md.contains("```rhai\nprint(\"x is \" + x); [#{a: x}]\n```\n\n```text\nx is 2\n```\n\n| a |\n|---:|\n| 2 |\n"), "{md}");
    assert!(md.contains("/p\")\n```\n\n![](p.png)\n"), "{md}");
    assert!(repl.completion_words().contains(&"x".to_string()));
    assert!(repl
        .completion_words()
        .contains(&"contribution_table".to_string()));
}

#[test]
fn unfinished_input_at_end_of_stream_is_reported() {
    let out = transcript(&["let a = [1, 2"]);
    assert!(out.starts_with("error: "), "{out}");
}
