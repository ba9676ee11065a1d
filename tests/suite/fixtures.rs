//! Reading the HF reference fixtures: `reference.json` + `reference.safetensors` per model folder.

use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Root of the model fixtures: `$LAYERSCRIPT_FIXTURES` or `tests/fixtures/models`.
pub fn models_dir() -> PathBuf {
    std::env::var_os("LAYERSCRIPT_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models"))
}

/// Every model folder (one holding `reference.json`) under [`models_dir`].
pub fn model_folders() -> Vec<PathBuf> {
    let dir = models_dir();
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list fixtures {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("reference.json").exists())
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no model fixtures under {}", dir.display());
    out
}

/// A reference tensor as f64 values plus shape.
pub struct RefTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

/// All tensors of `reference.safetensors`.
pub fn read_tensors(path: &Path) -> HashMap<String, RefTensor> {
    let bytes = std::fs::read(path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(name, v)| {
            let b = v.data();
            let data: Vec<f64> = match v.dtype() {
                Dtype::F32 => b
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()) as f64)
                    .collect(),
                Dtype::F64 => b
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                    .collect(),
                Dtype::I64 => b
                    .chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap()) as f64)
                    .collect(),
                Dtype::I32 => b
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().unwrap()) as f64)
                    .collect(),
                d => panic!("unexpected dtype {d:?} for {name}"),
            };
            (
                name,
                RefTensor {
                    shape: v.shape().to_vec(),
                    data,
                },
            )
        })
        .collect()
}

/// Max absolute difference; panics on length mismatch.
pub fn max_abs_diff(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (*x as f64 - y).abs())
        .fold(0.0, f64::max)
}

/// Asserts `ours` is within `tol` (max abs) of `reference`, naming what is compared. The rule for
/// logits and log-probs.
pub fn assert_close(what: &str, ours: &[f32], reference: &[f64], tol: f64) {
    let d = max_abs_diff(ours, reference);
    assert!(d <= tol, "{what}: max abs diff {d:.3e} > {tol:e}");
}

/// The rule for hidden states (embeddings, layer outputs, final norm): `|Δ| ≤ tol · max(1,
/// max|ref|)` of that tensor, since float32 accumulation order differs between GEMM kernels
/// (AVX2, AVX-512, GPU) by a few ulps of the tensor's magnitude.
pub fn assert_hidden_close(what: &str, ours: &[f32], reference: &[f64], tol: f64) {
    let scale = reference.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    let d = max_abs_diff(ours, reference);
    assert!(
        d <= tol * scale,
        "{what}: max abs diff {d:.3e} > {tol:e} × max(1, max|ref| = {scale:.3})"
    );
}
