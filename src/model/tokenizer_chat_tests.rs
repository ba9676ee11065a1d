//! Chat templates beyond the transformers reference cases: multi-turn and tools renders of the
//! official Qwen templates checked against Jinja2 3.1 with transformers' settings, Python's
//! `json.dumps` for `tojson`, the template globals, and `tokenizer_config.json` variants.

use super::tests::{load, temp_dir, FIXTURES};
use super::*;
use serde_json::json;

#[test]
fn multi_turn_and_tools_match_jinja2() {
    // Expected strings: Jinja2 3.1 with transformers' settings on the official templates.
    let conv = vec![
        ChatMessage::system("Be brief."),
        ChatMessage::user("What is 1+1?"),
        ChatMessage::assistant("<think>\nI add.\n</think>\n\nThe answer is 2."),
        ChatMessage::user("And 2+2?"),
    ];
    let tools = json!([{"function": {"description": "Adds <a> & 'b' é", "name": "calc",
        "parameters": {"properties": {"x": {"type": "integer"}}, "type": "object"}}, "type": "function"}]);
    let q3 = load("qwen3-trim4096");
    let a = q3
        .apply_chat_template(&conv, true, json!({"enable_thinking": false}))
        .unwrap();
    assert_eq!(a, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\nThe answer is 2.<|im_end|>\n<|im_start|>user\nAnd 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n");
    let a2 = q3
        .apply_chat_template(&conv[..3], false, Json::Null)
        .unwrap();
    assert_eq!(a2, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n<think>\nI add.\n</think>\n\nThe answer is 2.<|im_end|>\n");
    let b = q3
        .apply_chat_template(&conv[1..2], true, json!({"tools": tools}))
        .unwrap();
    assert_eq!(b, "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"function\": {\"description\": \"Adds <a> & 'b' é\", \"name\": \"calc\", \"parameters\": {\"properties\": {\"x\": {\"type\": \"integer\"}}, \"type\": \"object\"}}, \"type\": \"function\"}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n");
    let q25 = load("qwen2.5-trim4096");
    let c = q25.apply_chat_template(&conv, false, json!({})).unwrap();
    assert_eq!(c, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is 1+1?<|im_end|>\n<|im_start|>assistant\n<think>\nI add.\n</think>\n\nThe answer is 2.<|im_end|>\n<|im_start|>user\nAnd 2+2?<|im_end|>\n");
}

#[test]
fn tojson_matches_python_json_dumps() {
    let cases = [
        ("{{ x|tojson }}", "{\"a\": \"é<>&'\\\"\\n😀\", \"b\": [1, 2.5, {\"a\": true, \"z\": null}], \"e\": [], \"o\": {}}"),
        ("{{ x|tojson(indent=2) }}", "{\n  \"a\": \"é<>&'\\\"\\n😀\",\n  \"b\": [\n    1,\n    2.5,\n    {\n      \"a\": true,\n      \"z\": null\n    }\n  ],\n  \"e\": [],\n  \"o\": {}\n}"),
        ("{{ x|tojson(sort_keys=true) }}", "{\"a\": \"é<>&'\\\"\\n😀\", \"b\": [1, 2.5, {\"a\": true, \"z\": null}], \"e\": [], \"o\": {}}"),
        ("{{ x|tojson(ensure_ascii=true) }}", "{\"a\": \"\\u00e9<>&'\\\"\\n\\ud83d\\ude00\", \"b\": [1, 2.5, {\"a\": true, \"z\": null}], \"e\": [], \"o\": {}}"),
        ("{{ x|tojson(separators=(',', ':')) }}", "{\"a\":\"é<>&'\\\"\\n😀\",\"b\":[1,2.5,{\"a\":true,\"z\":null}],\"e\":[],\"o\":{}}"),
        ("{{ x|tojson(indent=0, sort_keys=true) }}", "{\n\"a\": \"é<>&'\\\"\\n😀\",\n\"b\": [\n1,\n2.5,\n{\n\"a\": true,\n\"z\": null\n}\n],\n\"e\": [],\n\"o\": {}\n}"),
        ("{{ x|tojson(false, 1) }}", "{\n \"a\": \"é<>&'\\\"\\n😀\",\n \"b\": [\n  1,\n  2.5,\n  {\n   \"a\": true,\n   \"z\": null\n  }\n ],\n \"e\": [],\n \"o\": {}\n}"),
    ];
    let x = json!({"a": "é<>&'\"\n😀", "b": [1, 2.5, {"a": true, "z": null}], "e": [], "o": {}});
    let mut tok = load("qwen3-trim4096");
    for (template, want) in cases {
        tok.set_chat_template(template).unwrap();
        assert_eq!(
            tok.apply_chat_template(&[], false, json!({ "x": x }))
                .unwrap(),
            want,
            "{template}"
        );
    }
    tok.set_chat_template("{{ x|tojson(bogus=1) }}").unwrap();
    assert!(tok
        .apply_chat_template(&[], false, json!({ "x": 1 }))
        .is_err());
}

#[test]
fn template_globals_and_errors() {
    let mut tok = load("qwen3-trim4096");
    tok.set_chat_template("{{ raise_exception('Only user and assistant roles are supported!') }}")
        .unwrap();
    let e = format!(
        "{:#}",
        tok.apply_chat_template(&[ChatMessage::user("hi")], false, Json::Null)
            .unwrap_err()
    );
    assert!(
        e.contains("Only user and assistant roles are supported!"),
        "{e}"
    );
    tok.set_chat_template("{{ eos_token }}|{{ pad_token }}|{{ bos_token is defined }}|{{ tools is none }}|{{ tools }}|{{ additional_special_tokens[0] }}|{{ messages[0].content.strip().upper() }}").unwrap();
    let s = tok
        .apply_chat_template(&[ChatMessage::user("  hi ")], false, Json::Null)
        .unwrap();
    assert_eq!(
        s,
        "<|im_end|>|<|endoftext|>|False|True|None|<|im_start|>|HI"
    );
    // trim_blocks / lstrip_blocks, as transformers sets them.
    tok.set_chat_template("  {% for m in messages %}\n[{{ m.role }}]\n  {% endfor %}\n")
        .unwrap();
    let s = tok
        .apply_chat_template(
            &[ChatMessage::user("a"), ChatMessage::assistant("b")],
            false,
            Json::Null,
        )
        .unwrap();
    assert_eq!(s, "[user]\n[assistant]\n");
    assert!(tok.set_chat_template("{% if %}").is_err());
    assert!(
        tok.apply_chat_template(&[], false, json!([1])).is_err(),
        "extra must be an object"
    );
    assert!(tok
        .apply_chat_template(&[], false, json!({"messages": []}))
        .is_err());
    assert_eq!(
        pyfuncs::strftime(
            1_700_000_000,
            "%Y-%m-%d %H:%M:%S %a %A %b %B %j %y %I %p %-d/%-m %e %% %Q"
        ),
        "2023-11-14 22:13:20 Tue Tuesday Nov November 318 23 10 PM 14/11 14 % %Q"
    );
    assert_eq!(
        pyfuncs::strftime(951_955_200, "%Y-%m-%d %a %j %e"),
        "2000-03-02 Thu 062  2"
    );
    assert_eq!(
        pyfuncs::strftime(-1, "%Y-%m-%d %H:%M:%S %a %j"),
        "1969-12-31 23:59:59 Wed 365"
    );
    assert_eq!(
        pyfuncs::strftime(4_107_542_400, "%Y-%m-%d %a %j"),
        "2100-03-01 Mon 060"
    );
    tok.set_chat_template("{{ strftime_now('%Y') | length }}")
        .unwrap();
    assert_eq!(
        tok.apply_chat_template(&[], false, Json::Null).unwrap(),
        "4"
    );
}

#[test]
fn config_variants_list_template_jinja_file_and_no_template() {
    let src = Path::new(FIXTURES).join("qwen3-trim4096");
    let d = temp_dir("variants");
    std::fs::copy(src.join("tokenizer.json"), d.join("tokenizer.json")).unwrap();
    // No tokenizer_config.json: encoding works, the template error is clear.
    let t = Tokenizer::from_dir(&d).unwrap();
    assert_eq!(
        t.encode("What is 1+1?").unwrap(),
        vec![3838, 374, 220, 16, 10, 16, 30]
    );
    assert!(t.eos_ids().is_empty() && t.pad_id().is_none());
    let e = format!(
        "{:#}",
        t.apply_chat_template(&[], true, Json::Null).unwrap_err()
    );
    assert!(e.contains("no chat_template"), "{e}");
    // List-form chat_template: the "default" entry; AddedToken-object special tokens.
    let cfg = json!({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D{{ eos_token }}"}],
        "eos_token": {"__type": "AddedToken", "content": "<|im_end|>"}, "pad_token": null, "clean_up_tokenization_spaces": true});
    std::fs::write(d.join("tokenizer_config.json"), cfg.to_string()).unwrap();
    let t = Tokenizer::from_dir(&d).unwrap();
    assert_eq!(
        t.apply_chat_template(&[], false, Json::Null).unwrap(),
        "D<|im_end|>"
    );
    assert_eq!(t.eos_ids(), vec![t.token_to_id("<|im_end|>").unwrap()]);
    assert_eq!(t.pad_id(), None);
    let ids = t.encode("Hello , world !").unwrap();
    assert_eq!(
        t.decode(&ids, false).unwrap(),
        "Hello, world!",
        "clean_up_tokenization_spaces"
    );
    // chat_template.jinja overrides the config's template and is saved back.
    std::fs::write(d.join("chat_template.jinja"), "J{{ messages|length }}").unwrap();
    let t = Tokenizer::from_dir(&d).unwrap();
    assert_eq!(
        t.apply_chat_template(&[ChatMessage::user("x")], false, Json::Null)
            .unwrap(),
        "J1"
    );
    let out = d.join("saved");
    let written = t.save(&out).unwrap();
    assert_eq!(written.len(), 3);
    assert_eq!(
        std::fs::read(out.join("chat_template.jinja")).unwrap(),
        b"J{{ messages|length }}"
    );
    // A list without "default".
    std::fs::remove_file(d.join("chat_template.jinja")).unwrap();
    std::fs::write(
        d.join("tokenizer_config.json"),
        r#"{"chat_template": [{"name": "a", "template": "A"}]}"#,
    )
    .unwrap();
    let e = format!(
        "{:#}",
        Tokenizer::from_dir(&d)
            .unwrap()
            .apply_chat_template(&[], false, Json::Null)
            .unwrap_err()
    );
    assert!(e.contains("'default'"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}
