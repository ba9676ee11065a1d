//! Tests of the loaders against tiny copies (first 5 lines) of the six benchmark files in
//! `tests/fixtures/data/<name>/test.jsonl`.

use super::*;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/data"))
}

/// Writes `contents` to a fresh file in the system temp dir and returns its path.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("layerscript-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

fn answers(d: &Dataset) -> Vec<&str> {
    d.iter().map(|e| e.answer.as_str()).collect()
}

fn ids(d: &Dataset) -> Vec<&str> {
    d.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn six_benchmarks_load_with_right_answers() {
    let dir = fixtures();
    let expect: [(&str, [&str; 5], &str, &str); 6] = [
        (
            "gsm8k",
            ["18", "3", "70000", "540", "20"],
            "0",
            "Janet\u{2019}s ducks lay 16 eggs",
        ),
        (
            "math500",
            [
                "\\left( 3, \\frac{\\pi}{2} \\right)",
                "p - q",
                "\\frac{14}{3}",
                "9",
                "\\text{Evelyn}",
            ],
            "test/precalculus/807.json",
            "Convert the point $(0,3)$",
        ),
        (
            "aime24",
            ["204", "113", "371", "385", "110"],
            "60",
            "Every morning Aya goes",
        ),
        (
            "amc23",
            ["27", "36", "45", "3159", "36"],
            "0",
            "Cities $A$ and $B$ are $45$ miles",
        ),
        (
            "minerva_math",
            ["1.6", "4.5e33", "41.8", "20.39", "0.006"],
            "0",
            "Each of the two Magellan",
        ),
        (
            "olympiadbench",
            ["2", "\\frac{1}{2 n+2}", "2^{1009}", "2", "2n-2"],
            "1606",
            "Xenia and Sergey",
        ),
    ];
    for (name, ans, first_id, prompt_start) in expect {
        let d = benchmark(name, &dir).unwrap();
        assert_eq!(d.name, name);
        assert_eq!(d.len(), 5, "{name}");
        assert_eq!(answers(&d), ans, "{name}");
        assert_eq!(d.examples[0].id, first_id, "{name}");
        assert!(
            d.examples[0].prompt.starts_with(prompt_start),
            "{name}: {}",
            d.examples[0].prompt
        );
        // Auto-detection on the bare path picks the same fields.
        let auto = benchmark(dir.join(name).join("test.jsonl").to_str().unwrap(), &dir).unwrap();
        assert_eq!(answers(&auto), ans, "{name} (auto-detected)");
        assert_eq!(auto.examples[0].id, first_id, "{name} (auto-detected)");
        assert_eq!(auto.name, name);
    }
}

#[test]
fn solutions_are_kept() {
    let dir = fixtures();
    let g = benchmark("gsm8k", &dir).unwrap();
    assert!(g.examples[0]
        .solution
        .as_deref()
        .unwrap()
        .ends_with("#### 18"));
    let m = benchmark("minerva", &dir).unwrap();
    assert!(m.examples[0]
        .solution
        .as_deref()
        .unwrap()
        .contains("\\boxed{1.6}"));
    let m5 = benchmark("math-500", &dir).unwrap();
    assert!(m5.examples[3]
        .solution
        .as_deref()
        .unwrap()
        .contains("\\boxed{9}"));
    let o = benchmark("OlympiadBench", &dir).unwrap();
    assert!(o.examples[0]
        .solution
        .as_deref()
        .unwrap()
        .starts_with("Sergey can determine"));
    assert_eq!(benchmark("amc23", &dir).unwrap().examples[0].solution, None);
}

#[test]
fn aliases_and_unknown_names() {
    let dir = fixtures();
    assert_eq!(benchmark("MATH-500", &dir).unwrap().name, "math500");
    assert_eq!(benchmark("minerva", &dir).unwrap().name, "minerva_math");
    let err = benchmark("gsm9k", &dir).unwrap_err().to_string();
    for n in BENCHMARK_NAMES {
        assert!(err.contains(n), "{err}");
    }
    let missing = format!(
        "{:#}",
        benchmark("gsm8k", Path::new("/nonexistent-dir")).unwrap_err()
    );
    assert!(
        missing.contains("/nonexistent-dir/gsm8k/test.jsonl"),
        "{missing}"
    );
}

#[test]
fn missing_field_error_names_file_line_and_fields() {
    let path = fixtures().join("gsm8k/test.jsonl");
    let map = FieldMap::new("problem", "answer");
    let err = format!("{:#}", load_jsonl(&path, &map).unwrap_err());
    assert!(
        err.ends_with(
            "gsm8k/test.jsonl line 1: no field 'problem' (fields: question, answer, idx)"
        ),
        "{err}"
    );
    // Line numbers count blank lines; field order is the file's.
    let p = temp_file(
        "missing.jsonl",
        "{\"question\":\"1+1?\",\"answer\":\"#### 2\",\"idx\":0}\n\n{\"zeta\":1,\"question\":\"2+2?\"}\n",
    );
    let map = FieldMap::new("question", "answer").with_extract(AnswerExtract::Gsm8kHashes);
    let err = format!("{:#}", load_jsonl(&p, &map).unwrap_err());
    assert!(
        err.ends_with("missing.jsonl line 3: no field 'answer' (fields: zeta, question)"),
        "{err}"
    );
}

#[test]
fn bad_lines_are_reported() {
    let p = temp_file("bad.jsonl", "{\"q\":\"a\",\"a\":\"1\"}\n{not json}\n");
    let err = format!(
        "{:#}",
        load_jsonl(&p, &FieldMap::new("q", "a")).unwrap_err()
    );
    assert!(
        err.contains("bad.jsonl line 2: invalid JSON object"),
        "{err}"
    );
    let p = temp_file("arr.jsonl", "[1,2]\n");
    assert!(load_jsonl(&p, &FieldMap::new("q", "a")).is_err());
    let p = temp_file(
        "nobox.jsonl",
        "{\"problem\":\"x\",\"solution\":\"no box here\"}\n",
    );
    let map = FieldMap::new("problem", "solution").with_extract(AnswerExtract::LastBoxed);
    let err = format!("{:#}", load_jsonl(&p, &map).unwrap_err());
    assert!(
        err.contains("line 1: field 'solution': no \\boxed{} in the text"),
        "{err}"
    );
    let p = temp_file("null.jsonl", "{\"q\":\"x\",\"a\":null}\n");
    assert!(format!(
        "{:#}",
        load_jsonl(&p, &FieldMap::new("q", "a")).unwrap_err()
    )
    .contains("null"));
    assert!(load_jsonl(fixtures().join("nope.jsonl"), &FieldMap::new("q", "a")).is_err());
}

#[test]
fn csv_loading() {
    let p = temp_file(
        "tiny.csv",
        "qid,question,answer\n7,\"What is 2+3?\nThink.\",5.0\n8,\"Say \"\"hi\"\"\",\"1,250\"\n",
    );
    let map = FieldMap::new("question", "answer").with_id("qid");
    let d = load_csv(&p, &map).unwrap();
    assert_eq!(d.name, "tiny");
    assert_eq!(ids(&d), ["7", "8"]);
    assert_eq!(d.examples[0].prompt, "What is 2+3?\nThink.");
    assert_eq!(
        answers(&d),
        ["5.0", "1,250"],
        "CSV cells are text, not reformatted"
    );
    assert_eq!(d.examples[1].prompt, "Say \"hi\"");

    let d = load_auto(&p).unwrap();
    assert_eq!(answers(&d), ["5.0", "1,250"]);
    assert_eq!(
        ids(&d),
        ["tiny/0", "tiny/1"],
        "no id/idx/unique_id column: rows are numbered"
    );

    let err = format!(
        "{:#}",
        load_csv(&p, &FieldMap::new("problem", "answer")).unwrap_err()
    );
    assert!(
        err.ends_with("tiny.csv line 2: no field 'problem' (fields: qid, question, answer)"),
        "{err}"
    );

    let p = temp_file(
        "list.csv",
        "question,final_answer\nq,\"[\"\"$5$\"\"]\"\nr,$x$\n",
    );
    let d = load_auto(&p).unwrap();
    assert_eq!(answers(&d), ["5", "x"]);

    let p = temp_file("gsm.csv", "question,answer\nq,\"a\n#### 1,000\"\n");
    assert_eq!(answers(&load_auto(&p).unwrap()), ["1000"]);
}

#[test]
fn detect_reports_missing_fields() {
    let p = temp_file("odd.jsonl", "{\"text\":\"x\",\"label\":\"y\"}\n");
    let err = format!("{:#}", load_auto(&p).unwrap_err());
    assert!(
        err.contains("none of problem, question, prompt (fields: text, label)"),
        "{err}"
    );
    let p = temp_file("odd2.jsonl", "{\"prompt\":\"x\",\"label\":\"y\"}\n");
    let err = format!("{:#}", load_auto(&p).unwrap_err());
    assert!(
        err.contains("none of answer, final_answer, solution (fields: prompt, label)"),
        "{err}"
    );
    let p = temp_file("empty.jsonl", "\n\n");
    assert!(format!("{:#}", load_auto(&p).unwrap_err()).contains("no records"));
}

#[test]
fn field_map_serde() {
    let m: FieldMap = serde_json::from_str(
        r#"{"prompt":"question","answer":"answer","id":null,"answer_extract":"gsm8k_hashes"}"#,
    )
    .unwrap();
    assert_eq!(
        m,
        FieldMap::new("question", "answer").with_extract(AnswerExtract::Gsm8kHashes)
    );
}
