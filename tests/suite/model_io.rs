//! Loading errors, save -> load round trips, random-init models and batched generation semantics.

use super::fixtures::model_folders;
use layerscript::backend::{Compute, Device};
use layerscript::model::generate::{generate, GenerateOptions};
use layerscript::model::load::{hf_tensors, SafetensorsSource};
use layerscript::model::{load_model, random_model, save_model, Family, Qwen, QwenConfig};
use std::path::{Path, PathBuf};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("layerscript-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

fn load_err(dir: &Path) -> String {
    format!(
        "{:#}",
        load_model::<Compute>(dir, &Device::default())
            .err()
            .expect("loading should fail")
    )
}

#[test]
fn save_load_round_trip_is_bit_identical() {
    for folder in model_folders() {
        for dtype in ["f32", "bf16"] {
            let src = folder.join(dtype);
            let dev = Device::default();
            let m: Qwen<Compute> = load_model(&src, &dev).unwrap();
            let out = tmp(&format!("rt-{dtype}"));
            save_model(&m, &out).unwrap();
            // The file keeps the checkpoint's dtype and tensor names.
            let a = SafetensorsSource::open_dir(&src).unwrap();
            let b = SafetensorsSource::open_dir(&out).unwrap();
            assert_eq!(a.dominant_dtype(), b.dominant_dtype());
            b.check(&m.config).unwrap();
            let m2: Qwen<Compute> = load_model(&out, &dev).unwrap();
            let (t1, t2) = (hf_tensors(&m).unwrap(), hf_tensors(&m2).unwrap());
            assert_eq!(t1.len(), t2.len());
            for ((n1, s1, d1), (n2, s2, d2)) in t1.iter().zip(&t2) {
                assert_eq!((n1, s1), (n2, s2));
                assert!(
                    d1.iter().zip(d2).all(|(x, y)| x.to_bits() == y.to_bits()),
                    "{n1} changed in the round trip"
                );
            }
        }
    }
}

#[test]
fn malformed_checkpoints_are_named_errors() {
    let folder = &model_folders()[0];
    let good = folder.join("f32");

    let d = tmp("truncated");
    copy_dir(&good, &d);
    let bytes = std::fs::read(d.join("model.safetensors")).unwrap();
    std::fs::write(d.join("model.safetensors"), &bytes[..bytes.len() / 2]).unwrap();
    let e = load_err(&d);
    assert!(
        e.contains("model.safetensors") && e.contains("not a valid safetensors"),
        "{e}"
    );

    std::fs::write(d.join("model.safetensors"), b"garbage").unwrap();
    assert!(load_err(&d).contains("not a valid safetensors"));

    // A config whose shapes disagree with the weights: every mismatch is listed by name.
    let d = tmp("shape");
    copy_dir(&good, &d);
    let mut cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("config.json")).unwrap()).unwrap();
    cfg["intermediate_size"] = serde_json::json!(96);
    std::fs::write(d.join("config.json"), cfg.to_string()).unwrap();
    let e = load_err(&d);
    assert!(
        e.contains("model.layers.0.mlp.gate_proj.weight") && e.contains("expected shape [96, 64]"),
        "{e}"
    );
    assert!(e.contains("model.layers.3.mlp.down_proj.weight"), "{e}");

    // One layer fewer in the config: the extra layer's tensors are named.
    cfg["intermediate_size"] = serde_json::json!(128);
    cfg["num_hidden_layers"] = serde_json::json!(3);
    std::fs::write(d.join("config.json"), cfg.to_string()).unwrap();
    let e = load_err(&d);
    assert!(
        e.contains("unexpected tensor `model.layers.3.input_layernorm.weight`"),
        "{e}"
    );

    // Missing weights file and missing config.
    let d = tmp("empty");
    std::fs::copy(good.join("config.json"), d.join("config.json")).unwrap();
    assert!(load_err(&d).contains("no model.safetensors"));
    let e = load_err(&tmp("nothing"));
    assert!(e.contains("config.json"), "{e}");
}

#[test]
fn sharded_checkpoint_loads_like_single_file() {
    let folder = &model_folders()[0];
    let dev = Device::default();
    let m: Qwen<Compute> = load_model(&folder.join("f32"), &dev).unwrap();
    // Split the tensors over two shards with an index, as HF does for large models.
    let d = tmp("sharded");
    std::fs::copy(folder.join("f32/config.json"), d.join("config.json")).unwrap();
    let tensors = hf_tensors(&m).unwrap();
    let mut weight_map = serde_json::Map::new();
    for (k, part) in tensors.chunks(tensors.len() / 2 + 1).enumerate() {
        let file = format!("model-0000{}-of-00002.safetensors", k + 1);
        let bytes: Vec<Vec<u8>> = part
            .iter()
            .map(|(_, _, d)| d.iter().flat_map(|x| x.to_le_bytes()).collect())
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView)> = part
            .iter()
            .zip(&bytes)
            .map(|((n, s, _), b)| {
                (
                    n.clone(),
                    safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                        .unwrap(),
                )
            })
            .collect();
        std::fs::write(d.join(&file), safetensors::serialize(views, None).unwrap()).unwrap();
        for (n, _, _) in part {
            weight_map.insert(n.clone(), file.clone().into());
        }
    }
    std::fs::write(
        d.join("model.safetensors.index.json"),
        serde_json::json!({"metadata": {}, "weight_map": weight_map}).to_string(),
    )
    .unwrap();
    let m2: Qwen<Compute> = load_model(&d, &dev).unwrap();
    let (a, b) = (hf_tensors(&m).unwrap(), hf_tensors(&m2).unwrap());
    assert!(a.iter().zip(&b).all(|(x, y)| x.0 == y.0 && x.2 == y.2));
}

fn tiny_random(family: Family, seed: u64) -> Qwen<Compute> {
    let cfg = QwenConfig::tiny(family, 2, 32, 4, 2, 64, 300);
    random_model(&cfg, seed, &Device::default()).unwrap()
}

#[test]
fn random_init_is_seeded() {
    let a = hf_tensors(&tiny_random(Family::Qwen3, 7)).unwrap();
    let b = hf_tensors(&tiny_random(Family::Qwen3, 7)).unwrap();
    let c = hf_tensors(&tiny_random(Family::Qwen3, 8)).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x.2 == y.2));
    assert!(a.iter().zip(&c).any(|(x, y)| x.2 != y.2));
}

#[test]
fn batched_generation_matches_one_prompt_at_a_time() {
    for family in [Family::Qwen2, Family::Qwen3] {
        let m = tiny_random(family, 3);
        let prompts = vec![vec![5, 17, 42, 9, 100, 7], vec![250], vec![11, 12, 13]];
        let opts = GenerateOptions {
            max_new_tokens: 8,
            ..Default::default()
        };
        let batched = generate(&m, &prompts, &opts, None).unwrap();
        for (i, p) in prompts.iter().enumerate() {
            let alone = generate(&m, std::slice::from_ref(p), &opts, None).unwrap();
            assert_eq!(batched[i].tokens, alone[0].tokens, "{family:?} prompt {i}");
            for (x, y) in batched[i].logprobs.iter().zip(&alone[0].logprobs) {
                assert!(
                    (x - y).abs() < 1e-4,
                    "{family:?} prompt {i}: log-prob {x} vs {y}"
                );
            }
        }
    }
}

#[test]
fn groups_share_the_prefill_and_stop_per_row() {
    let m = tiny_random(Family::Qwen3, 4);
    let prompts = vec![vec![1, 2, 3], vec![4, 5]];
    // Greedy groups: the G copies of a prompt are identical to its single greedy completion.
    let single = generate(
        &m,
        &prompts,
        &GenerateOptions {
            max_new_tokens: 6,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let grouped = generate(
        &m,
        &prompts,
        &GenerateOptions {
            max_new_tokens: 6,
            samples: 3,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(grouped.len(), 6);
    for (r, c) in grouped.iter().enumerate() {
        assert_eq!(c.prompt_index, r / 3);
        assert_eq!(c.tokens, single[r / 3].tokens);
    }
    // Sampling with the cache reproduces sampling without it, and the seed matters.
    let s = |seed, use_cache| {
        let o = GenerateOptions {
            max_new_tokens: 6,
            samples: 4,
            temperature: 1.0,
            top_p: 0.95,
            top_k: 50,
            seed,
            use_cache,
            ..Default::default()
        };
        generate(&m, &prompts, &o, None)
            .unwrap()
            .into_iter()
            .map(|c| c.tokens)
            .collect::<Vec<_>>()
    };
    assert_eq!(s(1, true), s(1, false));
    assert_ne!(s(1, true), s(2, true));
    // A stop id ends exactly the rows that produce it; it is kept as their last token.
    let stop = single[0].tokens[2];
    let o = GenerateOptions {
        max_new_tokens: 6,
        stop_ids: vec![stop],
        ..Default::default()
    };
    let stopped = generate(&m, &prompts, &o, None).unwrap();
    let cut = single[0].tokens.iter().position(|&t| t == stop).unwrap();
    assert_eq!(stopped[0].tokens, single[0].tokens[..=cut]);
    assert!(stopped[0].finished);
    let other_cut = single[1].tokens.iter().position(|&t| t == stop);
    assert_eq!(stopped[1].finished, other_cut.is_some());
}
