//! HF tokenizer (`tokenizer.json` via the `tokenizers` crate) and chat template
//! (`tokenizer_config.json`'s Jinja `chat_template`, rendered with minijinja + Python-compat
//! methods, byte-identical to transformers' `apply_chat_template` for the Qwen templates).
//!
//! What is read from an HF folder, and what transformers does with it that this mirrors:
//! - `tokenizer.json`: the fast tokenizer (required). Encoding never adds BOS/EOS
//!   (`add_special_tokens=False`) but recognises special-token text such as `<|im_start|>`,
//!   unless `tokenizer_config.json` sets `split_special_tokens: true`.
//! - `tokenizer_config.json` (optional): `chat_template` (a string, or a list of
//!   `{name, template}` of which `default` is used), the special tokens (`bos_token`,
//!   `eos_token`, `pad_token`, `unk_token`, ...; a string or `{"content": ...}`),
//!   `added_tokens_decoder` (ids of added tokens, used when `tokenizer.json` lacks one) and
//!   `clean_up_tokenization_spaces` (applied on decode when true, as transformers does).
//! - `chat_template.jinja` (optional, newer transformers): replaces the config's template.
//! - `generation_config.json` (optional): `eos_token_id` (an int or a list), `pad_token_id`.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[path = "tokenizer_chat.rs"]
mod chat;
#[path = "tokenizer_pyfuncs.rs"]
mod pyfuncs;

pub use chat::ChatMessage;

#[cfg(test)]
#[path = "tokenizer_chat_tests.rs"]
mod chat_tests;
#[cfg(test)]
#[path = "tokenizer_tests.rs"]
mod tests;

/// The names transformers exposes to chat templates as `special_tokens_map` entries.
const SPECIAL_TOKEN_NAMES: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];

/// A tokenizer with its chat template and special tokens.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    /// The chat template source, when there is one.
    chat_template: Option<String>,
    /// The compiled template, or why it could not be used (reported by `apply_chat_template`).
    chat_env: std::result::Result<chat::ChatEnv, String>,
    /// Special-token strings by attribute name (`eos_token`, ...), only those set.
    special: Vec<(String, String)>,
    /// `additional_special_tokens` from the config.
    additional_special: Vec<String>,
    /// `added_tokens_decoder` from the config: content -> id.
    config_added: HashMap<String, u32>,
    /// `eos_token_id`s from generation_config.json.
    generation_eos: Vec<u32>,
    /// `pad_token_id` from generation_config.json.
    generation_pad: Option<u32>,
    /// transformers' `clean_up_tokenization_spaces`.
    clean_up_spaces: bool,
    /// Raw bytes of the files read (file name, bytes), written back unchanged by `save`.
    files: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.vocab_size(true))
            .field("special", &self.special)
            .field("eos_ids", &self.eos_ids())
            .field("has_chat_template", &self.chat_template.is_some())
            .field(
                "files",
                &self
                    .files
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Parses JSON, naming the file and the line/column of a syntax error.
fn parse_json(path: &Path, bytes: &[u8]) -> Result<Json> {
    serde_json::from_slice(bytes).map_err(|e| anyhow!("{}: malformed JSON: {e}", path.display()))
}

/// A special token given as a string or as an `AddedToken` object `{"content": ...}`.
fn token_str(v: Option<&Json>) -> Option<String> {
    let s = match v? {
        Json::String(s) => s.clone(),
        Json::Object(o) => o.get("content")?.as_str()?.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// An id that must fit in `u32`.
fn json_id(v: &Json) -> Option<u32> {
    v.as_u64().and_then(|x| u32::try_from(x).ok())
}

/// transformers' `clean_up_tokenization` (applied when `clean_up_tokenization_spaces` is true).
fn clean_up_tokenization(s: &str) -> String {
    const PAIRS: [(&str, &str); 10] = [
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ];
    PAIRS
        .iter()
        .fold(s.to_string(), |acc, (from, to)| acc.replace(from, to))
}

impl Tokenizer {
    /// Loads `tokenizer.json` and, when present, `tokenizer_config.json`, `chat_template.jinja`
    /// and `generation_config.json` from an HF folder. Errors name the folder or file and say
    /// what is wrong (missing folder, missing `tokenizer.json`, malformed JSON with line/column).
    pub fn from_dir(dir: &Path) -> Result<Self> {
        if !dir.exists() {
            bail!(
                "{}: no such directory (expected an HF folder with tokenizer.json)",
                dir.display()
            );
        }
        if !dir.is_dir() {
            bail!(
                "{}: not a directory (expected an HF folder with tokenizer.json)",
                dir.display()
            );
        }
        let tj = dir.join("tokenizer.json");
        if !tj.is_file() {
            let slow = ["vocab.json", "merges.txt", "tokenizer.model"]
                .iter()
                .filter(|f| dir.join(f).is_file())
                .copied()
                .collect::<Vec<_>>();
            let hint = if slow.is_empty() {
                String::new()
            } else {
                format!(
                    " (found {}: convert once with transformers: \
                     AutoTokenizer.from_pretrained(dir).save_pretrained(dir))",
                    slow.join(", ")
                )
            };
            bail!(
                "{}: no tokenizer.json, the fast-tokenizer file layerscript reads{hint}",
                dir.display()
            );
        }
        let tc = dir.join("tokenizer_config.json");
        let mut tok = Self::from_files(&tj, tc.is_file().then_some(tc.as_path()))?;
        let jinja = dir.join("chat_template.jinja");
        if jinja.is_file() {
            let bytes = read(&jinja)?;
            let text = String::from_utf8(bytes.clone())
                .map_err(|_| anyhow!("{}: not UTF-8 text", jinja.display()))?;
            tok.set_template(Some(text));
            tok.files.push(("chat_template.jinja".into(), bytes));
        }
        let gc = dir.join("generation_config.json");
        if gc.is_file() {
            let bytes = read(&gc)?;
            let v = parse_json(&gc, &bytes)?;
            tok.generation_eos = match v.get("eos_token_id") {
                Some(Json::Array(xs)) => xs.iter().filter_map(json_id).collect(),
                Some(x) => json_id(x).into_iter().collect(),
                None => vec![],
            };
            tok.generation_pad = v.get("pad_token_id").and_then(json_id);
            tok.files.push(("generation_config.json".into(), bytes));
        }
        Ok(tok)
    }

    /// Loads from explicit files: a `tokenizer.json` and optionally a `tokenizer_config.json`.
    pub fn from_files(tokenizer_json: &Path, tokenizer_config: Option<&Path>) -> Result<Self> {
        let tj = read(tokenizer_json)?;
        let tc = tokenizer_config
            .map(|p| read(p).map(|b| (p, b)))
            .transpose()?;
        Self::from_bytes(tokenizer_json, tj, tc)
    }

    /// The tokenizer of the embedded default model: the real Qwen3 vocabulary's first 4096 BPE
    /// ranks plus Qwen's special tokens (ids ≥ 4096), so digits and chat markup tokenize exactly as
    /// in Qwen.
    pub fn embedded_default() -> Result<Self> {
        let tj: &[u8] = include_bytes!("../../assets/tokenizer/qwen3-trim4096/tokenizer.json");
        let tc: &[u8] =
            include_bytes!("../../assets/tokenizer/qwen3-trim4096/tokenizer_config.json");
        let name = Path::new("<embedded qwen3-trim4096>");
        Self::from_bytes(
            &name.join("tokenizer.json"),
            tj.to_vec(),
            Some((&name.join("tokenizer_config.json"), tc.to_vec())),
        )
    }

    /// Builds from file contents; `path`s only name the files in errors.
    fn from_bytes(tj_path: &Path, tj: Vec<u8>, config: Option<(&Path, Vec<u8>)>) -> Result<Self> {
        let inner =
            tokenizers::Tokenizer::from_bytes(&tj).map_err(|e| {
                match serde_json::from_slice::<serde::de::IgnoredAny>(&tj) {
                    Err(j) => anyhow!("{}: malformed JSON: {j}", tj_path.display()),
                    Ok(_) => anyhow!(
                        "{}: not a tokenizer the `tokenizers` crate can load: {e}",
                        tj_path.display()
                    ),
                }
            })?;
        let mut tok = Self {
            inner,
            chat_template: None,
            chat_env: Err(String::new()),
            special: vec![],
            additional_special: vec![],
            config_added: HashMap::new(),
            generation_eos: vec![],
            generation_pad: None,
            clean_up_spaces: false,
            files: vec![("tokenizer.json".into(), tj)],
        };
        let mut template = None;
        if let Some((path, bytes)) = config {
            let v = parse_json(path, &bytes)?;
            if !v.is_object() {
                bail!("{}: expected a JSON object", path.display());
            }
            template = match v.get("chat_template") {
                Some(Json::String(s)) => Some(Ok(s.clone())),
                Some(Json::Array(list)) => Some(Self::default_template(list)),
                _ => None,
            };
            tok.special = SPECIAL_TOKEN_NAMES
                .iter()
                .filter_map(|n| Some((n.to_string(), token_str(v.get(*n))?)))
                .collect();
            if let Some(Json::Array(xs)) = v.get("additional_special_tokens") {
                tok.additional_special = xs.iter().filter_map(|x| token_str(Some(x))).collect();
            }
            if let Some(Json::Object(m)) = v.get("added_tokens_decoder") {
                for (id, t) in m {
                    if let (Ok(id), Some(content)) = (id.parse::<u32>(), token_str(Some(t))) {
                        tok.config_added.insert(content, id);
                    }
                }
            }
            tok.clean_up_spaces = v
                .get("clean_up_tokenization_spaces")
                .and_then(Json::as_bool)
                == Some(true);
            if v.get("split_special_tokens").and_then(Json::as_bool) == Some(true) {
                tok.inner.set_encode_special_tokens(true);
            }
            tok.files.push(("tokenizer_config.json".into(), bytes));
        }
        match template {
            Some(Ok(t)) => tok.set_template(Some(t)),
            Some(Err(e)) => tok.chat_env = Err(e),
            None => tok.set_template(None),
        }
        Ok(tok)
    }

    /// Text -> ids, without adding special tokens; special-token text such as `<|im_start|>` is
    /// recognised, as in HF (`tokenizer.encode(text, add_special_tokens=False)`).
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode_fast(text, false)
            .map_err(|e| anyhow!("tokenizing: {e}"))?;
        Ok(enc.get_ids().to_vec())
    }

    /// [`Tokenizer::encode`] for many texts (in parallel).
    pub fn encode_batch<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<u32>>> {
        let inputs: Vec<&str> = texts.iter().map(AsRef::as_ref).collect();
        let encs = self
            .inner
            .encode_batch_fast(inputs, false)
            .map_err(|e| anyhow!("tokenizing: {e}"))?;
        Ok(encs.iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Ids -> text, like HF's `decode(ids, skip_special_tokens=skip_special)`. Ids outside the
    /// vocabulary (e.g. the embedding rows Qwen pads its vocabulary with) decode to nothing.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        let s = self
            .inner
            .decode(ids, skip_special)
            .map_err(|e| anyhow!("decoding: {e}"))?;
        Ok(if self.clean_up_spaces {
            clean_up_tokenization(&s)
        } else {
            s
        })
    }

    /// [`Tokenizer::decode`] for many sequences.
    pub fn decode_batch(&self, seqs: &[Vec<u32>], skip_special: bool) -> Result<Vec<String>> {
        seqs.iter()
            .map(|ids| self.decode(ids, skip_special))
            .collect()
    }

    /// The id of a token string (vocabulary or added token; the config's `added_tokens_decoder`
    /// is consulted when `tokenizer.json` lacks it).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner
            .token_to_id(token)
            .or_else(|| self.config_added.get(token).copied())
    }

    /// The string of a token id (byte-level form, e.g. `Ġis`), if the id is in the vocabulary.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Vocabulary size, with or without added tokens. The model's embedding may be larger
    /// (Qwen pads 151,669 tokens to 151,936 rows).
    pub fn vocab_size(&self, with_added: bool) -> usize {
        self.inner.get_vocab_size(with_added)
    }

    /// A special token string by attribute name (`eos_token`, `pad_token`, `bos_token`, ...).
    pub fn special_token(&self, name: &str) -> Option<&str> {
        self.special
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    /// Ids that end generation, without duplicates: the tokenizer's `eos_token` first (what
    /// SFT appends), then generation_config's `eos_token_id`s. For Qwen chat models with their
    /// generation_config.json that is `<|im_end|>` and `<|endoftext|>`.
    pub fn eos_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .special_token("eos_token")
            .and_then(|t| self.token_to_id(t))
            .into_iter()
            .collect();
        for &id in &self.generation_eos {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// The padding id: the tokenizer's `pad_token`, else generation_config's `pad_token_id`.
    pub fn pad_id(&self) -> Option<u32> {
        self.special_token("pad_token")
            .and_then(|t| self.token_to_id(t))
            .or(self.generation_pad)
    }

    /// Writes the files this tokenizer was read from (`tokenizer.json`, and when read
    /// `tokenizer_config.json`, `chat_template.jinja`, `generation_config.json`), byte for byte,
    /// into `dir` (created if needed). Each file appears atomically. Returns the paths written.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        self.files
            .iter()
            .map(|(name, bytes)| {
                let p = dir.join(name);
                crate::files::write_atomic(&p, bytes)?;
                Ok(p)
            })
            .collect()
    }
}
