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

/// Ctrl-C during `grpo`: the step in flight finishes, a checkpoint is written, the script fails
/// with a message saying where; running it again resumes from that step.
#[cfg(unix)]
#[test]
fn ctrl_c_checkpoints_and_the_rerun_resumes() {
    let dir = std::env::temp_dir().join(format!("layerscript-cli-int-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("long.rhai");
    let run_dir = dir.join("run");
    std::fs::write(
        &script,
        format!(
            "let m = tiny_model(#{{ layers: 2, hidden: 32, heads: 2, kv_heads: 1, intermediate: 64 }});\n\
             let ds = synthetic_task(#{{ n: 8, digits: 1, ops: \"+\" }});\n\
             let r = grpo(m.train_only(1), ds, #{{ steps: param(\"steps\", 100000), train_batch: 2, mini_batch: 2, \
             micro_batch: 4, group: 2, max_response_len: 4, lr: 1e-3, out: \"{}\" }});\n\
             print(`steps ${{r.metrics().len()}}`);\n",
            run_dir.display()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_layerscript"))
        .args(["run", script.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let metrics = run_dir.join("metrics.jsonl");
    let t0 = std::time::Instant::now();
    while std::fs::read_to_string(&metrics)
        .map(|t| t.lines().count())
        .unwrap_or(0)
        < 2
    {
        assert!(t0.elapsed().as_secs() < 120, "no training steps logged");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("interrupted after step") && err.contains("checkpoint saved"),
        "{err}"
    );
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("checkpoint/state.json")).unwrap(),
    )
    .unwrap();
    let saved = state["step"].as_u64().unwrap();
    let logged = std::fs::read_to_string(&metrics).unwrap().lines().count() as u64;
    assert_eq!(saved, logged, "the checkpoint holds every logged step");
    // Rerun with a finite budget: it resumes at `saved` and finishes.
    let steps = saved + 2;
    let out = layerscript(
        &[
            "run",
            script.to_str().unwrap(),
            "--set",
            &format!("steps={steps}"),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains(&format!(
        "resumed the run in {} at step {saved}",
        run_dir.display()
    )));
    assert!(text(&out.stdout).contains(&format!("steps {steps}")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `logits --text` tokenizes with the folder's tokenizer (and `--chat` renders its chat template
/// first), giving the ids transformers recorded; an id outside the vocabulary is a sentence, not
/// a panic inside burn.
#[test]
fn logits_takes_text_chat_and_rejects_bad_ids() {
    let model = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/models/qwen3-tiny-tied-v4224/f32"
    );
    let dir = std::env::temp_dir().join(format!("layerscript-logits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids_of = |path: &std::path::Path| -> Vec<i64> {
        let bytes = std::fs::read(path).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        st.tensor("input_ids")
            .unwrap()
            .data()
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect()
    };
    let out = dir.join("plain.safetensors");
    let o = layerscript(
        &[
            "logits",
            model,
            "--text",
            "What is 1+1?",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(ids_of(&out), [3838, 374, 220, 16, 10, 16, 30]);
    let out = dir.join("chat.safetensors");
    let o = layerscript(
        &[
            "logits",
            model,
            "--text",
            "What is 1+1?",
            "--chat",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    // The fixture's p1_chat prompt: Qwen3's template with the generation prompt.
    assert_eq!(
        ids_of(&out),
        [4097, 872, 198, 3838, 374, 220, 16, 10, 16, 30, 4098, 198, 4097, 395, 380, 517, 198]
    );
    let o = layerscript(
        &[
            "logits",
            model,
            "--ids",
            "1,2,999999",
            "--out",
            dir.join("x.safetensors").to_str().unwrap(),
        ],
        "",
    );
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.contains("token id 999999 in --ids is outside the model's vocabulary of 4224"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An evaluation report typed at the prompt is a summary a person reads, not every response of
/// every record.
#[test]
fn repl_summarises_an_evaluation_report() {
    let out = layerscript(
        &[],
        "let m = tiny_model(#{ layers: 2, hidden: 32, heads: 2, kv_heads: 1, intermediate: 64 });\n\
         let d = synthetic_task(#{ n: 4, digits: 1, ops: \"+\" });\n\
         evaluate(m, d, #{ samples: 2, temperature: 1.0, max_new_tokens: 6 })\n:quit\n",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("accuracy: "), "{stdout}");
    assert!(stdout.contains("records: 4 records (.records)"), "{stdout}");
    assert!(
        !stdout.contains("responses"),
        "records are not printed inline: {stdout}"
    );
    assert!(stdout.lines().count() < 40, "a screenful at most: {stdout}");
}
