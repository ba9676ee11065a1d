//! Notebooks: blocks run in one scope, outputs (text, tables, plots) written under each block;
//! the first error stops the run and is written under its block.

use super::*;
use crate::script::notebook::{rhai_blocks, run_notebook};

#[test]
fn finds_rhai_blocks_only() {
    let md = "# t\n```rhai\nlet a = 1;\n```\n```python\nx = 1\n```\n~~~~rhai extra\nb\n~~~~\n";
    let lines: Vec<&str> = md.lines().collect();
    let blocks = rhai_blocks(&lines);
    assert_eq!(blocks.len(), 2);
    assert_eq!(
        (
            blocks[0].code.as_str(),
            blocks[0].fence_line,
            blocks[0].close_index
        ),
        ("let a = 1;", 2, 3)
    );
    assert_eq!((blocks[1].code.as_str(), blocks[1].fence_line), ("b", 8));
}

#[test]
fn runs_blocks_with_table_text_and_plot() {
    let dir = temp_dir("notebook");
    std::fs::copy(fixture_csv(), dir.join("layer_scores.csv")).unwrap();
    let md = r#"# Layer contribution

Load the table.

```rhai
let t = contribution_table(read_csv("layer_scores.csv"), 40.0, 50.0);
t
```

The best layers:

```rhai
let best = top_k(column(t, "contribution"), 3);
print(`best: ${best}`);
```

```rhai
bar_chart(t, #{x: "layer", y: "contribution"}, "ell")
```

The end.
"#;
    let nb = dir.join("study.md");
    std::fs::write(&nb, md).unwrap();
    let out_path = run_notebook(&nb).unwrap();
    assert_eq!(out_path, dir.join("study.out.md"));
    let out = std::fs::read_to_string(&out_path).unwrap();
    let expected_table = "| layer | score | base | contribution | full |\n\
                          |---:|---:|---:|---:|---:|\n\
                          | 0 | 43.0 | 40.0 | 0.3 | 50.0 |\n";
    assert!(
        out.contains(&format!("t\n```\n\n{expected_table}")),
        "{out}"
    );
    assert!(
        out.contains("print(`best: ${best}`);\n```\n\n```text\nbest: [3, 4, 2]\n```\n"),
        "{out}"
    );
    assert!(
        out.contains("\"ell\")\n```\n\n![](ell.png)\n\nThe end.\n"),
        "{out}"
    );
    assert!(
        out.starts_with("# Layer contribution\n\nLoad the table.\n\n```rhai\n"),
        "{out}"
    );
    assert!(dir.join("ell.png").is_file() && dir.join("ell.svg").is_file());
}

#[test]
fn stops_at_the_first_error_and_still_writes_output() {
    let dir = temp_dir("notebook-fail");
    let md = r#"intro

```rhai
let x = 41;
x + 1
```

```rhai
let y = x;
let z = contribution(1.0, 2.0, 2.0);
```

```rhai
print("never runs");
```
"#;
    let nb = dir.join("broken.md");
    std::fs::write(&nb, md).unwrap();
    let err = format!("{:#}", run_notebook(&nb).unwrap_err());
    assert!(err.contains("undefined when full == base"), "{err}");
    // Line 10 of the .md file holds the failing call; the caret is under `contribution`.
    assert!(
        err.contains("--> ") && err.contains("broken.md:10:9"),
        "{err}"
    );
    let out = std::fs::read_to_string(dir.join("broken.out.md")).unwrap();
    assert!(out.contains("x + 1\n```\n\n```text\n=> 42\n```\n"), "{out}");
    let under = out
        .split("let z = contribution(1.0, 2.0, 2.0);\n```\n\n")
        .nth(1)
        .unwrap();
    assert!(
        under.starts_with("**Error**\n\n```text\nerror: layer contribution is undefined"),
        "{out}"
    );
    assert!(
        under.contains("10 | let z = contribution(1.0, 2.0, 2.0);\n   |         ^"),
        "{out}"
    );
    // The last block is copied but not run.
    assert!(
        out.contains("print(\"never runs\");\n```\n") && !out.contains("```text\nnever runs"),
        "{out}"
    );
}
