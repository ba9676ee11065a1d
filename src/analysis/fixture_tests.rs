//! ℓ and top-k over the hand-made table `tests/fixtures/analysis/layer_scores.csv` (its README
//! works the numbers).

use super::*;
use std::path::PathBuf;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/analysis/layer_scores.csv")
}

#[test]
fn contribution_and_top_k_from_fixture() {
    let mut reader = csv::Reader::from_path(fixture()).unwrap();
    let mut rows = Vec::new();
    let (mut base, mut full) = (f64::NAN, f64::NAN);
    for rec in reader.records() {
        let rec = rec.unwrap();
        rows.push(LayerScore {
            layer: rec[0].parse().unwrap(),
            score: rec[1].parse().unwrap(),
        });
        base = rec[2].parse().unwrap();
        full = rec[3].parse().unwrap();
    }
    let table = contribution_table(&rows, base, full).unwrap();
    let expected = [0.30, 0.60, 0.85, 1.10, 1.00, 0.85, 0.45, -0.10];
    assert_eq!(table.len(), expected.len());
    for (row, want) in table.iter().zip(expected) {
        assert!(
            (row.contribution - want).abs() < 1e-9,
            "layer {}: {row:?}",
            row.layer
        );
    }
    let ell: Vec<f64> = table.iter().map(|r| r.contribution).collect();
    assert_eq!(top_k(&ell, 3), vec![3, 4, 2]);
    assert_eq!(bottom_k(&ell, 2), vec![7, 0]);
}
