//! Tokenizer and chat template against the references: tiktoken-checked encodings, decode with
//! and without special tokens, transformers' `apply_chat_template`, and llama.cpp's Qwen vectors.

use layerscript::model::tokenizer::{ChatMessage, Tokenizer};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenizer")
}

fn load(name: &str) -> Tokenizer {
    Tokenizer::from_dir(&dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn reference_encodings_and_decodes() {
    let r: Value = serde_json::from_str(
        &std::fs::read_to_string(dir().join("reference_encodings.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    let mut cache = std::collections::HashMap::new();
    for case in r["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        for (name, want) in case
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "text")
        {
            let tok = cache.entry(name.clone()).or_insert_with(|| load(name));
            let got = tok.encode(text).unwrap();
            assert_eq!(got, ids(&want["ids"]), "{name}: {text:?}");
            assert_eq!(
                tok.decode(&got, false).unwrap(),
                want["decoded"].as_str().unwrap(),
                "{name} decode: {text:?}"
            );
            assert_eq!(
                tok.decode(&got, true).unwrap(),
                want["decoded_skip_special"].as_str().unwrap(),
                "{name} decode skip: {text:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} cases");
    for case in r["chat_template"].as_array().unwrap() {
        let name = case["tokenizer"].as_str().unwrap().to_string();
        let tok = cache.entry(name.clone()).or_insert_with(|| load(&name));
        let messages: Vec<ChatMessage> = serde_json::from_value(case["messages"].clone()).unwrap();
        let text = tok
            .apply_chat_template(
                &messages,
                case["add_generation_prompt"].as_bool().unwrap(),
                &case["kwargs"],
            )
            .unwrap();
        assert_eq!(text, case["text"].as_str().unwrap(), "{case}");
        assert_eq!(tok.encode(&text).unwrap(), ids(&case["ids"]));
    }
}

#[test]
fn llama_cpp_vectors() {
    let d = dir().join("llama_cpp_qwen_vectors");
    let inp = std::fs::read_to_string(d.join("ggml-vocab-qwen2.gguf.inp")).unwrap();
    let out = std::fs::read_to_string(d.join("ggml-vocab-qwen2.gguf.out")).unwrap();
    let texts: Vec<&str> = inp.split("\n__ggml_vocab_test__\n").collect();
    let want: Vec<&str> = out.lines().collect();
    assert_eq!(texts.len(), want.len() + 1, "one trailing empty split");
    let tok = load("qwen2.5");
    for (text, line) in texts.iter().zip(want) {
        let w: Vec<u32> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        assert_eq!(tok.encode(text).unwrap(), w, "{text:?}");
    }
}

#[test]
fn special_tokens_and_errors() {
    let tok = load("qwen3-trim4096");
    assert_eq!(
        tok.encode("What is 1+1?").unwrap(),
        vec![3838, 374, 220, 16, 10, 16, 30]
    );
    let eos = tok.eos_ids();
    assert!(
        eos.contains(&tok.token_to_id("<|im_end|>").unwrap()),
        "{eos:?}"
    );
    assert_eq!(tok.pad_id(), tok.token_to_id("<|endoftext|>"));
    let e = Tokenizer::from_dir(Path::new("/nonexistent"))
        .err()
        .unwrap();
    assert!(format!("{e:#}").contains("tokenizer.json"));
    let bad = std::env::temp_dir().join(format!("layerscript-badtok-{}", std::process::id()));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("tokenizer.json"), "{ not json").unwrap();
    let e = Tokenizer::from_dir(&bad).err().unwrap();
    assert!(format!("{e:#}").contains("tokenizer.json"), "{e:#}");
    // Saving writes the original files back.
    let out = bad.join("saved");
    tok.save(&out).unwrap();
    assert_eq!(
        std::fs::read(out.join("tokenizer.json")).unwrap(),
        std::fs::read(dir().join("qwen3-trim4096/tokenizer.json")).unwrap()
    );
}
