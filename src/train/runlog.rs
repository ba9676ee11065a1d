//! Per-step metrics appended to `metrics.jsonl` and `metrics.csv` in a run directory, one flushed
//! line per step, so an interrupted run keeps every finished step.

use super::grpo::StepMetrics;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Appends metrics to a run directory.
pub struct RunLog {
    /// The run directory.
    pub dir: PathBuf,
}

impl RunLog {
    /// Opens (creating) `dir`.
    pub fn open(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create run directory {}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    /// Appends one step to both files (CSV flattens `weight_change` into `wc_0..wc_{L-1}`).
    pub fn append(&self, m: &StepMetrics) -> Result<()> {
        let open = |name: &str| {
            let p = self.dir.join(name);
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&p)
                .with_context(|| format!("cannot append to {}", p.display()))
        };
        let mut j = open("metrics.jsonl")?;
        writeln!(j, "{}", serde_json::to_string(m)?)?;
        let csv_path = self.dir.join("metrics.csv");
        let new = !csv_path.exists()
            || std::fs::metadata(&csv_path)
                .map(|x| x.len() == 0)
                .unwrap_or(true);
        let v = serde_json::to_value(m)?;
        let obj = v.as_object().context("metrics are an object")?;
        let mut header = Vec::new();
        let mut row = Vec::new();
        for (k, x) in obj {
            match x {
                serde_json::Value::Array(xs) => {
                    for (i, y) in xs.iter().enumerate() {
                        header.push(format!("wc_{i}"));
                        row.push(y.to_string());
                    }
                }
                other => {
                    header.push(k.clone());
                    row.push(other.to_string());
                }
            }
        }
        let mut w = csv::Writer::from_writer(open("metrics.csv")?);
        if new {
            w.write_record(&header)?;
        }
        w.write_record(&row)?;
        w.flush()?;
        Ok(())
    }

    /// Reads `metrics.jsonl` (missing: empty), keeps the steps before `step` and rewrites both
    /// files with only those, so a resumed run continues the log without duplicate steps.
    pub fn keep_before(&self, step: usize) -> Result<Vec<StepMetrics>> {
        let path = self.dir.join("metrics.jsonl");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut kept = Vec::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let m: StepMetrics = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a metrics line", path.display(), i + 1))?;
            if m.step < step {
                kept.push(m);
            }
        }
        for name in ["metrics.jsonl", "metrics.csv"] {
            let p = self.dir.join(name);
            if p.exists() {
                std::fs::remove_file(&p)
                    .with_context(|| format!("cannot rewrite {}", p.display()))?;
            }
        }
        for m in &kept {
            self.append(m)?;
        }
        Ok(kept)
    }
}
