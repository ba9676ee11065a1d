//! `run_file` end to end on `tests/scripts/contribution.rhai`, with `--set` and shards.

use super::*;
use crate::script::run_file;
use crate::script::runner::{parse_set, parse_shard};
use std::path::Path;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/contribution.rhai")
}

#[test]
fn runs_a_script_with_params() {
    let dir = temp_dir("runner");
    let out = dir.join("ell.csv");
    let sets = vec![
        parse_set(&format!("table={}", fixture_csv().display())).unwrap(),
        parse_set(&format!("out={}", out.display())).unwrap(),
        parse_set("k=2").unwrap(),
    ];
    run_file(&script(), &sets, None).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "layer,contribution,selected");
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[4], "3,1.1,true");
    assert_eq!(lines[5], "4,1.0,true");
    assert_eq!(lines[3], "2,0.85,false");
}

#[test]
fn shards_split_the_layers() {
    let dir = temp_dir("runner-shard");
    let out = dir.join("ell.csv");
    let sets = vec![
        ("table".to_string(), fixture_csv().display().to_string()),
        ("out".to_string(), out.display().to_string()),
    ];
    run_file(&script(), &sets, Some((1, 3))).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let layers: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(layers, vec!["1", "4", "7"]);
}

#[test]
fn script_errors_come_back_rendered() {
    let dir = temp_dir("runner-err");
    let path = dir.join("bad.rhai");
    std::fs::write(
        &path,
        "let k = param(\"k\", 3);\nlet x = top_k([1.0], -k);\n",
    )
    .unwrap();
    let err = format!("{:#}", run_file(&path, &[], None).unwrap_err());
    assert!(err.starts_with("error: k must be >= 0, got -3\n"), "{err}");
    assert!(
        err.contains(&format!("--> {}:2:9", path.display())),
        "{err}"
    );
    let err = run_file(&dir.join("missing.rhai"), &[], None).unwrap_err();
    assert!(format!("{err:#}").contains("reading script"), "{err:#}");
    assert!(run_file(&path, &[], Some((3, 3))).is_err());
}

#[test]
fn parses_cli_pieces() {
    assert_eq!(parse_shard("2/8").unwrap(), (2, 8));
    assert!(parse_shard("8/8").is_err() && parse_shard("x").is_err());
    assert_eq!(parse_set("lr=1e-6").unwrap(), ("lr".into(), "1e-6".into()));
    assert_eq!(
        parse_set("expr=a=b").unwrap(),
        ("expr".into(), "a=b".into())
    );
    assert!(parse_set("novalue").is_err());
}

#[test]
fn imports_from_a_stdlib_beside_the_script_and_the_script_folder() {
    let dir = temp_dir("runner-stdlib");
    std::fs::create_dir_all(dir.join("stdlib")).unwrap();
    std::fs::write(
        dir.join("stdlib/mylib.rhai"),
        "/// Doc.\nfn answer() { 42 }\n",
    )
    .unwrap();
    std::fs::write(dir.join("helper.rhai"), "fn twice(x) { 2 * x }\n").unwrap();
    let out = dir.join("out.json");
    std::fs::write(
        dir.join("s.rhai"),
        "import \"mylib\" as m;\nimport \"helper\" as h;\nwrite_json(param(\"out\", \"\"), h::twice(m::answer()));\n",
    )
    .unwrap();
    let sets = vec![("out".to_string(), out.display().to_string())];
    run_file(&dir.join("s.rhai"), &sets, None).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap().trim(), "84");
    // The crate's own stdlib is still searched after the local one.
    std::fs::write(
        dir.join("t.rhai"),
        "import \"layers\" as l;\nl::best_layers([#{ layer: 4, contribution: 0.5 }], 1);\n",
    )
    .unwrap();
    run_file(&dir.join("t.rhai"), &[], None).unwrap();
    std::fs::write(dir.join("u.rhai"), "import \"nowhere\" as n;\n").unwrap();
    let err = format!(
        "{:#}",
        run_file(&dir.join("u.rhai"), &[], None).unwrap_err()
    );
    assert!(err.contains("Module not found: nowhere"), "{err}");
    // A broken module is reported at its own line.
    std::fs::write(
        dir.join("stdlib/broken.rhai"),
        "fn ok() { 1 }\nfn bad( { 2 }\n",
    )
    .unwrap();
    std::fs::write(dir.join("v.rhai"), "import \"broken\" as b;\n").unwrap();
    let err = format!(
        "{:#}",
        run_file(&dir.join("v.rhai"), &[], None).unwrap_err()
    );
    assert!(err.contains("stdlib/broken.rhai:2:"), "{err}");
    assert!(err.contains("2 | fn bad( { 2 }"), "{err}");
    assert!(
        err.contains("while loading module `broken`, imported at "),
        "{err}"
    );
}

#[test]
fn shard_auto_reads_the_slurm_array() {
    use crate::script::runner::slurm_shard;
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    let s = slurm_shard(env(&[
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_COUNT", "28"),
    ]));
    assert_eq!(s.unwrap(), (3, 28));
    // `--array=1-28`: ids start at the minimum.
    let s = slurm_shard(env(&[
        ("SLURM_ARRAY_TASK_ID", "28"),
        ("SLURM_ARRAY_TASK_COUNT", "28"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
    ]));
    assert_eq!(s.unwrap(), (27, 28));
    let e = slurm_shard(env(&[("SLURM_ARRAY_TASK_COUNT", "28")])).unwrap_err();
    assert!(
        e.to_string().contains("SLURM_ARRAY_TASK_ID is not set"),
        "{e}"
    );
    let e = slurm_shard(env(&[
        ("SLURM_ARRAY_TASK_ID", "x"),
        ("SLURM_ARRAY_TASK_COUNT", "2"),
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("\"x\" is not a number"), "{e}");
    let e = slurm_shard(env(&[
        ("SLURM_ARRAY_TASK_ID", "5"),
        ("SLURM_ARRAY_TASK_COUNT", "2"),
    ]))
    .unwrap_err();
    assert!(e.to_string().contains("outside the array"), "{e}");
}
