//! The Jinja environment transformers renders chat templates in, rebuilt on minijinja:
//! `trim_blocks` and `lstrip_blocks` on, Python `str`/`dict`/`list` methods (minijinja-contrib's
//! pycompat), and the globals/filters transformers adds: `raise_exception`, `strftime_now` and a
//! `tojson` that writes what Python's `json.dumps(x, ensure_ascii=False)` writes (minijinja's own
//! `tojson` drops the spaces after `,`/`:` and escapes `<`, `>`, `&`, `'`).
//!
//! Values print as in Python for `True`/`False`/`None`. Differences that remain: lists and
//! dicts print in JSON style (`[1, "a"]`, Python `[1, 'a']`); `{% break %}`/`{% continue %}`
//! (transformers enables Jinja's `loopcontrols`) need minijinja's `loop_controls` feature;
//! `strftime_now` uses UTC where transformers uses local time; floats in `tojson` use Rust's
//! shortest form (`1e20`, Python `1e+20`); dict key order (see `apply_chat_template`).

use super::{pyfuncs, Tokenizer};
use anyhow::{anyhow, bail, Context, Result};
use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, Value};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::borrow::Borrow;

/// One chat turn, as in HF's `messages` list (`{"role": ..., "content": ...}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` (or `tool`).
    pub role: String,
    /// The text of the turn.
    pub content: String,
}

impl ChatMessage {
    /// A message with the given role and content.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            content: content.into(),
        }
    }

    /// A `system` message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::new("system", content)
    }

    /// A `user` message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::new("user", content)
    }

    /// An `assistant` message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new("assistant", content)
    }
}

impl Tokenizer {
    /// The `default` entry of a list-form `chat_template`.
    pub(super) fn default_template(list: &[Json]) -> std::result::Result<String, String> {
        let name = |t: &Json| {
            t.get("name")
                .and_then(Json::as_str)
                .unwrap_or("?")
                .to_string()
        };
        list.iter()
            .find(|t| t.get("name").and_then(Json::as_str) == Some("default"))
            .and_then(|t| t.get("template")?.as_str().map(String::from))
            .ok_or_else(|| {
                let names: Vec<String> = list.iter().map(name).collect();
                format!("tokenizer_config.json has several chat templates ({}) and none named 'default'", names.join(", "))
            })
    }

    pub(super) fn set_template(&mut self, template: Option<String>) {
        self.chat_env = match &template {
            Some(t) => {
                ChatEnv::new(t).map_err(|e| format!("chat_template does not parse as Jinja: {e}"))
            }
            None => Err(
                "this tokenizer has no chat_template (tokenizer_config.json / chat_template.jinja)"
                    .into(),
            ),
        };
        self.chat_template = template;
    }

    /// Replaces the chat template (e.g. to give a base model one); `save` still writes the
    /// original files. Fails if `template` is not valid Jinja.
    pub fn set_chat_template(&mut self, template: &str) -> Result<()> {
        ChatEnv::new(template).context("chat template does not parse as Jinja")?;
        self.set_template(Some(template.to_string()));
        Ok(())
    }

    /// The chat template source, if any.
    pub fn chat_template(&self) -> Option<&str> {
        self.chat_template.as_deref()
    }

    /// Renders the chat template like transformers' `apply_chat_template(messages,
    /// tokenize=False, add_generation_prompt=...)`: Jinja with `trim_blocks`/`lstrip_blocks`,
    /// Python string/dict methods, `raise_exception`, `strftime_now`, a Python-style `tojson`,
    /// and the variables `messages`, `add_generation_prompt`, `tools` and `documents` (none), the
    /// special tokens that are set (`bos_token`, `eos_token`, ...) and
    /// `additional_special_tokens`. `extra` (a JSON object or null; owned or borrowed) adds or
    /// overrides variables, e.g. `{"enable_thinking": false}` or `{"tools": [...]}`.
    ///
    /// Key order inside `tojson` output follows the `preserve_order` features of `serde_json`
    /// and `minijinja` (sorted without them; Python keeps insertion order). Only matters for
    /// tools passed through `extra`.
    pub fn apply_chat_template(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
        extra: impl Borrow<Json>,
    ) -> Result<String> {
        let env = self.chat_env.as_ref().map_err(|e| anyhow!("{e}"))?;
        let mut vars: Vec<(String, Value)> = self
            .special
            .iter()
            .map(|(n, t)| (n.clone(), Value::from(t.as_str())))
            .collect();
        if !self.additional_special.is_empty() {
            vars.push((
                "additional_special_tokens".into(),
                Value::from_serialize(&self.additional_special),
            ));
        }
        vars.push(("tools".into(), Value::from(())));
        vars.push(("documents".into(), Value::from(())));
        match extra.borrow() {
            Json::Null => {}
            Json::Object(m) => {
                for (k, v) in m {
                    if k == "messages" || k == "add_generation_prompt" {
                        bail!(
                            "chat template variables: '{k}' is an argument, not an extra variable"
                        );
                    }
                    vars.retain(|(n, _)| n != k);
                    vars.push((k.clone(), Value::from_serialize(v)));
                }
            }
            other => bail!("chat template variables must be a JSON object, got {other}"),
        }
        vars.push(("messages".into(), Value::from_serialize(messages)));
        vars.push((
            "add_generation_prompt".into(),
            Value::from(add_generation_prompt),
        ));
        env.render(vars)
    }

    /// Renders the chat template and tokenizes it, like transformers'
    /// `apply_chat_template(..., tokenize=True)` (no special tokens added beyond the template's).
    pub fn encode_chat(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
        extra: impl Borrow<Json>,
    ) -> Result<Vec<u32>> {
        self.encode(&self.apply_chat_template(messages, add_generation_prompt, extra)?)
    }
}

/// Name under which the template is stored in the environment.
const NAME: &str = "chat_template";

/// A compiled chat template in a transformers-compatible environment.
#[derive(Clone)]
pub(super) struct ChatEnv {
    env: Environment<'static>,
}

impl ChatEnv {
    /// Compiles `template`; fails on Jinja syntax errors.
    fn new(template: &str) -> std::result::Result<Self, Error> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_formatter(python_formatter);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", pyfuncs::strftime_now);
        env.add_filter("tojson", pyfuncs::tojson);
        env.add_template_owned(NAME, template.to_string())?;
        Ok(Self { env })
    }

    /// Renders with the given top-level variables.
    fn render(&self, vars: Vec<(String, Value)>) -> Result<String> {
        let ctx: Value = vars.into_iter().collect();
        self.env
            .get_template(NAME)
            .and_then(|t| t.render(ctx))
            .map_err(|e| anyhow!("rendering the chat template: {e}"))
    }
}

/// Prints values as Jinja2 does where minijinja differs: `True`/`False`/`None`.
fn python_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> std::result::Result<(), Error> {
    let word = match value.kind() {
        ValueKind::Bool if value.is_true() => "True",
        ValueKind::Bool => "False",
        ValueKind::None => "None",
        _ => return minijinja::escape_formatter(out, state, value),
    };
    out.write_str(word)
        .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write output"))
}

/// transformers' `raise_exception(message)`: stops rendering with `message`.
fn raise_exception(message: String) -> std::result::Result<Value, Error> {
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!("chat template raised an exception: {message}"),
    ))
}
