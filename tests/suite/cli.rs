//! The `layerscript` binary as a user drives it: the REPL over piped stdin, `run` with an error
//! (exit code, file:line and caret on stderr), `run --set --shard`, and `verify`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn layerscript(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_layerscript"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn repl_over_piped_stdin() {
    let out = layerscript(
        &[],
        "let m = tiny_model(#{ layers: 3 });\nfn twice(x) {\n  x * 2\n}\ntwice(m.num_layers)\n:help train_only\n:vars\n:quit\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        stdout.lines().any(|l| l.trim() == "6"),
        "multi-line fn and a value: {stdout}"
    );
    assert!(
        stdout.contains("train_only(m: Model, layers: array) -> Model"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Model(tiny"),
        ":vars shows the model: {stdout}"
    );
}

#[test]
fn run_reports_script_errors_with_a_caret_and_fails() {
    let dir = std::env::temp_dir().join(format!("layerscript-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("bad.rhai");
    std::fs::write(
        &script,
        "let m = tiny_model(#{ layers: 2 });\n\nm.train_only([31]);\n",
    )
    .unwrap();
    let out = layerscript(&["run", script.to_str().unwrap()], "");
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("layer 31 out of range: model has 2 layers (0..=1)"),
        "{err}"
    );
    assert!(
        err.contains("bad.rhai:3:3") && err.contains("m.train_only([31]);") && err.contains('^'),
        "{err}"
    );

    let csv = dir.join("ell.csv");
    let out = layerscript(
        &[
            "run",
            "tests/scripts/contribution.rhai",
            "--set",
            &format!("out={}", csv.display()),
            "--shard",
            "1/2",
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(rows.lines().count() > 1, "{rows}");
    let bad = layerscript(
        &["run", "tests/scripts/contribution.rhai", "--shard", "2/2"],
        "",
    );
    assert!(!bad.status.success() && text(&bad.stderr).contains("0 <= index < count"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_prints_the_verdict() {
    let out = layerscript(
        &[
            "verify",
            "--gold",
            "\\frac{1}{2}",
            "--pred",
            "so the answer is \\boxed{0.5}",
        ],
        "",
    );
    assert_eq!(text(&out.stdout).trim(), "true");
    let out = layerscript(&["verify", "--gold", "3", "--pred", "\\boxed{4}"], "");
    assert_eq!(text(&out.stdout).trim(), "false");
}
