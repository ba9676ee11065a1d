//! Parity with HF transformers on every model folder of the fixtures (both f32/ and bf16/ weights):
//! embeddings, every layer's output, final norm, logits, greedy continuations with and without KV
//! cache, continuation log-probs, and the left-padded batch. Logits and log-probs: 1e-4 max abs;
//! hidden states: 1e-4 · max(1, max|ref|) of the tensor ([`assert_hidden_close`]).

use super::fixtures::*;
use layerscript::backend::{Compute, Device};
use layerscript::model::generate::{generate, ids_tensor, GenerateOptions};
use layerscript::model::logprobs::completion_logprobs;
use layerscript::model::{load_model, Qwen};
use serde_json::Value;
use std::path::Path;

const TOL: f64 = 1e-4;

fn to_host(t: burn::tensor::Tensor<Compute, 3>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec::<f32>().unwrap()
}

fn ids_of(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn weight_dirs(folder: &Path) -> Vec<std::path::PathBuf> {
    ["f32", "bf16"]
        .iter()
        .map(|d| folder.join(d))
        .filter(|p| p.join("config.json").exists())
        .collect()
}

fn check_prompt(
    model: &Qwen<Compute>,
    tensors: &std::collections::HashMap<String, RefTensor>,
    p: &Value,
    tag: &str,
) {
    let name = p["name"].as_str().unwrap();
    let ids = ids_of(&p["input_ids"]);
    let t = ids.len();
    let dev: Device = Default::default();
    let out = model.forward(
        ids_tensor::<Compute>(&[ids.clone()], &dev),
        &[vec![1; t]],
        None,
        true,
    );
    let hidden: Vec<Vec<f32>> = out.hidden.into_iter().map(to_host).collect();
    let logits = to_host(out.logits);
    let v = model.config.vocab_size;
    let what = |s: &str| format!("{tag} {name} {s}");
    if let Some(r) = tensors.get(&format!("{name}.embeddings")) {
        assert_hidden_close(&what("embeddings"), &hidden[0], &r.data, TOL);
    }
    if let Some(r) = tensors.get(&format!("{name}.layer_outputs")) {
        let per = r.shape[1] * r.shape[2];
        assert_eq!(r.shape[0], model.num_layers());
        for l in 0..r.shape[0] {
            assert_hidden_close(
                &what(&format!("layer {l} output")),
                &hidden[l + 1],
                &r.data[l * per..(l + 1) * per],
                TOL,
            );
        }
    }
    if let Some(r) = tensors.get(&format!("{name}.final_norm")) {
        assert_hidden_close(&what("final norm"), hidden.last().unwrap(), &r.data, TOL);
    }
    if let Some(r) = tensors.get(&format!("{name}.logits")) {
        assert_close(&what("logits"), &logits, &r.data, TOL);
    }
    if let Some(r) = tensors.get(&format!("{name}.last_logits")) {
        assert_close(&what("last logits"), &logits[(t - 1) * v..], &r.data, TOL);
    }
    if let (Some(ids8), Some(l8)) = (
        tensors.get(&format!("{name}.top8_ids")),
        tensors.get(&format!("{name}.top8_logits")),
    ) {
        let ours: Vec<f32> = ids8
            .data
            .iter()
            .enumerate()
            .map(|(k, &id)| logits[(k / 8) * v + id as usize])
            .collect();
        assert_close(&what("top-8 logits"), &ours, &l8.data, TOL);
    }
    if let Some(stats) = p.get("logits_stats_per_position") {
        for pos in 0..t {
            let row = &logits[pos * v..(pos + 1) * v];
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let lse = max
                + row
                    .iter()
                    .map(|x| (*x as f64 - max).exp())
                    .sum::<f64>()
                    .ln();
            let argmax = row
                .iter()
                .enumerate()
                .fold(0, |b, (i, &x)| if x > row[b] { i } else { b });
            let r_max = stats["max"][pos].as_f64().unwrap();
            assert!(
                (max - r_max).abs() <= TOL,
                "{}: pos {pos} max {max} vs {r_max}",
                what("logit stats")
            );
            let r_lse = stats["logsumexp"][pos].as_f64().unwrap();
            assert!(
                (lse - r_lse).abs() <= TOL,
                "{}: pos {pos} logsumexp {lse} vs {r_lse}",
                what("logit stats")
            );
            assert_eq!(
                argmax as u64,
                stats["argmax"][pos].as_u64().unwrap(),
                "{}: pos {pos} argmax",
                what("logit stats")
            );
        }
    }
    // Greedy continuation, with and without the KV cache.
    let want = ids_of(&p["greedy_new_tokens"]);
    for use_cache in [true, false] {
        let opts = GenerateOptions {
            max_new_tokens: want.len(),
            use_cache,
            ..Default::default()
        };
        let got = generate(model, &[ids.clone()], &opts, None).unwrap();
        assert_eq!(
            got[0].tokens,
            want,
            "{} (cache {use_cache})",
            what("greedy tokens")
        );
        // The batch-1 decode path's own log-probs (one-row `[1, V]` logits per step, the shapes
        // burn's fusion bug #5122 gets wrong on GPUs) equal the teacher-forced ones of the same
        // tokens, which the HF log-prob check below pins.
        let forced = completion_logprobs(model, &[ids.clone()], &[want.clone()]).unwrap();
        assert_close(
            &what(&format!("batch-1 decode log-probs (cache {use_cache})")),
            &got[0].logprobs,
            &forced[0].iter().map(|&x| x as f64).collect::<Vec<_>>(),
            TOL,
        );
    }
    // Teacher-forced log-probs of the given continuation.
    let cont = ids_of(&p["continuation_ids"]);
    let want: Vec<f64> = p["continuation_logprobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let got = completion_logprobs(model, &[ids], &[cont]).unwrap();
    assert_close(&what("continuation log-probs"), &got[0], &want, TOL);
}

#[test]
fn hf_parity_every_fixture_model() {
    for folder in model_folders() {
        let reference: Value =
            serde_json::from_str(&std::fs::read_to_string(folder.join("reference.json")).unwrap())
                .unwrap();
        let tensors = read_tensors(&folder.join("reference.safetensors"));
        let dirs = weight_dirs(&folder);
        assert!(
            !dirs.is_empty(),
            "{}: no f32/ or bf16/ weights",
            folder.display()
        );
        for dir in dirs {
            let tag = dir
                .strip_prefix(models_dir())
                .unwrap()
                .display()
                .to_string();
            let dev: Device = Default::default();
            let model: Qwen<Compute> =
                load_model(&dir, &dev).unwrap_or_else(|e| panic!("{tag}: {e:#}"));
            let prompts = reference["prompts"].as_array().unwrap();
            for p in prompts.iter().filter(|p| p.get("input_ids").is_some()) {
                check_prompt(&model, &tensors, p, &tag);
            }
            // Left-padded batch: last-position logits of every row.
            if let (Some(ids), Some(mask), Some(last)) = (
                tensors.get("batch_left_padded.input_ids"),
                tensors.get("batch_left_padded.attention_mask"),
                tensors.get("batch_left_padded.last_logits"),
            ) {
                let (b, t) = (ids.shape[0], ids.shape[1]);
                let rows: Vec<Vec<u32>> = ids
                    .data
                    .chunks(t)
                    .map(|r| r.iter().map(|&x| x as u32).collect())
                    .collect();
                let masks: Vec<Vec<u8>> = mask
                    .data
                    .chunks(t)
                    .map(|r| r.iter().map(|&x| x as u8).collect())
                    .collect();
                let out = model.forward(ids_tensor::<Compute>(&rows, &dev), &masks, None, false);
                let v = model.config.vocab_size;
                let logits = to_host(out.logits);
                for r in 0..b {
                    let ours = &logits[(r * t + t - 1) * v..(r * t + t) * v];
                    assert_close(
                        &format!("{tag} left-padded batch row {r} last logits"),
                        ours,
                        &last.data[r * v..(r + 1) * v],
                        TOL,
                    );
                }
            }
        }
    }
}
