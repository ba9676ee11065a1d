//! Rhai-facing layer-scan results: `scan_report` turns the per-problem scores a scan wrote into
//! `contribution.csv`, `scan.json` and a bar chart with 95% error bars, and `read_scan` gives a
//! finished scan back to the strategy scripts (which refuse to pick layers from a scan whose ℓ is
//! undefined).

use crate::analysis::scan::{
    scan_report as report_of, Estimate, RunSummary, ScanReport, SeedScores,
};
use anyhow::{Context, Result};
use rhai::plugin::*;
use std::path::Path;

/// Bootstrap replicates and seed behind every interval a scan reports.
const REPLICATES: usize = 2000;
const BOOT_SEED: u64 = 0;

/// The per-(run, seed) lines of every shard's `scores.shard<i>of<n>.jsonl` in `dir`.
pub fn read_shards(dir: &Path, shards: usize) -> Result<Vec<SeedScores>> {
    let mut out = Vec::new();
    for i in 0..shards {
        let f = dir.join(format!("scores.shard{i}of{shards}.jsonl"));
        let text = std::fs::read_to_string(&f)
            .with_context(|| format!("{} is missing: run shard {i}/{shards} first", f.display()))?;
        for (n, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            out.push(
                serde_json::from_str(line)
                    .with_context(|| format!("{}:{}: not a scan score line", f.display(), n + 1))?,
            );
        }
    }
    Ok(out)
}

fn pm(e: &Estimate) -> String {
    format!("{:.3} ± {:.3}", e.mean, e.se)
}

/// The table a person reads: run, score ± se (std over seeds), ℓ with its interval and a bar.
pub fn text_report(r: &ScanReport) -> String {
    let seeds = |s: &RunSummary| match s.seeds.len() {
        1 => "1 seed".to_string(),
        k => format!("{k} seeds, std {:.3}", s.seed_std),
    };
    let mut out = format!(
        "{:<8} {:<15} {:<19} {:<24} \n",
        "run", "score ± se", "seeds", "ℓ [95% interval]"
    );
    let max_ell = r
        .layers
        .iter()
        .filter_map(|l| l.contribution.map(|c| c.mean))
        .fold(1.0f64, f64::max);
    for s in [&r.base, &r.full].into_iter().chain(&r.layers) {
        let (ell, bar) = match &s.contribution {
            Some(c) => {
                let cells = ((c.mean.max(0.0) / max_ell) * 20.0).round() as usize;
                (
                    format!("{:+.2} [{:+.2}, {:+.2}]", c.mean, c.lo, c.hi),
                    "█".repeat(cells),
                )
            }
            None => (String::new(), String::new()),
        };
        out += &format!(
            "{:<8} {:<15} {:<19} {:<24} {bar}\n",
            s.run,
            pm(&s.score),
            seeds(s),
            ell
        );
    }
    out += &format!(
        "full − base: Δ = {:+.3} [{:+.3}, {:+.3}] ({} held-out problems, {} bootstrap replicates over problems and seeds)\n",
        r.gain.mean, r.gain.lo, r.gain.hi, r.problems, r.replicates
    );
    if let Some(why) = &r.undefined {
        out += &format!("{why}; the chart shows the raw scores.\n");
    }
    out
}

/// `contribution.csv`: one row per layer; `contribution*` empty when ℓ is undefined.
fn csv_bytes(r: &ScanReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "layer",
        "run",
        "score",
        "score_se",
        "score_std",
        "seeds",
        "seed_scores",
        "contribution",
        "contribution_lo",
        "contribution_hi",
        "base",
        "base_se",
        "full",
        "full_se",
    ])?;
    let f = |x: f64| format!("{x}");
    for l in &r.layers {
        let (c, lo, hi) = match &l.contribution {
            Some(c) => (f(c.mean), f(c.lo), f(c.hi)),
            None => Default::default(),
        };
        let scores: Vec<String> = l.seed_scores.iter().map(|x| f(*x)).collect();
        w.write_record([
            l.layer.map(|x| x.to_string()).unwrap_or_default(),
            l.run.clone(),
            f(l.score.mean),
            f(l.score.se),
            f(l.seed_std),
            l.seeds.len().to_string(),
            scores.join(";"),
            c,
            lo,
            hi,
            f(r.base.score.mean),
            f(r.base.score.se),
            f(r.full.score.mean),
            f(r.full.score.se),
        ])?;
    }
    Ok(w.into_inner()?)
}

/// The chart: ℓ per layer with its 95% interval (dashed line at 1 = full training) or, when ℓ
/// is undefined, every run's raw score with ±1.96 se.
fn chart(r: &ScanReport, stem: &Path) -> Result<Vec<std::path::PathBuf>> {
    use super::plot::{write_chart, Bars, Chart, Frame};
    let label = |s: &RunSummary| s.layer.map_or(s.run.clone(), |l| l.to_string());
    let (bars, frame, y) = match r.undefined {
        None => (
            Bars {
                labels: r.layers.iter().map(label).collect(),
                values: r
                    .layers
                    .iter()
                    .map(|l| l.contribution.map_or(f64::NAN, |c| c.mean))
                    .collect(),
                highlight: vec![],
                errors: Some(
                    r.layers
                        .iter()
                        .map(|l| {
                            l.contribution
                                .map_or((f64::NAN, f64::NAN), |c| (c.lo, c.hi))
                        })
                        .collect(),
                ),
            },
            Frame {
                title: Some("Layer contribution ℓ (95% interval)".into()),
                hline: Some(1.0),
                ..Frame::default()
            },
            "contribution",
        ),
        Some(_) => {
            let runs: Vec<&RunSummary> = [&r.base, &r.full].into_iter().chain(&r.layers).collect();
            (
                Bars {
                    labels: runs.iter().map(|s| label(s)).collect(),
                    values: runs.iter().map(|s| s.score.mean).collect(),
                    highlight: vec![0, 1],
                    errors: Some(
                        runs.iter()
                            .map(|s| {
                                (
                                    s.score.mean - 1.96 * s.score.se,
                                    s.score.mean + 1.96 * s.score.se,
                                )
                            })
                            .collect(),
                    ),
                },
                Frame {
                    title: Some("Held-out score (ℓ undefined: full did not beat base)".into()),
                    ..Frame::default()
                },
                "score",
            )
        }
    };
    write_chart(&Chart::Bars(bars), &frame, "layer", y, stem)
}

/// Computes the report of the scan in `dir` (its `shards` shard files), writes
/// `contribution.csv`, `scan.json` and `contribution.png`/`.svg` there, and returns it.
pub fn write_report(dir: &Path, shards: usize) -> Result<(ScanReport, Vec<std::path::PathBuf>)> {
    let runs = read_shards(dir, shards)?;
    let r = report_of(&runs, REPLICATES, BOOT_SEED)
        .with_context(|| format!("the scan in {}", dir.display()))?;
    crate::files::write_atomic(&dir.join("contribution.csv"), &csv_bytes(&r)?)?;
    crate::files::write_atomic(
        &dir.join("scan.json"),
        serde_json::to_string_pretty(&r)?.as_bytes(),
    )?;
    let plots = chart(&r, &dir.join("contribution"))?;
    Ok((r, plots))
}

/// A report as the map scripts see: `table` (rows of contribution.csv as maps), `defined`,
/// `message` (why ℓ is undefined, or ""), `base`, `full`, `gain`, `gain_lo`, `gain_hi`, `text`.
pub fn report_map(r: &ScanReport) -> Result<rhai::Map> {
    // The rows exactly as `read_csv("contribution.csv")` gives them.
    let table = super::io::read_csv_bytes(&csv_bytes(r)?)?;
    let mut m = rhai::Map::new();
    m.insert("table".into(), table.into());
    m.insert("defined".into(), r.undefined.is_none().into());
    m.insert(
        "message".into(),
        r.undefined.clone().unwrap_or_default().into(),
    );
    m.insert("base".into(), r.base.score.mean.into());
    m.insert("full".into(), r.full.score.mean.into());
    m.insert("gain".into(), r.gain.mean.into());
    m.insert("gain_lo".into(), r.gain.lo.into());
    m.insert("gain_hi".into(), r.gain.hi.into());
    m.insert("text".into(), text_report(r).into());
    Ok(m)
}

/// The `scan` plugin module.
#[export_module]
pub mod scan_fns {
    use crate::script::convert::{count, RhaiResult};
    use crate::script::{host, OrScript};
    use rhai::{Map, NativeCallContext, INT};

    /// Joins a layer scan's shard files (`scores.shard<i>of<n>.jsonl` in `dir`, one line per run
    /// and seed with per-problem scores), computes every score's standard error, Δ = full − base
    /// and each layer's ℓ with 95% intervals (seeded bootstrap over problems and seeds), writes
    /// `contribution.csv`, `scan.json` and `contribution.png`/`.svg` into `dir`, and returns
    /// `#{table, defined, message, base, full, gain, gain_lo, gain_hi, text}`. When full training
    /// did not beat the base, `defined` is false, `message` says so with the numbers, ℓ is left
    /// empty and the chart shows the raw scores.
    #[rhai_fn(return_raw)]
    pub fn scan_report(ctx: NativeCallContext, dir: &str, shards: INT) -> RhaiResult<Map> {
        let h = host(&ctx);
        let (r, plots) =
            super::write_report(&h.resolve(dir), count(shards, "shards")?).or_script()?;
        h.plots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(plots.iter().map(|p| crate::script::api::plot::absolute(p)));
        super::report_map(&r).or_script()
    }

    /// A finished scan (`scan.json` in `dir`, written by `scan_report`) as `scan_report` returns it.
    #[rhai_fn(return_raw)]
    pub fn read_scan(ctx: NativeCallContext, dir: &str) -> RhaiResult<Map> {
        let f = host(&ctx).resolve(dir).join("scan.json");
        let r = std::fs::read_to_string(&f)
            .map_err(anyhow::Error::from)
            .and_then(|t| Ok(serde_json::from_str(&t)?))
            .map_err(|e: anyhow::Error| {
                e.context(format!(
                    "{} is not a finished layer scan (run scripts/layer_scan.rhai first)",
                    f.display()
                ))
            })
            .or_script()?;
        super::report_map(&r).or_script()
    }
}
