//! The one place a cargo feature picks the burn backend: `cuda` > `wgpu` > `flex` (CPU, default,
//! used for tests and whenever no GPU backend is compiled in). Training runs on `Autodiff` of it.

use anyhow::{bail, Result};

/// The compute backend compiled into this binary.
#[cfg(feature = "cuda")]
pub type Compute = burn::backend::Cuda;
/// The compute backend compiled into this binary.
#[cfg(all(feature = "wgpu", not(feature = "cuda")))]
pub type Compute = burn::backend::Wgpu;
/// The compute backend compiled into this binary.
#[cfg(not(any(feature = "wgpu", feature = "cuda")))]
pub type Compute = burn::backend::Flex;

/// The compute backend with reverse-mode autodiff, for training.
pub type Train = burn::backend::Autodiff<Compute>;

/// Device of the compute backend.
pub type Device = burn::tensor::Device<Compute>;

/// Name of the compiled-in backend, for messages and benchmark reports.
pub fn name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda"
    } else if cfg!(feature = "wgpu") {
        "wgpu"
    } else {
        "flex (cpu)"
    }
}

/// The device scripts and the quickstart use: `$LAYERSCRIPT_DEVICE` (same syntax as `--device`),
/// else the compiled-in backend's default.
pub fn script_device() -> Result<Device> {
    let spec = std::env::var("LAYERSCRIPT_DEVICE").unwrap_or_default();
    device(&spec).map_err(|e| anyhow::anyhow!("LAYERSCRIPT_DEVICE={spec}: {e}"))
}

/// Parses `--device`: `cpu` (flex builds), `wgpu` / `wgpu:N`, `cuda` / `cuda:N`; `auto` or empty
/// takes the compiled-in backend's default device.
pub fn device(spec: &str) -> Result<Device> {
    let (kind, index) = match spec.split_once(':') {
        Some((k, i)) => (
            k,
            i.parse::<usize>()
                .map_err(|_| anyhow::anyhow!("device index `{i}` is not a number"))?,
        ),
        None => (spec, 0),
    };
    match (kind, name()) {
        ("" | "auto", _) => Ok(Device::default()),
        ("cpu", "flex (cpu)") => Ok(Device::default()),
        #[cfg(all(feature = "wgpu", not(feature = "cuda")))]
        ("wgpu", _) => Ok(if index == 0 {
            Device::default()
        } else {
            burn::backend::wgpu::WgpuDevice::DiscreteGpu(index)
        }),
        #[cfg(feature = "cuda")]
        ("cuda", _) => Ok(burn::backend::cuda::CudaDevice::new(index)),
        (k, compiled) => {
            let _ = index;
            bail!("device `{k}` is not available: this binary was built with the {compiled} backend (rebuild with `--features cuda` or `--features wgpu`)")
        }
    }
}
