//! Rhai-facing statistics: thin wrappers over `crate::analysis` taking arrays of numbers and
//! arrays of maps (per-layer tables, evaluation records).

use rhai::plugin::*;

/// The `analysis` plugin module (registered globally by `build_engine`).
#[export_module]
pub mod analysis_fns {
    use crate::analysis;
    use crate::script::convert::{
        count, float_array, floatify, int_array, num, num_column, nums, records as to_records,
        RhaiResult,
    };
    use crate::script::{options, OrScript};
    use rhai::{Array, Dynamic, Map, FLOAT, INT};

    /// Layer contribution ℓ = (score − base) / (full − base): the fraction of the full-training
    /// gain recovered by training one layer (1.0 = matches full training).
    /// `score` may be one number (returns a float) or an array of per-layer scores (returns an
    /// array). Errors when full == base.
    ///
    /// ```rhai
    /// contribution(45.0, 40.0, 50.0)          // 0.5
    /// contribution([43, 51], 40, 50)          // [0.3, 1.1]
    /// ```
    #[rhai_fn(return_raw)]
    pub fn contribution(score: Dynamic, base: Dynamic, full: Dynamic) -> RhaiResult<Dynamic> {
        let base = num(&base, "base")?;
        let full = num(&full, "full")?;
        if score.is_array() {
            let scores = nums(&score.cast::<Array>(), "scores")?;
            let ell: anyhow::Result<Vec<f64>> = scores
                .iter()
                .map(|&s| analysis::contribution(s, base, full))
                .collect();
            return Ok(Dynamic::from_array(float_array(ell.or_script()?)));
        }
        let s = num(&score, "score")?;
        Ok(Dynamic::from_float(
            analysis::contribution(s, base, full).or_script()?,
        ))
    }

    /// Per-layer table with ℓ: each row (a map with a `score` column, usually also `layer`) is
    /// returned with a `contribution` column added.
    ///
    /// ```rhai
    /// let t = contribution_table(read_csv("layers.csv"), 40.0, 50.0);
    /// ```
    #[rhai_fn(return_raw)]
    pub fn contribution_table(rows: Array, base: Dynamic, full: Dynamic) -> RhaiResult<Array> {
        let mut opts = Map::new();
        opts.insert("base".into(), base);
        opts.insert("full".into(), full);
        contribution_table_with(rows, opts)
    }

    /// Per-layer table with ℓ, options form: `#{base, full, score: "score", into: "contribution"}`
    /// (`score` names the column to read, `into` the column to write).
    #[rhai_fn(name = "contribution_table", return_raw)]
    pub fn contribution_table_with(rows: Array, opts: Map) -> RhaiResult<Array> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Opts {
            base: f64,
            full: f64,
            #[serde(default = "score_col")]
            score: String,
            #[serde(default = "into_col")]
            into: String,
        }
        fn score_col() -> String {
            "score".into()
        }
        fn into_col() -> String {
            "contribution".into()
        }
        // Scripts write `50` where the option struct wants a float.
        let mut opts = opts;
        floatify(&mut opts, &["base", "full"]);
        let o: Opts = options(opts, "contribution_table")?;
        let scores = num_column(&rows, &o.score)?;
        let mut out = Array::with_capacity(rows.len());
        for (row, s) in rows.into_iter().zip(scores) {
            let mut map = row.cast::<Map>();
            let ell = analysis::contribution(s, o.base, o.full).or_script()?;
            map.insert(o.into.as_str().into(), Dynamic::from_float(ell));
            out.push(Dynamic::from_map(map));
        }
        Ok(out)
    }

    /// Indices of the `k` largest values, largest first (ties: lower index first).
    ///
    /// ```rhai
    /// top_k([0.3, 0.9, 0.5], 2)    // [1, 2]
    /// ```
    #[rhai_fn(return_raw)]
    pub fn top_k(values: Array, k: INT) -> RhaiResult<Array> {
        let v = nums(&values, "values")?;
        Ok(int_array(analysis::top_k(&v, count(k, "k")?)))
    }

    /// Indices of the `k` smallest values, smallest first (ties: lower index first).
    #[rhai_fn(return_raw)]
    pub fn bottom_k(values: Array, k: INT) -> RhaiResult<Array> {
        let v = nums(&values, "values")?;
        Ok(int_array(analysis::bottom_k(&v, count(k, "k")?)))
    }

    /// The paper's profiling-free choice: `k` consecutive layers starting at
    /// ⌊L/2⌋ − ⌈k/2⌉ (k = 5: layers 11..=15 for L = 28, 15..=19 for L = 36).
    #[rhai_fn(return_raw)]
    pub fn middle_layers(num_layers: INT, k: INT) -> RhaiResult<Array> {
        let l = count(num_layers, "num_layers")?;
        Ok(int_array(
            analysis::middle_layers(l, count(k, "k")?).or_script()?,
        ))
    }

    /// Spearman rank correlation of two equally long series (ties get average ranks).
    #[rhai_fn(return_raw)]
    pub fn spearman(x: Array, y: Array) -> RhaiResult<FLOAT> {
        analysis::spearman(&nums(&x, "x")?, &nums(&y, "y")?).or_script()
    }

    /// Spearman's ρ with its 95% interval (Fisher's z, variance 1.06 / (n − 3); the interval is
    /// `()` for fewer than 4 pairs): `#{ rho, lo, hi, n }`. Use it to say how far two scans'
    /// layer rankings agree.
    ///
    /// ```rhai
    /// spearman_interval(column(a, "contribution"), column(b, "contribution"))
    /// ```
    #[rhai_fn(return_raw)]
    pub fn spearman_interval(x: Array, y: Array) -> RhaiResult<Map> {
        let (rho, lo, hi) =
            analysis::spearman_interval(&nums(&x, "x")?, &nums(&y, "y")?).or_script()?;
        let cell = |v: f64| {
            if v.is_finite() {
                Dynamic::from_float(v)
            } else {
                Dynamic::UNIT
            }
        };
        let mut m = Map::new();
        m.insert("rho".into(), Dynamic::from_float(rho));
        m.insert("lo".into(), cell(lo));
        m.insert("hi".into(), cell(hi));
        m.insert("n".into(), Dynamic::from_int(x.len() as INT));
        Ok(m)
    }

    /// Standard error of the mean of per-problem scores: sample std / √n (0 for fewer than 2).
    ///
    /// ```rhai
    /// standard_error([1.0, 0.0, 1.0, 1.0])   // 0.25
    /// ```
    #[rhai_fn(return_raw)]
    pub fn standard_error(values: Array) -> RhaiResult<FLOAT> {
        Ok(analysis::standard_error(&nums(&values, "values")?))
    }

    /// Pearson correlation of two equally long series; a constant series is an error.
    #[rhai_fn(return_raw)]
    pub fn pearson(x: Array, y: Array) -> RhaiResult<FLOAT> {
        analysis::pearson(&nums(&x, "x")?, &nums(&y, "y")?).or_script()
    }

    /// 1-based ranks, ties sharing the average of their ranks: `ranks([10, 20, 20])` →
    /// `[1.0, 2.5, 2.5]`.
    #[rhai_fn(return_raw)]
    pub fn ranks(values: Array) -> RhaiResult<Array> {
        Ok(float_array(analysis::average_ranks(&nums(
            &values, "values",
        )?)))
    }

    /// Jaccard similarity |A ∩ B| / |A ∪ B| of two arrays taken as sets (elements compared by
    /// their text). Two empty sets give 1.0.
    pub fn jaccard(a: Array, b: Array) -> FLOAT {
        let a: Vec<String> = a.iter().map(|v| v.to_string()).collect();
        let b: Vec<String> = b.iter().map(|v| v.to_string()).collect();
        analysis::jaccard(&a, &b)
    }

    /// Ids of the problems solved in `records` but not in `base_records` (solved = at least one
    /// correct sample). Records are maps with `id` and `correct` (bool or array of bools).
    #[rhai_fn(return_raw)]
    pub fn newly_solved(base_records: Array, records: Array) -> RhaiResult<Array> {
        let base = to_records(&base_records, "base_records")?;
        let recs = to_records(&records, "records")?;
        Ok(analysis::newly_solved(&base, &recs)
            .into_iter()
            .map(Dynamic::from)
            .collect())
    }

    /// Majority vote across models: `answers[model][problem]` → the most common answer per
    /// problem (ties: the earliest model's answer; `()` means no answer and does not vote).
    #[rhai_fn(return_raw)]
    pub fn majority_vote(answers: Array) -> RhaiResult<Array> {
        let lists: Vec<Vec<Option<String>>> = answers
            .iter()
            .enumerate()
            .map(|(m, list)| {
                list.read_lock::<Array>()
                    .map(|a| {
                        a.iter()
                            .map(|v| (!v.is_unit()).then(|| v.to_string()))
                            .collect()
                    })
                    .ok_or_else(|| {
                        crate::script::script_err(format!("answers[{m}] must be an array"))
                    })
            })
            .collect::<RhaiResult<_>>()?;
        Ok(analysis::majority_vote(&lists)
            .or_script()?
            .into_iter()
            .map(|a| a.map(Dynamic::from).unwrap_or(Dynamic::UNIT))
            .collect())
    }

    /// Self-consistency: for each record (`id`, `answers`), its most common answer, as
    /// `#{id, answer}` maps (ties: first occurrence; `answer` is `()` when none was extracted).
    #[rhai_fn(return_raw)]
    pub fn self_consistency(records: Array) -> RhaiResult<Array> {
        let recs = to_records(&records, "records")?;
        Ok(analysis::self_consistency(&recs)
            .into_iter()
            .map(|(id, a)| {
                let mut m = Map::new();
                m.insert("id".into(), id.into());
                m.insert(
                    "answer".into(),
                    a.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
                );
                Dynamic::from_map(m)
            })
            .collect())
    }

    /// Unbiased pass@k from `n` samples with `c` correct: 1 − C(n−c, k) / C(n, k).
    #[rhai_fn(return_raw)]
    pub fn pass_at_k(n: INT, c: INT, k: INT) -> RhaiResult<FLOAT> {
        analysis::pass_at_k(count(n, "n")?, count(c, "c")?, count(k, "k")?).or_script()
    }

    /// Mean unbiased pass@k over evaluation records (each its own n = number of samples).
    #[rhai_fn(name = "pass_at_k", return_raw)]
    pub fn pass_at_k_records(records: Array, k: INT) -> RhaiResult<FLOAT> {
        let recs = to_records(&records, "records")?;
        analysis::pass_at_k_mean(&recs, count(k, "k")?).or_script()
    }

    /// avg@k: mean over problems of each problem's fraction of correct samples.
    #[rhai_fn(return_raw)]
    pub fn avg_at_k(records: Array) -> RhaiResult<FLOAT> {
        analysis::avg_at_k(&to_records(&records, "records")?).or_script()
    }

    /// maj@k: fraction of problems whose most common answer (ties: first seen) was graded
    /// correct. Records need `answers` and `correct` of equal length.
    #[rhai_fn(return_raw)]
    pub fn maj_at_k(records: Array) -> RhaiResult<FLOAT> {
        analysis::maj_at_k(&to_records(&records, "records")?).or_script()
    }

    /// The values of column `key` in an array of maps: `column(rows, "contribution")`.
    #[rhai_fn(return_raw)]
    pub fn column(rows: Array, key: &str) -> RhaiResult<Array> {
        crate::script::convert::column(&rows, key)
    }

    /// Arithmetic mean of an array of numbers (error when empty).
    #[rhai_fn(return_raw)]
    pub fn mean(values: Array) -> RhaiResult<FLOAT> {
        let v = nums(&values, "values")?;
        if v.is_empty() {
            return Err("mean of an empty array is undefined".into());
        }
        Ok(v.iter().sum::<f64>() / v.len() as f64)
    }

    /// Sample standard deviation (n − 1) of an array of numbers (error with fewer than 2), e.g.
    /// the spread of a score across training seeds.
    #[rhai_fn(return_raw)]
    pub fn std_dev(values: Array) -> RhaiResult<FLOAT> {
        let v = nums(&values, "values")?;
        if v.len() < 2 {
            return Err(format!("std_dev needs at least 2 values, got {}", v.len()).into());
        }
        Ok(analysis::scan::sample_std(&v))
    }

    /// Scores one answer per problem (e.g. a majority vote, or each model's first answer) against
    /// the gold answers under the math verifier's equivalence: `#{ accuracy, se, correct }`
    /// (`()` answers count as wrong). Voted and single-model answers scored by the same rule are
    /// comparable (§5).
    ///
    /// ```rhai
    /// answer_accuracy(majority_vote(answers), test.examples().map(|e| e.answer)).accuracy
    /// ```
    #[rhai_fn(return_raw)]
    pub fn answer_accuracy(answers: Array, gold: Array) -> RhaiResult<Map> {
        if answers.len() != gold.len() || answers.is_empty() {
            return Err(format!(
                "answer_accuracy: {} answers for {} gold answers (give one per problem, at least one)",
                answers.len(),
                gold.len()
            )
            .into());
        }
        let correct: Vec<bool> = answers
            .iter()
            .zip(&gold)
            .map(|(a, g)| {
                !a.is_unit() && crate::reward::answers_equal(&g.to_string(), &a.to_string())
            })
            .collect();
        let per: Vec<f64> = correct.iter().map(|&c| f64::from(u8::from(c))).collect();
        let mut m = Map::new();
        m.insert(
            "accuracy".into(),
            Dynamic::from_float(per.iter().sum::<f64>() / per.len() as f64),
        );
        m.insert(
            "se".into(),
            Dynamic::from_float(analysis::standard_error(&per)),
        );
        m.insert(
            "correct".into(),
            Dynamic::from_array(correct.into_iter().map(Dynamic::from_bool).collect()),
        );
        Ok(m)
    }
}
