//! What an object links with, in one place for the header's
//! "Link with" line and `blaze config`: OpenBLAS when a definition calls
//! BLAS, glibc's libmvec when a variant calls vector math, libm always.
//! Objects need no blaze library at all: every helper (DLPack checks,
//! error messages, dispatch, temporaries) is generated into the object.

/// What an object needs at link time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkNeeds {
    /// A definition calls BLAS (OpenBLAS's CBLAS interface).
    pub blas: bool,
    /// A variant calls vectorized math functions (glibc's libmvec).
    pub vector_math: bool,
}

impl LinkNeeds {
    /// What the most demanding object needs: every object links with
    /// these flags.
    pub const ANY: LinkNeeds = LinkNeeds {
        blas: true,
        vector_math: true,
    };
}

/// The linker flags for `needs`: shared libraries, or with `archive`
/// OpenBLAS from its static archive (`libopenblas.a`, with the threads
/// library it uses) and glibc's libraries shared as usual; `cc -static`
/// with the same flags makes a fully static executable.
pub fn link_flags(needs: LinkNeeds, archive: bool) -> String {
    let mut flags = Vec::new();
    if needs.blas {
        if archive {
            flags.extend(["-Wl,-Bstatic", "-lopenblas", "-Wl,-Bdynamic", "-lpthread"]);
        } else {
            flags.push("-lopenblas");
        }
    }
    if needs.vector_math {
        flags.push("-lmvec");
    }
    flags.push("-lm");
    flags.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_the_needs() {
        assert_eq!(link_flags(LinkNeeds::default(), false), "-lm");
        assert_eq!(link_flags(LinkNeeds::default(), true), "-lm");
        assert_eq!(link_flags(LinkNeeds::ANY, false), "-lopenblas -lmvec -lm");
        assert_eq!(
            link_flags(LinkNeeds::ANY, true),
            "-Wl,-Bstatic -lopenblas -Wl,-Bdynamic -lpthread -lmvec -lm"
        );
    }
}
