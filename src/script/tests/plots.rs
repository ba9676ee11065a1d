//! Plots are written as a valid PNG (checked from its bytes, no image library) and SVG.

use super::*;
use std::path::Path;

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(
        &b[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(&b[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

/// Fraction of pixels that are not white (decoded with the png crate plotters already needs).
fn ink(path: &Path) -> f64 {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = &buf[..info.buffer_size()];
    let dark = px.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    dark as f64 / (px.len() / 3) as f64
}

fn check_svg(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let t = text.trim_start();
    assert!(
        t.starts_with("<svg") || t.starts_with("<?xml"),
        "{}",
        &t[..t.len().min(80)]
    );
    assert!(t.contains("<svg") && text.trim_end().ends_with("</svg>"));
}

#[test]
fn bar_and_line_charts_write_png_and_svg() {
    let dir = temp_dir("plots");
    let d = dir.display();
    let csv = fixture_csv().display().to_string();
    let code = format!(
        r#"
        let t = contribution_table(read_csv("{csv}"), 40.0, 50.0);
        let a = bar_chart(t, #{{x: "layer", y: "contribution", title: "ℓ by layer", hline: 1, highlight: [3, 4]}}, "{d}/ell");
        let log = [#{{step: 0, reward: 0.1, kl: 0.0}}, #{{step: 10, reward: 0.4, kl: 0.02}}, #{{step: 20, reward: 0.5, kl: 0.03}}];
        let b = line_chart(log, #{{x: "step", ys: ["reward", "kl"], width: 640, height: 360}}, "{d}/sub/curves.png");
        let c = line_chart(log, #{{x: "step", y: "reward"}}, "{d}/one");
        a + b + c
        "#
    );
    let paths = eval(&code)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_array()
        .unwrap();
    let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        paths,
        vec![
            format!("{d}/ell.png"),
            format!("{d}/ell.svg"),
            format!("{d}/sub/curves.png"),
            format!("{d}/sub/curves.svg"),
            format!("{d}/one.png"),
            format!("{d}/one.svg"),
        ]
    );
    assert_eq!(png_size(&dir.join("ell.png")), (900, 500));
    assert_eq!(png_size(&dir.join("sub/curves.png")), (640, 360));
    for p in ["ell.png", "sub/curves.png", "one.png"] {
        let ink = ink(&dir.join(p));
        assert!(ink > 0.01 && ink < 0.6, "{p}: {ink}");
    }
    for p in ["ell.svg", "sub/curves.svg", "one.svg"] {
        check_svg(&dir.join(p));
    }
    let svg = std::fs::read_to_string(dir.join("ell.svg")).unwrap();
    assert!(
        svg.contains("ℓ by layer") && svg.contains("contribution"),
        "title and axis label"
    );
}

#[test]
fn plot_errors_are_sentences() {
    let e = eval_err(r#"bar_chart([], #{x: "layer", y: "score"}, "x")"#);
    assert!(e.contains("bar_chart: no rows to plot"), "{e}");
    let e = eval_err(r#"bar_chart([#{layer: 0}], #{x: "layer", y: "score"}, "x")"#);
    assert!(e.contains("row 0 has no `score` column"), "{e}");
    let e = eval_err(r#"line_chart([#{s: 0, a: 1}], #{x: "s"}, "x")"#);
    assert!(e.contains("exactly one of `y`"), "{e}");
    let e = eval_err(r#"line_chart([#{s: "a", a: 1}], #{x: "s", y: "a"}, "x")"#);
    assert!(e.contains("row 0 `s` must be a number, got string"), "{e}");
    let e = eval_err(r#"bar_chart([#{l: 0, a: 1}], #{x: "l", y: "a", width: 5}, "x")"#);
    assert!(e.contains("out of range"), "{e}");
}
