//! From source text to the checked function to run: an expression typed
//! with the types of its inputs, or a module's chosen definition.

use crate::error::{BindError, Error};
use blaze_datashape::{Datashape, TypeEnv};
use blaze_ir::{check_expression, check_program, Function};
use blaze_syntax::{parse_expression, parse_module_source, Diagnostic};

/// A program's source.
#[derive(Clone, Debug, PartialEq)]
pub enum Program {
    /// An expression; its names are the inputs (typed by their files) and
    /// declared types.
    Expr(String),
    /// A module of definitions.
    Module {
        /// The source text.
        text: String,
        /// Its name in messages (a file name).
        origin: String,
        /// The definition to run (may be omitted when there is one).
        def: Option<String>,
    },
}

impl Program {
    /// An expression.
    pub fn expr(text: impl Into<String>) -> Program {
        Program::Expr(text.into())
    }

    fn text_and_origin(&self) -> (&str, &str) {
        match self {
            Program::Expr(t) => (t, "<expression>"),
            Program::Module { text, origin, .. } => (text, origin),
        }
    }

    /// Whether it is an expression.
    pub fn is_expr(&self) -> bool {
        matches!(self, Program::Expr(_))
    }
}

/// Parses and type-checks `program`; an expression's names get `types`,
/// which a module must not be given. Returns every checked function (one
/// for an expression).
pub fn check(program: &Program, types: &[(String, Datashape)]) -> Result<Vec<Function>, Error> {
    let (text, origin) = program.text_and_origin();
    let compile_error = |diagnostic: Diagnostic| Error::Compile {
        diagnostic,
        source: text.to_string(),
        origin: origin.to_string(),
    };
    match program {
        Program::Expr(_) => {
            let e = parse_expression(text).map_err(compile_error)?;
            Ok(vec![
                check_expression(&e, types, &TypeEnv::new(), text).map_err(compile_error)?
            ])
        }
        Program::Module { .. } => {
            if !types.is_empty() {
                return Err(BindError::TypesForModule.into());
            }
            let m = parse_module_source(text).map_err(compile_error)?;
            Ok(check_program(&m, text).map_err(compile_error)?.functions)
        }
    }
}

/// The function `program` runs: the expression, or the module's chosen
/// definition.
pub(super) fn chosen(program: &Program, functions: Vec<Function>) -> Result<Function, Error> {
    let names = || functions.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
    let def = match program {
        Program::Expr(_) => None,
        Program::Module { def, .. } => def.as_deref(),
    };
    let found = match (program, def) {
        (Program::Expr(_), _) => functions.first(),
        (_, Some(name)) => functions.iter().find(|f| f.name == name),
        (_, None) if functions.len() == 1 => functions.first(),
        (_, None) => return Err(BindError::ChooseDefinition(names()).into()),
    };
    match found {
        Some(f) => Ok(f.clone()),
        None => Err(BindError::NoDefinition {
            name: def.unwrap_or("").to_string(),
            origin: program.text_and_origin().1.to_string(),
            defined: names(),
        }
        .into()),
    }
}
