//! The `layerscript` command line: only argument parsing and exit codes; the work is in the library.

use anyhow::Result;
use clap::{Parser, Subcommand};
use layerscript::backend::{self, Compute};
use layerscript::model::inspect::{logits_command, LogitsInput};
use std::path::PathBuf;

#[path = "cli/bench.rs"]
mod bench;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "layerscript",
    version,
    about = "Layer-wise RL research on Qwen LLMs, scripted in Rhai"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Hide progress bars (REPL).
    #[arg(long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run a Rhai script: `layerscript run scripts/boost_b10.rhai --set model=DIR --shard 0/4`.
    Run {
        /// The script.
        file: PathBuf,
        /// Parameters the script reads with `param("key", default)` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = layerscript::script::runner::parse_set)]
        sets: Vec<(String, String)>,
        /// Run only shard INDEX of COUNT (the script sees `shard()` and `shard_items(..)`); `auto`
        /// takes it from a Slurm job array (`SLURM_ARRAY_TASK_ID` / `SLURM_ARRAY_TASK_COUNT`).
        #[arg(long, value_name = "INDEX/COUNT", value_parser = layerscript::script::runner::parse_shard)]
        shard: Option<(usize, usize)>,
        /// Stop a script after this many Rhai operations (0 = unlimited).
        #[arg(long, default_value_t = 0)]
        max_operations: u64,
    },
    /// Run the ```rhai blocks of a Markdown notebook in one scope; writes FILE.out.md beside it.
    Notebook {
        /// The notebook (.md).
        file: PathBuf,
        /// Parameters its blocks read with `param("key", default)` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = layerscript::script::runner::parse_set)]
        sets: Vec<(String, String)>,
    },
    /// The interactive REPL (also what `layerscript` alone starts).
    Repl,
    /// Write logits (and optionally every layer's output) of a model for a text or ids to safetensors.
    Logits {
        /// HF model folder (config.json + safetensors + tokenizer.json).
        model: PathBuf,
        /// Text to tokenize (needs tokenizer.json in the model folder).
        #[arg(long, conflicts_with = "ids")]
        text: Option<String>,
        /// Comma-separated token ids.
        #[arg(long, value_delimiter = ',')]
        ids: Option<Vec<u32>>,
        /// Render --text as a user message with the folder's chat template (generation prompt
        /// added) before tokenizing.
        #[arg(long, requires = "text")]
        chat: bool,
        /// Output file (.safetensors): `input_ids`, `logits` [T, V], and with --hidden-states
        /// `embeddings`, `layer_outputs` [L, T, H], `final_norm`.
        #[arg(long)]
        out: PathBuf,
        /// Also write every layer's output.
        #[arg(long)]
        hidden_states: bool,
        /// Device (`cpu`, `wgpu`, `cuda:0`, ...).
        #[arg(long, default_value = "auto")]
        device: String,
    },
    /// The main job on the embedded default: SFT a tiny Qwen3 on synthetic arithmetic, then GRPO on
    /// all layers and on each single layer, 3 seeds each; writes every score with its standard
    /// error and each layer's contribution with its 95% interval to OUT/contribution.csv.
    Quickstart {
        /// Output directory.
        #[arg(long, default_value = "runs/scan")]
        out: PathBuf,
        /// Script parameters (`steps`, `k`, `layers`, `seeds`), as for `run`.
        #[arg(long = "set", value_name = "KEY=VALUE", value_parser = layerscript::script::runner::parse_set)]
        sets: Vec<(String, String)>,
    },
    /// Grade answers offline: `--gold G --pred P` prints true/false; `--jsonl FILE` annotates each
    /// {gold, prediction} line with `verdict`, `gold_extracted`, `pred_extracted`.
    Verify {
        /// Gold answer (`$2$`, `#### 72`, `\boxed{..}` or plain).
        #[arg(long, requires = "pred", conflicts_with = "jsonl")]
        gold: Option<String>,
        /// A model response.
        #[arg(long)]
        pred: Option<String>,
        /// JSONL file of {gold, prediction} objects.
        #[arg(long)]
        jsonl: Option<PathBuf>,
        /// Where to write the annotated lines (default: stdout).
        #[arg(long, requires = "jsonl")]
        out: Option<PathBuf>,
    },
    /// Measure prefill and batched decode throughput on a random Qwen3-shaped model.
    Bench(bench::BenchArgs),
    /// Measure one GRPO update for a single layer vs all parameters (time and peak memory).
    BenchTrain(bench::TrainBenchArgs),
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            match e.downcast_ref::<layerscript::script::runner::ScriptError>() {
                // Already rendered with its file, line and caret.
                Some(rendered) => eprintln!("{rendered}"),
                None => eprintln!("error: {e:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    layerscript::interrupt::install();
    match cli.command {
        Some(Command::Logits {
            model,
            text,
            ids,
            chat,
            out,
            hidden_states,
            device,
        }) => {
            let input = match (ids, text, chat) {
                (Some(ids), _, _) => LogitsInput::Ids(ids),
                (None, Some(text), false) => LogitsInput::Text(text),
                (None, Some(text), true) => LogitsInput::Chat(text),
                (None, None, _) => anyhow::bail!("give --text or --ids"),
            };
            let dev = backend::device(&device)?;
            logits_command::<Compute>(&model, input, &out, hidden_states, &dev)?;
            println!("wrote {}", out.display());
        }
        Some(Command::Bench(args)) => {
            bench::run(&args)?;
        }
        Some(Command::Verify {
            gold,
            pred,
            jsonl,
            out,
        }) => match (gold, pred, jsonl) {
            (Some(g), Some(p), None) => {
                let v = layerscript::reward::verify(&g, &p);
                println!("{}", v.correct);
                if !v.correct {
                    return Ok(ExitCode::from(1));
                }
            }
            (None, None, Some(file)) => {
                layerscript::reward::jsonl::verify_command(&file, out.as_deref())?;
            }
            _ => anyhow::bail!("give --gold and --pred, or --jsonl FILE"),
        },
        Some(Command::Quickstart { out, sets }) => {
            layerscript::quickstart::run(&out, &sets, cli.quiet)?
        }
        Some(Command::BenchTrain(args)) => bench::run_train(&args)?,
        Some(Command::Run {
            file,
            sets,
            shard,
            max_operations,
        }) => {
            let mut ctx = layerscript::script::HostContext::from_cli(cli.quiet, &sets);
            ctx.shard = shard;
            ctx.limits.max_operations = max_operations;
            layerscript::script::run_file_with(ctx, &file)?;
        }
        Some(Command::Notebook { file, sets }) => {
            let ctx = layerscript::script::HostContext::from_cli(cli.quiet, &sets);
            let out = layerscript::script::notebook::run_notebook_with(ctx, &file)?;
            println!("wrote {}", out.display());
        }
        Some(Command::Repl) | None => layerscript::script::repl::run_repl(
            layerscript::script::HostContext::from_cli(cli.quiet, &[]),
        )?,
    }
    Ok(ExitCode::SUCCESS)
}
