//! Tokenizer against references no one on this project wrote: tiktoken-checked encodings with
//! HF decodes, transformers' `apply_chat_template` output, llama.cpp's Qwen test vectors; plus
//! special tokens, loading errors and saving.
//!
//! Fixtures live in `tests/fixtures/tokenizer/` (all four tokenizers ship with the repository;
//! `$LAYERSCRIPT_TOKENIZERS` is a second place to look). A missing one fails the tests.

use super::*;

pub(super) const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tokenizer");

/// The folder of tokenizer `name`, if present (fixtures first, then `$LAYERSCRIPT_TOKENIZERS`).
pub(super) fn tokenizer_dir(name: &str) -> Option<PathBuf> {
    let local = Path::new(FIXTURES).join(name);
    if local.join("tokenizer.json").is_file() {
        return Some(local);
    }
    let env = PathBuf::from(std::env::var_os("LAYERSCRIPT_TOKENIZERS")?).join(name);
    env.join("tokenizer.json").is_file().then_some(env)
}

/// Loads tokenizer `name` from the fixtures.
pub(super) fn load(name: &str) -> Tokenizer {
    let d = tokenizer_dir(name).unwrap_or_else(|| {
        panic!("tokenizer '{name}' is in neither {FIXTURES} nor $LAYERSCRIPT_TOKENIZERS")
    });
    Tokenizer::from_dir(&d).unwrap_or_else(|e| panic!("{name}: {e:#}"))
}

fn reference() -> Json {
    let text =
        std::fs::read_to_string(Path::new(FIXTURES).join("reference_encodings.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn ids(v: &Json) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn cached<'a>(cache: &'a mut HashMap<String, Tokenizer>, name: &str) -> &'a Tokenizer {
    cache.entry(name.to_string()).or_insert_with(|| load(name))
}

pub(super) fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("layerscript-tok-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn reference_encodings_tokens_and_decodes() {
    let r = reference();
    let mut cache = HashMap::new();
    let mut total = 0;
    for case in r["cases"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        for (name, want) in case
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| *k != "text")
        {
            total += 1;
            let tok = cached(&mut cache, name);
            let got = tok.encode(text).unwrap();
            assert_eq!(got, ids(&want["ids"]), "{name}: {text:?}");
            let tokens: Vec<String> = got.iter().map(|&i| tok.id_to_token(i).unwrap()).collect();
            assert_eq!(
                Json::from(tokens),
                want["tokens"],
                "{name} tokens: {text:?}"
            );
            assert_eq!(
                tok.decode(&got, false).unwrap(),
                want["decoded"].as_str().unwrap(),
                "{name} decode: {text:?}"
            );
            let skip = want["decoded_skip_special"].as_str().unwrap();
            assert_eq!(
                tok.decode(&got, true).unwrap(),
                skip,
                "{name} decode skip: {text:?}"
            );
        }
    }
    assert_eq!(
        total, 72,
        "reference_encodings.json: 18 texts x 4 tokenizers"
    );
}

#[test]
fn encode_batch_matches_encode() {
    let r = reference();
    let texts: Vec<&str> = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    let tok = load("qwen3-trim4096");
    let batch = tok.encode_batch(&texts).unwrap();
    assert_eq!(batch.len(), texts.len());
    for (t, b) in texts.iter().zip(&batch) {
        assert_eq!(&tok.encode(t).unwrap(), b, "{t:?}");
    }
    let decoded = tok.decode_batch(&batch, false).unwrap();
    let owned: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    assert_eq!(tok.encode_batch(&owned).unwrap(), batch);
    assert_eq!(decoded.len(), texts.len());
}

#[test]
fn chat_template_cases_render_and_encode() {
    let r = reference();
    let mut cache = HashMap::new();
    let mut total = 0;
    for case in r["chat_template"].as_array().unwrap() {
        total += 1;
        let name = case["tokenizer"].as_str().unwrap();
        let tok = cached(&mut cache, name);
        let messages: Vec<ChatMessage> = serde_json::from_value(case["messages"].clone()).unwrap();
        let agp = case["add_generation_prompt"].as_bool().unwrap();
        let text = tok
            .apply_chat_template(&messages, agp, &case["kwargs"])
            .unwrap();
        assert_eq!(text, case["text"].as_str().unwrap(), "{name}: {case}");
        assert_eq!(
            tok.encode(&text).unwrap(),
            ids(&case["ids"]),
            "{name}: {case}"
        );
        assert_eq!(
            tok.encode_chat(&messages, agp, case["kwargs"].clone())
                .unwrap(),
            ids(&case["ids"])
        );
        // The trimmed tokenizer of the same family carries the same template.
        let trim = format!("{name}-trim4096");
        {
            let t = cached(&mut cache, &trim);
            assert_eq!(
                t.apply_chat_template(&messages, agp, &case["kwargs"])
                    .unwrap(),
                case["text"].as_str().unwrap()
            );
        }
    }
    assert_eq!(total, 6);
}

/// llama.cpp's `test-tokenizer-0` format: the `.inp` file is every text followed by
/// `\n__ggml_vocab_test__\n`; the `.out` file has one line per text with its ids, space-separated
/// (an empty text gives an empty line).
fn llama_cpp_vectors() -> Vec<(String, Vec<u32>)> {
    let d = Path::new(FIXTURES).join("llama_cpp_qwen_vectors");
    let inp = std::fs::read_to_string(d.join("ggml-vocab-qwen2.gguf.inp")).unwrap();
    let out = std::fs::read_to_string(d.join("ggml-vocab-qwen2.gguf.out")).unwrap();
    const SEP: &str = "\n__ggml_vocab_test__\n";
    let mut texts = Vec::new();
    let mut rest = inp.as_str();
    while !rest.is_empty() {
        match rest.find(SEP) {
            Some(i) => {
                texts.push(rest[..i].to_string());
                rest = &rest[i + SEP.len()..];
            }
            None => {
                texts.push(rest.to_string());
                rest = "";
            }
        }
    }
    let want: Vec<Vec<u32>> = out
        .lines()
        .map(|l| l.split_whitespace().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(texts.len(), want.len(), "one output line per input text");
    texts.into_iter().zip(want).collect()
}

#[test]
fn llama_cpp_qwen_vectors_full_vocab() {
    let vectors = llama_cpp_vectors();
    assert_eq!(vectors.len(), 46);
    assert!(
        vectors
            .iter()
            .any(|(t, ids)| t.is_empty() && ids.is_empty()),
        "has the empty text"
    );
    assert!(
        vectors.iter().any(|(t, _)| t == "\n\n\n"),
        "newline-only texts survive parsing"
    );
    // Qwen2.5 and Qwen3 share the BPE: both must reproduce every vector.
    for name in ["qwen2.5", "qwen3"] {
        let tok = load(name);
        for (text, want) in &vectors {
            assert_eq!(&tok.encode(text).unwrap(), want, "{name}: {text:?}");
        }
        eprintln!(
            "llama.cpp vectors: {name} {}/{} pass",
            vectors.len(),
            vectors.len()
        );
    }
}

#[test]
fn special_tokens_eos_and_pad() {
    let tok = load("qwen3-trim4096");
    assert_eq!(
        tok.encode("What is 1+1?").unwrap(),
        vec![3838, 374, 220, 16, 10, 16, 30]
    );
    let im_end = tok.token_to_id("<|im_end|>").unwrap();
    let eot = tok.token_to_id("<|endoftext|>").unwrap();
    assert_eq!(tok.eos_ids(), vec![im_end]);
    assert_eq!(tok.pad_id(), Some(eot));
    assert_eq!(tok.special_token("eos_token"), Some("<|im_end|>"));
    assert_eq!(tok.special_token("bos_token"), None);
    assert_eq!(tok.vocab_size(false), 4096);
    assert_eq!(tok.vocab_size(true), 4096 + 26);
    assert_eq!(tok.id_to_token(1_000_000), None);
    // Unknown ids (embedding padding rows) decode to nothing, as in HF.
    assert_eq!(tok.decode(&[3838, 5000, 374], false).unwrap(), "What is");
    {
        let full = load("qwen3");
        assert_eq!(full.token_to_id("<|endoftext|>"), Some(151643));
        assert_eq!(full.token_to_id("<|im_start|>"), Some(151644));
        assert_eq!(full.token_to_id("<|im_end|>"), Some(151645));
        assert_eq!(full.token_to_id("</think>"), Some(151668));
        assert_eq!(full.vocab_size(true), 151669);
        // With the chat models' generation_config.json: <|im_end|> and <|endoftext|>.
        let d = temp_dir("gen");
        let src = tokenizer_dir("qwen3").unwrap();
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            std::fs::copy(src.join(f), d.join(f)).unwrap();
        }
        std::fs::write(
            d.join("generation_config.json"),
            r#"{"eos_token_id": [151645, 151643], "pad_token_id": 151643}"#,
        )
        .unwrap();
        let t = Tokenizer::from_dir(&d).unwrap();
        assert_eq!(t.eos_ids(), vec![151645, 151643]);
        std::fs::write(
            d.join("generation_config.json"),
            r#"{"eos_token_id": 151643}"#,
        )
        .unwrap();
        assert_eq!(
            Tokenizer::from_dir(&d).unwrap().eos_ids(),
            vec![151645, 151643]
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn embedded_default_is_the_trimmed_qwen3() {
    fn send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    send_sync::<Tokenizer>();
    let e = Tokenizer::embedded_default().unwrap();
    let t = load("qwen3-trim4096");
    let text = "<|im_start|>user\nWhat is 12+30?<|im_end|>\n";
    assert_eq!(e.encode(text).unwrap(), t.encode(text).unwrap());
    assert_eq!(e.eos_ids(), t.eos_ids());
    assert_eq!(e.chat_template(), t.chat_template());
}

#[test]
fn clear_load_errors() {
    let e = format!(
        "{:#}",
        Tokenizer::from_dir(Path::new("/nonexistent/layerscript-tok")).unwrap_err()
    );
    assert!(
        e.contains("/nonexistent/layerscript-tok") && e.contains("no such directory"),
        "{e}"
    );
    let d = temp_dir("errors");
    let e = format!("{:#}", Tokenizer::from_dir(&d).unwrap_err());
    assert!(e.contains("no tokenizer.json"), "{e}");
    std::fs::write(d.join("vocab.json"), "{}").unwrap();
    let e = format!("{:#}", Tokenizer::from_dir(&d).unwrap_err());
    assert!(
        e.contains("vocab.json") && e.contains("save_pretrained"),
        "{e}"
    );
    std::fs::write(d.join("tokenizer.json"), "{\n  \"model\": { not json").unwrap();
    let e = format!("{:#}", Tokenizer::from_dir(&d).unwrap_err());
    assert!(
        e.contains("tokenizer.json") && e.contains("malformed JSON") && e.contains("line 2 column"),
        "{e}"
    );
    std::fs::write(
        d.join("tokenizer.json"),
        r#"{"version": "1.0", "model": {"type": "Nope"}}"#,
    )
    .unwrap();
    let e = format!("{:#}", Tokenizer::from_dir(&d).unwrap_err());
    assert!(
        e.contains("tokenizer.json") && e.contains("tokenizers"),
        "{e}"
    );
    std::fs::write(d.join("tokenizer.json"), b"").unwrap();
    assert!(Tokenizer::from_dir(&d).is_err());
    std::fs::copy(
        Path::new(FIXTURES).join("qwen3-trim4096/tokenizer.json"),
        d.join("tokenizer.json"),
    )
    .unwrap();
    std::fs::write(
        d.join("tokenizer_config.json"),
        "{\"eos_token\": \"<|im_end|>\",\n\"x\": }",
    )
    .unwrap();
    let e = format!("{:#}", Tokenizer::from_dir(&d).unwrap_err());
    assert!(
        e.contains("tokenizer_config.json") && e.contains("line 2 column"),
        "{e}"
    );
    std::fs::write(d.join("tokenizer_config.json"), "{}").unwrap();
    std::fs::write(d.join("generation_config.json"), "[").unwrap();
    let e = format!("{:#}", Tokenizer::from_dir(&d).unwrap_err());
    assert!(
        e.contains("generation_config.json") && e.contains("malformed JSON"),
        "{e}"
    );
    let f = d.join("tokenizer.json");
    let e = format!("{:#}", Tokenizer::from_dir(&f).unwrap_err());
    assert!(e.contains("not a directory"), "{e}");
    let e = format!(
        "{:#}",
        Tokenizer::from_files(&d.join("missing.json"), None).unwrap_err()
    );
    assert!(e.contains("missing.json"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn save_writes_original_bytes_and_reloads() {
    let src = Path::new(FIXTURES).join("qwen3-trim4096");
    let d = temp_dir("save");
    for f in ["tokenizer.json", "tokenizer_config.json"] {
        std::fs::copy(src.join(f), d.join(f)).unwrap();
    }
    let gen = b"{\n  \"eos_token_id\": [4097, 4096]\n}\n";
    std::fs::write(d.join("generation_config.json"), gen).unwrap();
    let tok = Tokenizer::from_dir(&d).unwrap();
    let out = d.join("out/nested");
    let written = tok.save(&out).unwrap();
    assert_eq!(written.len(), 3);
    for f in [
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(d.join(f)).unwrap(),
            "{f}"
        );
    }
    let back = Tokenizer::from_dir(&out).unwrap();
    assert_eq!(back.eos_ids(), tok.eos_ids());
    assert_eq!(
        back.encode("<|im_start|>x 1+2").unwrap(),
        tok.encode("<|im_start|>x 1+2").unwrap()
    );
    // Saving over the source folder keeps it intact.
    tok.save(&d).unwrap();
    assert_eq!(
        std::fs::read(d.join("generation_config.json")).unwrap(),
        gen
    );
    let _ = std::fs::remove_dir_all(&d);
}
