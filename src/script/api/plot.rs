//! Per-layer plots: `bar_chart` (ℓ by layer) and `line_chart` (curves over steps), each written
//! as both `stem.png` and `stem.svg` with plotters. PNG text is drawn with DejaVu Sans compiled
//! into the binary (assets/fonts/), so no system fonts are needed.

use crate::script::convert::{check_keys, floatify, RhaiResult};
use crate::script::OrScript;
use anyhow::{anyhow, bail, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use rhai::plugin::*;
use rhai::{Array, Map};
use std::path::{Path, PathBuf};
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();

/// Series colours (Tableau 10), in order.
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn register_font() {
    FONT_ONCE.call_once(|| {
        // The font is a fixed asset; a failure here would be caught by the plot tests.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Shared chart options (all optional).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frame {
    /// Caption above the plot.
    pub title: Option<String>,
    /// X axis label (default: the x column name).
    pub x_label: Option<String>,
    /// Y axis label (default: the y column name(s)).
    pub y_label: Option<String>,
    /// Image width in pixels (default 900).
    pub width: Option<u32>,
    /// Image height in pixels (default 500).
    pub height: Option<u32>,
    /// Draw a dashed horizontal reference line at this y (e.g. 1.0 = full training).
    pub hline: Option<f64>,
}

/// A bar chart: one bar per row, labelled by the x column.
#[derive(Debug, Clone)]
pub struct Bars {
    /// Bar labels (x column, formatted).
    pub labels: Vec<String>,
    /// Bar heights.
    pub values: Vec<f64>,
    /// Bars drawn in the accent colour (indices into `values`).
    pub highlight: Vec<usize>,
    /// Error bars: `(lo, hi)` per bar (e.g. a 95% interval), drawn as capped whiskers.
    pub errors: Option<Vec<(f64, f64)>>,
}

/// A line chart: one or more named series over shared x values.
#[derive(Debug, Clone)]
pub struct Lines {
    /// X values.
    pub x: Vec<f64>,
    /// `(name, y values)` per series.
    pub series: Vec<(String, Vec<f64>)>,
}

/// What to draw.
#[derive(Debug, Clone)]
pub enum Chart {
    /// [`Bars`].
    Bars(Bars),
    /// [`Lines`].
    Lines(Lines),
}

/// Axis tick text: whole numbers without a decimal point, others with up to 4 decimals.
fn tick(v: &f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        crate::script::display::format_float(*v)
    }
}

/// Grid colours: a faint grid that does not compete with the data.
const GRID_BOLD: RGBColor = RGBColor(215, 215, 215);
const GRID_LIGHT: RGBColor = RGBColor(242, 242, 242);

fn y_range(values: impl Iterator<Item = f64>, hline: Option<f64>) -> (f64, f64) {
    let (lo, hi) = values
        .chain(hline)
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = ((hi - lo) * 0.08).max(1e-9);
    (if lo < 0.0 { lo - pad } else { 0.0 }, hi + pad)
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chart: &Chart,
    f: &Frame,
    xl: &str,
    yl: &str,
) -> Result<()> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing failed: {e}");
    root.fill(&WHITE).map_err(e)?;
    let mut b = ChartBuilder::on(&root);
    b.margin(16).x_label_area_size(44).y_label_area_size(64);
    if let Some(t) = &f.title {
        b.caption(t, ("sans-serif", 22));
    }
    let x_desc = f.x_label.as_deref().unwrap_or(xl);
    let y_desc = f.y_label.as_deref().unwrap_or(yl);
    match chart {
        Chart::Bars(bars) => {
            let n = bars.values.len();
            let whiskers = bars.errors.iter().flatten().flat_map(|&(lo, hi)| [lo, hi]);
            let (y0, y1) = y_range(bars.values.iter().copied().chain(whiskers), f.hline);
            // Plotters integer ranges are closed: 0..=n-1 gives n segments (at least 2 values,
            // as a one-value range has no scale).
            let last = (n as i32 - 1).max(1);
            let mut c = b
                .build_cartesian_2d((0..last).into_segmented(), y0..y1)
                .map_err(e)?;
            c.configure_mesh()
                .disable_x_mesh()
                .x_labels(n.min(60))
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                        bars.labels.get(*i as usize).cloned().unwrap_or_default()
                    }
                    SegmentValue::Last => String::new(),
                })
                .y_label_formatter(&tick)
                .bold_line_style(GRID_BOLD)
                .light_line_style(GRID_LIGHT)
                .x_desc(x_desc)
                .y_desc(y_desc)
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(e)?;
            c.draw_series(bars.values.iter().enumerate().map(|(i, &v)| {
                let color = if bars.highlight.contains(&i) {
                    COLORS[1]
                } else {
                    COLORS[0]
                };
                let mut r = Rectangle::new(
                    [
                        (SegmentValue::Exact(i as i32), 0.0),
                        (SegmentValue::Exact(i as i32 + 1), v),
                    ],
                    color.filled(),
                );
                r.set_margin(0, 0, 2, 2);
                r
            }))
            .map_err(e)?;
            if let Some(errors) = &bars.errors {
                // A capped whisker from lo to hi at each bar's centre.
                let ink = BLACK.stroke_width(1);
                c.draw_series(
                    errors
                        .iter()
                        .zip(&bars.values)
                        .enumerate()
                        .filter(|(_, (&(lo, hi), _))| lo.is_finite() && hi.is_finite())
                        .map(|(i, (&(lo, hi), &v))| {
                            let mid = if v.is_finite() { v } else { (lo + hi) / 2.0 };
                            ErrorBar::new_vertical(
                                SegmentValue::CenterOf(i as i32),
                                lo,
                                mid,
                                hi,
                                ink,
                                12,
                            )
                        }),
                )
                .map_err(e)?;
            }
            if let Some(h) = f.hline {
                let line = [(SegmentValue::Exact(0), h), (SegmentValue::Last, h)];
                c.draw_series(DashedLineSeries::new(line, 6, 4, BLACK.stroke_width(1)))
                    .map_err(e)?;
            }
        }
        Chart::Lines(lines) => {
            let (x0, x1) = lines
                .x
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            if !x0.is_finite() || !x1.is_finite() {
                bail!("line chart x values must be finite numbers");
            }
            let (x0, x1) = if x0 < x1 {
                (x0, x1)
            } else {
                (x0 - 0.5, x0 + 0.5)
            };
            let all = lines.series.iter().flat_map(|(_, ys)| ys.iter().copied());
            let (y0, y1) = y_range(all, f.hline);
            let mut c = b.build_cartesian_2d(x0..x1, y0..y1).map_err(e)?;
            c.configure_mesh()
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .bold_line_style(GRID_BOLD)
                .light_line_style(GRID_LIGHT)
                .x_desc(x_desc)
                .y_desc(y_desc)
                .label_style(("sans-serif", 13))
                .draw()
                .map_err(e)?;
            for (k, (name, ys)) in lines.series.iter().enumerate() {
                let color = COLORS[k % COLORS.len()];
                let pts: Vec<(f64, f64)> =
                    lines.x.iter().copied().zip(ys.iter().copied()).collect();
                c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
                    .map_err(e)?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                c.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                    .map_err(e)?;
            }
            if let Some(h) = f.hline {
                c.draw_series(DashedLineSeries::new(
                    [(x0, h), (x1, h)],
                    6,
                    4,
                    BLACK.stroke_width(1),
                ))
                .map_err(e)?;
            }
            if lines.series.len() > 1 {
                c.configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font(("sans-serif", 13))
                    .draw()
                    .map_err(e)?;
            }
        }
    }
    root.present().map_err(e)?;
    Ok(())
}

/// Renders `chart` to `stem.png` and `stem.svg` (an extension on `stem` is replaced) and
/// returns both paths, PNG first.
pub fn write_chart(
    chart: &Chart,
    frame: &Frame,
    x_name: &str,
    y_name: &str,
    stem: &Path,
) -> Result<Vec<PathBuf>> {
    register_font();
    let (w, h) = (frame.width.unwrap_or(900), frame.height.unwrap_or(500));
    if !(64..=8192).contains(&w) || !(64..=8192).contains(&h) {
        bail!("plot size {w}x{h} is out of range (64..=8192 pixels per side)");
    }
    let png_path = stem.with_extension("png");
    let svg_path = stem.with_extension("svg");

    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(
        BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(),
        chart,
        frame,
        x_name,
        y_name,
    )?;
    let mut png_bytes = Vec::new();
    let mut enc = png::Encoder::new(&mut png_bytes, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().context("encoding PNG")?;
    writer.write_image_data(&rgb).context("encoding PNG")?;
    writer.finish().context("encoding PNG")?;
    crate::files::write_atomic(&png_path, &png_bytes)?;

    let mut svg = String::new();
    draw(
        SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area(),
        chart,
        frame,
        x_name,
        y_name,
    )?;
    crate::files::write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}

/// `p` canonicalised (it exists: it was just written), or as given if that fails.
pub fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Writes the chart and records its files for the notebook.
fn finish(
    ctx: &NativeCallContext,
    chart: Chart,
    frame: Frame,
    x: &str,
    y: &str,
    stem: &str,
) -> RhaiResult<Array> {
    let host = crate::script::host(ctx);
    let paths = write_chart(&chart, &frame, x, y, &host.resolve(stem)).or_script()?;
    // Absolute, so notebooks and saved sessions can link them from any folder.
    host.plots
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(paths.iter().map(|p| absolute(p)));
    Ok(paths
        .iter()
        .map(|p| Dynamic::from(p.display().to_string()))
        .collect())
}

/// Keys every chart takes (see [`Frame`]).
const FRAME_KEYS: [&str; 6] = ["title", "x_label", "y_label", "width", "height", "hline"];

/// Checks keys against the chart's own plus [`FRAME_KEYS`], then splits them.
fn split(opts: Map, what: &str, own: &[&str]) -> RhaiResult<(Map, Map)> {
    let valid: Vec<&str> = own.iter().chain(FRAME_KEYS.iter()).copied().collect();
    check_keys(&opts, what, &valid)?;
    let (own, mut frame): (Map, Map) = opts
        .into_iter()
        .partition(|(k, _)| own.contains(&k.as_str()));
    floatify(&mut frame, &["hline"]);
    Ok((own, frame))
}

/// The `plot` plugin module.
#[export_module]
pub mod plot_fns {
    use super::{finish, split, Bars, Chart, Frame, Lines};
    use crate::script::convert::{column, num_column, RhaiResult};
    use crate::script::display::format_value;
    use crate::script::options;
    use rhai::{Array, Dynamic, Map, NativeCallContext};

    /// Bar chart of one column against another, written as `stem.png` and `stem.svg`; returns
    /// both paths. Options: `x`, `y` (column names, required), `lo` and `hi` (columns of error-bar
    /// ends, e.g. a 95% interval), `highlight` (x values to draw in the accent colour), and
    /// `title`, `x_label`, `y_label`, `width`, `height`, `hline`.
    ///
    /// ```rhai
    /// bar_chart(t, #{x: "layer", y: "contribution", title: "ℓ by layer", hline: 1.0}, "ell");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn bar_chart(
        ctx: NativeCallContext,
        rows: Array,
        opts: Map,
        stem: &str,
    ) -> RhaiResult<Array> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Own {
            x: String,
            y: String,
            #[serde(default)]
            highlight: Vec<Dynamic>,
            lo: Option<String>,
            hi: Option<String>,
        }
        let (own, frame) = split(opts, "bar_chart", &["x", "y", "highlight", "lo", "hi"])?;
        let own: Own = options(own, "bar_chart")?;
        let frame: Frame = options(frame, "bar_chart")?;
        if rows.is_empty() {
            return Err("bar_chart: no rows to plot".into());
        }
        let xs = column(&rows, &own.x)?;
        let labels: Vec<String> = xs.iter().map(format_value).collect();
        let marked: Vec<String> = own.highlight.iter().map(format_value).collect();
        let highlight = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| marked.contains(l))
            .map(|(i, _)| i)
            .collect();
        let errors = match (&own.lo, &own.hi) {
            (Some(lo), Some(hi)) => Some(
                num_column(&rows, lo)?
                    .into_iter()
                    .zip(num_column(&rows, hi)?)
                    .collect(),
            ),
            (None, None) => None,
            _ => return Err("bar_chart: give both `lo` and `hi` for error bars".into()),
        };
        let bars = Bars {
            labels,
            values: num_column(&rows, &own.y)?,
            highlight,
            errors,
        };
        finish(&ctx, Chart::Bars(bars), frame, &own.x, &own.y, stem)
    }

    /// Line chart of numeric columns against a numeric x column, written as `stem.png` and
    /// `stem.svg`; returns both paths. Options: `x` (required), `y` (one column) or `ys`
    /// (several, with a legend), and `title`, `x_label`, `y_label`, `width`, `height`, `hline`.
    ///
    /// ```rhai
    /// line_chart(log, #{x: "step", ys: ["reward", "kl"], title: "GRPO"}, "curves");
    /// ```
    #[rhai_fn(return_raw)]
    pub fn line_chart(
        ctx: NativeCallContext,
        rows: Array,
        opts: Map,
        stem: &str,
    ) -> RhaiResult<Array> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Own {
            x: String,
            y: Option<String>,
            ys: Option<Vec<String>>,
        }
        let (own, frame) = split(opts, "line_chart", &["x", "y", "ys"])?;
        let own: Own = options(own, "line_chart")?;
        let frame: Frame = options(frame, "line_chart")?;
        let names: Vec<String> = match (own.y, own.ys) {
            (Some(y), None) => vec![y],
            (None, Some(ys)) if !ys.is_empty() => ys,
            _ => {
                return Err(
                    "line_chart needs exactly one of `y` (a column) or `ys` (columns)".into(),
                )
            }
        };
        if rows.is_empty() {
            return Err("line_chart: no rows to plot".into());
        }
        let x = num_column(&rows, &own.x)?;
        let series = names
            .iter()
            .map(|n| Ok((n.clone(), num_column(&rows, n)?)))
            .collect::<RhaiResult<Vec<_>>>()?;
        let y_name = names.join(", ");
        finish(
            &ctx,
            Chart::Lines(Lines { x, series }),
            frame,
            &own.x,
            &y_name,
            stem,
        )
    }
}
