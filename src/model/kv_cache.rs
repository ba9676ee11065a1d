//! Key/value cache for incremental decoding.

use burn::prelude::*;

/// One layer's cached keys and values, `[B, kv_heads, T_past, head_dim]` each; `None` before prefill.
pub type LayerCache<B> = Option<(Tensor<B, 4>, Tensor<B, 4>)>;

/// Cached keys/values of every layer plus the number of positions they cover.
pub struct KvCache<B: Backend> {
    /// Indexed by decoder layer.
    pub layers: Vec<LayerCache<B>>,
    len: usize,
}

impl<B: Backend> KvCache<B> {
    /// An empty cache for a model with `num_layers` layers.
    pub fn new(num_layers: usize) -> Self {
        Self {
            layers: (0..num_layers).map(|_| None).collect(),
            len: 0,
        }
    }

    /// Positions already cached (past length).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True before the first forward.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Records that a forward appended `t` positions.
    pub fn advance(&mut self, t: usize) {
        self.len += t;
    }

    /// Keeps (and repeats) batch rows: row `i` of the result is row `rows[i]` of this cache.
    /// Used to prefill a prompt once and decode G samples of it (GRPO groups), and to drop
    /// finished rows.
    pub fn select_rows(&mut self, rows: &[usize]) {
        let Some(Some((k, _))) = self.layers.first() else {
            return;
        };
        let dev = k.device();
        let idx = Tensor::<B, 1, Int>::from_data(
            TensorData::new(
                rows.iter().map(|&r| r as i64).collect::<Vec<_>>(),
                [rows.len()],
            ),
            &dev,
        );
        for slot in self.layers.iter_mut() {
            if let Some((k, v)) = slot.take() {
                *slot = Some((k.select(0, idx.clone()), v.select(0, idx.clone())));
            }
        }
    }
}
