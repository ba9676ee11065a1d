//! Rhai-facing evaluation: `evaluate` scores a model on a dataset (accuracy with its standard
//! error, per-problem scores and records, pass@k, maj@k), and the math verifier's `verify`,
//! `answer_correct` and `extract_answer`.

use crate::eval::EvalReport;
use crate::script::convert::RhaiResult;
use rhai::plugin::*;
use rhai::{Map, FLOAT};

/// An evaluation report as a map: `accuracy` (avg@k: mean correctness over all samples), `se` (its standard error over
/// problems), `per_problem` (each problem's mean correctness), `pass_at_k`, `maj_at_k`, `k`,
/// `records` (`#{id, correct, answers, responses}` per problem).
pub fn report_map(r: &EvalReport) -> RhaiResult<Map> {
    let mut m = Map::new();
    m.insert("accuracy".into(), (r.accuracy as FLOAT).into());
    m.insert("se".into(), (r.se as FLOAT).into());
    m.insert(
        "per_problem".into(),
        crate::script::convert::float_array(r.records.iter().map(crate::eval::ProblemRecord::mean))
            .into(),
    );
    m.insert("pass_at_k".into(), (r.pass_at_k as FLOAT).into());
    m.insert("maj_at_k".into(), (r.maj_at_k as FLOAT).into());
    m.insert("k".into(), (r.k as rhai::INT).into());
    m.insert("records".into(), rhai::serde::to_dynamic(&r.records)?);
    Ok(m)
}

/// The `eval` plugin module.
#[export_module]
pub mod eval_fns {
    use super::report_map;
    use crate::eval::{evaluate as eval, EvalConfig, EvalProblem};
    use crate::reward::MathGrader;
    use crate::script::api::data::DataHandle;
    use crate::script::api::model::ModelHandle;
    use crate::script::api::train::{encoded, split_options};
    use crate::script::convert::RhaiResult;
    use crate::script::progress::progress;
    use crate::script::{script_err, OrScript};
    use rhai::{Dynamic, Map};

    /// Scores a model on a dataset: `samples` per problem (k), `temperature` (0 = greedy),
    /// `top_p`, `max_new_tokens` (256), `seed`, `batch`. Returns `#{accuracy (avg@k), se,
    /// pass_at_k, maj_at_k, k, records}` (`se`: standard error of `accuracy` over problems);
    /// each record is `#{id, correct, answers, responses}`.
    ///
    /// ```rhai
    /// let r = evaluate(m, benchmark("math500"), #{ samples: 4, temperature: 0.6 });
    /// ```
    #[rhai_fn(return_raw)]
    pub fn evaluate(m: ModelHandle, d: DataHandle, opts: Map) -> RhaiResult<Map> {
        let (cfg, _) = split_options(opts, "evaluate", EvalConfig::default(), &[])?;
        if d.ds.is_empty() {
            return Err(script_err(format!(
                "evaluate: dataset `{}` is empty",
                d.ds.name
            )));
        }
        let probs: Vec<EvalProblem> = encoded(&m, &d)
            .or_script()?
            .into_iter()
            .map(|(e, prompt_ids)| EvalProblem {
                id: e.id.clone(),
                prompt_ids,
                answer: e.answer.clone(),
            })
            .collect();
        let bar = progress(probs.len() as u64, "evaluate");
        let report = eval(
            &m.model,
            &probs,
            &cfg,
            &m.eos_ids(),
            &|ids| m.decode(ids),
            &MathGrader,
            |done, _| bar.set_position(done as u64),
        )
        .or_script()?;
        bar.finish_and_clear();
        report_map(&report)
    }

    /// Whether a response's final answer (last `\boxed{}`, `#### x`, `Answer: x`) equals `gold`
    /// under the math verifier's normalisations.
    pub fn verify(gold: &str, response: &str) -> bool {
        crate::reward::is_equivalent(gold, response)
    }

    /// Whether an already extracted answer equals `gold` (for voted answers).
    pub fn answer_correct(gold: &str, answer: &str) -> bool {
        crate::reward::answers_equal(gold, answer)
    }

    /// The final answer a response gives, or `()` when it gives none.
    pub fn extract_answer(response: &str) -> Dynamic {
        crate::reward::extract_answer(response)
            .map(Dynamic::from)
            .unwrap_or(Dynamic::UNIT)
    }
}
