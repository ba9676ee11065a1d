//! HF tokenizer (`tokenizer.json` via the `tokenizers` crate) and chat template
//! (`tokenizer_config.json`'s Jinja `chat_template`, rendered with minijinja + Python-compat
//! methods, byte-identical to transformers' `apply_chat_template` for the Qwen templates).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One chat turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

/// A tokenizer with its chat template and special tokens.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    chat_template: Option<String>,
    eos_token: Option<String>,
    bos_token: Option<String>,
    pad_token: Option<String>,
    generation_eos: Vec<u32>,
    /// Raw bytes of the files read, written back unchanged by [`Tokenizer::save`].
    files: Vec<(String, Vec<u8>)>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn json(path: &Path, bytes: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// A special token given as a string or as `{"content": ...}`.
fn token_str(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o.get("content")?.as_str().map(String::from),
        _ => None,
    }
}

impl Tokenizer {
    /// Loads `tokenizer.json`, and when present `tokenizer_config.json` and
    /// `generation_config.json`, from an HF folder.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let tj = dir.join("tokenizer.json");
        if !tj.exists() {
            bail!(
                "{}: no tokenizer.json (layerscript needs the fast-tokenizer file HF writes)",
                dir.display()
            );
        }
        let tc = dir.join("tokenizer_config.json");
        let mut tok = Self::from_files(&tj, tc.exists().then_some(tc.as_path()))?;
        let gc = dir.join("generation_config.json");
        if gc.exists() {
            let bytes = read(&gc)?;
            let v = json(&gc, &bytes)?;
            tok.generation_eos = match v.get("eos_token_id") {
                Some(serde_json::Value::Array(xs)) => xs
                    .iter()
                    .filter_map(|x| x.as_u64())
                    .map(|x| x as u32)
                    .collect(),
                Some(x) => x.as_u64().map(|x| vec![x as u32]).unwrap_or_default(),
                None => vec![],
            };
            tok.files.push(("generation_config.json".into(), bytes));
        }
        Ok(tok)
    }

    /// Loads from explicit files.
    pub fn from_files(tokenizer_json: &Path, tokenizer_config: Option<&Path>) -> Result<Self> {
        let bytes = read(tokenizer_json)?;
        let inner = tokenizers::Tokenizer::from_bytes(&bytes)
            .map_err(|e| anyhow::anyhow!("{}: {e}", tokenizer_json.display()))?;
        let mut tok = Self {
            inner,
            chat_template: None,
            eos_token: None,
            bos_token: None,
            pad_token: None,
            generation_eos: vec![],
            files: vec![("tokenizer.json".into(), bytes)],
        };
        if let Some(path) = tokenizer_config {
            let bytes = read(path)?;
            let v = json(path, &bytes)?;
            tok.chat_template = match v.get("chat_template") {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Array(list)) => list
                    .iter()
                    .find(|t| t.get("name").and_then(|n| n.as_str()) == Some("default"))
                    .and_then(|t| t.get("template")?.as_str().map(String::from)),
                _ => None,
            };
            tok.eos_token = token_str(v.get("eos_token"));
            tok.bos_token = token_str(v.get("bos_token"));
            tok.pad_token = token_str(v.get("pad_token"));
            tok.files.push(("tokenizer_config.json".into(), bytes));
        }
        Ok(tok)
    }

    /// Text -> ids, without adding special tokens; special-token text such as `<|im_start|>` is
    /// recognised, as in HF.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        Ok(self
            .inner
            .encode(text, false)
            .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?
            .get_ids()
            .to_vec())
    }

    /// Ids -> text.
    pub fn decode(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| anyhow::anyhow!("decoding: {e}"))
    }

    /// The id of a token string.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The string of a token id.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Vocabulary size, with or without added tokens.
    pub fn vocab_size(&self, with_added: bool) -> usize {
        self.inner.get_vocab_size(with_added)
    }

    /// Ids that end generation: generation_config's `eos_token_id`s plus the tokenizer's EOS
    /// (for Qwen chat models `<|im_end|>` and `<|endoftext|>`).
    pub fn eos_ids(&self) -> Vec<u32> {
        let mut ids = self.generation_eos.clone();
        if let Some(id) = self.eos_token.as_deref().and_then(|t| self.token_to_id(t)) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// The padding id, if the tokenizer names one.
    pub fn pad_id(&self) -> Option<u32> {
        self.pad_token.as_deref().and_then(|t| self.token_to_id(t))
    }

    /// Renders the chat template like transformers' `apply_chat_template(tokenize=False)`.
    /// `extra` adds template variables, e.g. `{"enable_thinking": false}`.
    pub fn apply_chat_template(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
        extra: &serde_json::Value,
    ) -> Result<String> {
        let template = self
            .chat_template
            .as_deref()
            .context("this tokenizer has no chat_template (tokenizer_config.json)")?;
        let mut env = minijinja::Environment::new();
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |msg: String| -> Result<String, minijinja::Error> {
                Err(minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    msg,
                ))
            },
        );
        env.add_template("chat", template)
            .context("chat_template does not parse as Jinja")?;
        let mut ctx = serde_json::json!({
            "messages": messages,
            "add_generation_prompt": add_generation_prompt,
            "bos_token": self.bos_token.clone().unwrap_or_default(),
            "eos_token": self.eos_token.clone().unwrap_or_default(),
        });
        if let (Some(o), Some(x)) = (ctx.as_object_mut(), extra.as_object()) {
            for (k, v) in x {
                o.insert(k.clone(), v.clone());
            }
        }
        env.get_template("chat")?
            .render(minijinja::Value::from_serialize(&ctx))
            .context("rendering chat_template")
    }

    /// Writes the files this tokenizer was read from, unchanged, into `dir`.
    pub fn save(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        self.files
            .iter()
            .map(|(name, bytes)| {
                let p = dir.join(name);
                crate::model::load::write_atomic(&p, bytes)?;
                Ok(p)
            })
            .collect()
    }
}
