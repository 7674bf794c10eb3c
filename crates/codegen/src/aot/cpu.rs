//! What an object is compiled for: the target triple and one or more CPU
//! variants, parsed from `blaze build --target` and `--target-cpu`.
//!
//! The x86-64 micro-architecture levels of the psABI (`x86-64`,
//! `x86-64-v2`, `x86-64-v3`, `x86-64-v4`) are LLVM CPU names too; each is
//! given its explicit feature list here, so that the vector math variants
//! (libmvec) and the vector width follow the level. A list of levels
//! builds one variant per level and a dispatcher (`dispatch`); any other
//! CPU (`native`, an LLVM CPU name, every AArch64 CPU) builds one plain
//! variant. The default on x86-64 is the dispatched list
//! `x86-64-v2,x86-64-v3,x86-64-v4`, whose baseline runs on any x86-64-v2
//! machine; on AArch64 it is `generic`.

use super::link::{link_flags, LinkNeeds};
use crate::error::Unsupported;
use crate::target::{Host, VectorIsa};
use inkwell::targets::{InitializationConfig, Target, TargetMachine, TargetTriple};

/// The `--target-cpu` of a build without one, on x86-64.
pub const DEFAULT_X86_CPUS: &str = "x86-64-v2,x86-64-v3,x86-64-v4";

/// The features of each x86-64 psABI level beyond the previous one, in
/// LLVM's names.
const LEVEL_FEATURES: [&str; 4] = [
    "+cmov,+cx8,+fxsr,+mmx,+sse,+sse2,+x87",
    "+cx16,+sahf,+popcnt,+sse3,+sse4.1,+sse4.2,+ssse3",
    "+avx,+avx2,+bmi,+bmi2,+f16c,+fma,+lzcnt,+movbe,+xsave",
    // LLVM tunes its x86-64-v4 like Skylake-X, preferring 256-bit vectors;
    // a v4 variant exists for its 512-bit registers.
    "+avx512f,+avx512bw,+avx512cd,+avx512dq,+avx512vl,-prefer-256-bit",
];

/// What each level adds, for the header and messages.
const LEVEL_NEEDS: [&str; 4] = [
    "SSE2",
    "SSE4.2, SSSE3, POPCNT, CMPXCHG16B, LAHF",
    "AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE",
    "AVX-512 F/BW/CD/DQ/VL",
];

/// The psABI level (1 to 4) `name` denotes, if it is one.
fn level_of(name: &str) -> Option<u8> {
    match name {
        "x86-64" => Some(1),
        "x86-64-v2" => Some(2),
        "x86-64-v3" => Some(3),
        "x86-64-v4" => Some(4),
        _ => None,
    }
}

/// The LLVM feature string of psABI level `level` (1 to 4).
fn level_features(level: u8) -> String {
    LEVEL_FEATURES[..usize::from(level.clamp(1, 4))].join(",")
}

/// One compiled form of every definition of an object.
#[derive(Clone, Debug)]
pub struct Variant {
    /// What `--target-cpu` named: `x86-64-v3`, `znver4`, `generic`; the
    /// host CPU's name for `native`.
    pub name: String,
    /// The x86-64 psABI level, for the levels.
    pub level: Option<u8>,
    /// CPU, features and vector math ISA the code is generated for.
    pub(crate) host: Host,
}

impl Variant {
    /// The suffix of this variant's symbols (`x86_64_v3`).
    pub fn suffix(&self) -> String {
        self.name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect()
    }
}

/// The architectures `blaze build` writes objects for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// x86-64 (`x86_64-*-linux-gnu`).
    X86_64,
    /// AArch64 (`aarch64-*-linux-gnu`).
    Aarch64,
}

/// What an object is built for: a triple and its variants.
#[derive(Clone, Debug)]
pub struct BuildTarget {
    /// The LLVM target triple, normalized.
    pub triple: String,
    /// The triple's architecture.
    pub arch: Arch,
    /// Whether the triple's architecture is not the build machine's
    /// (`native` refused).
    pub cross: bool,
    /// The variants, lowest level first when they are levels.
    pub variants: Vec<Variant>,
}

impl BuildTarget {
    /// Parses `--target TRIPLE` (default: the build machine's) and
    /// `--target-cpu CPU[,CPU…]` (default: [`DEFAULT_X86_CPUS`] on x86-64,
    /// `generic` on AArch64). `vector_math: false` keeps scalar libm calls.
    pub fn parse(
        triple: Option<&str>,
        cpus: Option<&str>,
        vector_math: bool,
    ) -> Result<BuildTarget, Unsupported> {
        let host_triple = TargetMachine::get_default_triple()
            .as_str()
            .to_string_lossy()
            .into_owned();
        let text = match triple {
            Some(t) => TargetMachine::normalize_triple(&TargetTriple::create(t))
                .as_str()
                .to_string_lossy()
                .into_owned(),
            None => host_triple.clone(),
        };
        let arch = match text.split('-').next() {
            Some("x86_64") => Arch::X86_64,
            Some("aarch64") => Arch::Aarch64,
            _ => {
                return Err(Unsupported(format!(
                    "target `{text}`: blaze build writes objects for x86_64 and aarch64 Linux (`x86_64-unknown-linux-gnu`, `aarch64-unknown-linux-gnu`)"
                )))
            }
        };
        if !text.contains("-linux") {
            return Err(Unsupported(format!(
                "target `{text}`: objects link against glibc's libm and libmvec, so the target must be Linux (`…-linux-gnu`)"
            )));
        }
        // Another vendor or OS field is still this machine's CPU.
        let cross = text.split('-').next() != host_triple.split('-').next();
        match arch {
            Arch::X86_64 => Target::initialize_x86(&InitializationConfig::default()),
            Arch::Aarch64 => Target::initialize_aarch64(&InitializationConfig::default()),
        }
        let default = match arch {
            Arch::X86_64 => DEFAULT_X86_CPUS,
            Arch::Aarch64 => "generic",
        };
        let list: Vec<&str> = cpus.unwrap_or(default).split(',').map(str::trim).collect();
        if list.iter().any(|c| c.is_empty()) {
            return Err(Unsupported(format!(
                "`--target-cpu {}`: an empty CPU name in the list",
                cpus.unwrap_or_default()
            )));
        }
        let mut variants = Vec::new();
        if list.len() > 1 || level_of(list[0]).is_some() {
            if arch != Arch::X86_64 {
                return Err(Unsupported(format!(
                    "`--target-cpu {}`: the x86-64 levels are CPUs of x86_64 targets, not of `{text}`",
                    list.join(",")
                )));
            }
            let mut levels = Vec::new();
            for c in &list {
                let level = level_of(c).ok_or_else(|| {
                    Unsupported(format!(
                        "`--target-cpu {}`: a list dispatches between the x86-64 levels (`x86-64`, `x86-64-v2`, `x86-64-v3`, `x86-64-v4`), and `{c}` is not one; name one CPU alone to build for it",
                        list.join(",")
                    ))
                })?;
                levels.push((level, *c));
            }
            levels.sort_unstable();
            levels.dedup();
            for (level, name) in levels {
                let isa = match level {
                    4 if vector_math => VectorIsa::Avx512,
                    3 if vector_math => VectorIsa::Avx2,
                    _ => VectorIsa::None,
                };
                let host = Host {
                    cpu: name.to_string(),
                    features: level_features(level),
                    isa,
                };
                variants.push(Variant {
                    name: name.to_string(),
                    level: Some(level),
                    host,
                });
            }
        } else if list[0] == "native" {
            if cross {
                return Err(Unsupported(format!(
                    "`--target-cpu native` is the build machine's CPU, which cannot run `{text}`; name a CPU of that target"
                )));
            }
            let host = Host::detect(vector_math);
            variants.push(Variant {
                name: host.cpu.clone(),
                level: None,
                host,
            });
        } else {
            let name = list[0];
            if !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(Unsupported(format!(
                    "`--target-cpu {name}` is not an LLVM CPU name"
                )));
            }
            // A named CPU's features are LLVM's for it; blaze knows no
            // vector math ISA for it, so math calls stay scalar.
            let host = Host {
                cpu: name.to_string(),
                features: String::new(),
                isa: VectorIsa::None,
            };
            variants.push(Variant {
                name: name.to_string(),
                level: None,
                host,
            });
        }
        Ok(BuildTarget {
            triple: text,
            arch,
            cross,
            variants,
        })
    }

    /// Whether the object dispatches between levels at its first call.
    pub fn dispatched(&self) -> bool {
        self.variants.iter().all(|v| v.level.is_some())
    }

    /// The CPU and features of the code outside the variants (dispatcher,
    /// libm wrappers): plain x86-64 for dispatched objects, so that a CPU
    /// below the baseline gets an error rather than an illegal instruction.
    pub(crate) fn base_host(&self) -> Host {
        if self.dispatched() {
            Host {
                cpu: "x86-64".into(),
                features: level_features(1),
                isa: VectorIsa::None,
            }
        } else {
            self.variants
                .first()
                .map(|v| v.host.clone())
                .unwrap_or_else(|| Host {
                    cpu: "generic".into(),
                    features: String::new(),
                    isa: VectorIsa::None,
                })
        }
    }

    /// What an object for this target needs at link time: BLAS when a
    /// definition calls it (`blas`), libmvec when a variant calls vector
    /// math.
    pub fn link_needs(&self, blas: bool) -> LinkNeeds {
        LinkNeeds {
            blas,
            vector_math: self.variants.iter().any(|v| v.host.isa != VectorIsa::None),
        }
    }

    /// The linker flags of an object for this target (see [`link_flags`]).
    pub fn link_flags(&self, blas: bool) -> String {
        link_flags(self.link_needs(blas), false)
    }

    /// What running the object needs, in a few lines of prose (the
    /// header's comment); `blas`: a definition calls BLAS.
    pub fn needs(&self, blas: bool) -> String {
        let mut s = format!("Target: {}.\n", self.triple);
        if self.dispatched() {
            let names: Vec<&str> = self.variants.iter().map(|v| v.name.as_str()).collect();
            let base = &self.variants[0];
            let level = usize::from(base.level.unwrap_or(1).clamp(1, 4));
            s.push_str(&format!(
                "Variants: {}; each function picks the best one the running CPU supports at its\nfirst call (cpuid), or the one named by the environment variable BLAZE_DISPATCH.\nNeeds: an x86-64 CPU of level {} or above ({}); on an older one\nevery call returns BLAZE_ERR_UNSUPPORTED.\n",
                names.join(", "),
                base.name,
                LEVEL_NEEDS[..level].join("; ")
            ));
        } else if let Some(v) = self.variants.first() {
            s.push_str(&format!(
                "Needs: a CPU that runs code for `{}` (no check at run time).\n",
                v.name
            ));
        }
        s.push_str(&format!("Link with: {}.\n", self.link_flags(blas)));
        if blas {
            s.push_str(&format!(
                "Or, OpenBLAS from its archive: {}.\n",
                link_flags(self.link_needs(blas), true)
            ));
        }
        s
    }
}
