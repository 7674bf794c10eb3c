//! Datashapes of Arrow schemas and the Arrow types of datashapes, as the
//! file formats see them: the canonical Arrow type of each measure, the
//! datashape of a file's schema (`var * {…}` or `N * {…}`), and whether a
//! datashape written by the user fits a file's.
//!
//! The element mapping (`string` → `Utf8`, `decimal[p, s]` →
//! `Decimal128(p, s)`, `var * T` → `List`, a fixed dimension →
//! `FixedSizeList`, a record → `Struct`, `?T` → a nullable field) is
//! [`blaze_array::schema`]'s; this module adds what only files need: the
//! datashape of a whole file, other decimal widths, and the check of a
//! user's datashape against a file's.

use arrow_schema::{DataType, Field, Schema};
use blaze_datashape::{Datashape, Dim, Measure};

/// The name of a list's element field, as Arrow writers use it.
pub const ITEM: &str = "item";

/// A field named `name` holding `ty`'s elements after its leading
/// dimensions were taken by the rows: nullable when the measure is an
/// option and no dimension is left.
pub fn field_of(name: &str, ty: &Datashape) -> Result<Field, String> {
    blaze_array::schema::arrow_field(name, &ty.dims, &ty.measure).map_err(|e| e.to_string())
}

/// The datashape of the elements of an Arrow type; `nullable` makes the
/// measure an option. A nullable list or struct is typed without the
/// option (a dimension or a record is never missing in blaze): reading
/// refuses a missing list, and a missing struct makes its fields missing.
/// Decimals of other widths than 128 bits read as `decimal[p, s]` too.
pub fn datashape_of(data_type: &DataType, nullable: bool) -> Result<Datashape, String> {
    let canonical = match data_type {
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) | DataType::Decimal256(p, s)
            if *p <= 38 =>
        {
            DataType::Decimal128(*p, *s)
        }
        other => other.clone(),
    };
    blaze_array::schema::datashape_of(&canonical, nullable).map_err(|e| e.to_string())
}

/// The datashape of a file of `rows` rows (`var` when unknown) with
/// `schema`: `N * {field: T, …}`.
pub fn schema_datashape(schema: &Schema, rows: Option<usize>) -> Result<Datashape, String> {
    let fields = schema
        .fields()
        .iter()
        .map(|f| {
            datashape_of(f.data_type(), f.is_nullable())
                .map(|t| (f.name().clone(), t))
                .map_err(|e| format!("column `{}`: {e}", f.name()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let dim = match rows {
        Some(n) => Dim::Fixed(n as u64),
        None => Dim::Var(None),
    };
    Ok(Datashape::new(vec![dim], Measure::Record { fields }))
}

/// `ty` with every option removed, at any depth.
pub fn without_options(ty: &Datashape) -> Datashape {
    Datashape::new(ty.dims.clone(), strip(&ty.measure))
}

fn strip(m: &Measure) -> Measure {
    match m {
        Measure::Option { inner } => strip(inner),
        Measure::Record { fields } => Measure::Record {
            fields: fields
                .iter()
                .map(|(n, t)| (n.clone(), without_options(t)))
                .collect(),
        },
        other => other.clone(),
    }
}

/// The fields of a datashape of rows, `var * {…}` or `N * {…}`.
pub fn row_fields(ty: &Datashape) -> Option<&[(String, Datashape)]> {
    match (ty.dims.as_slice(), &ty.measure) {
        ([Dim::Var(_) | Dim::Fixed(_)], Measure::Record { fields }) => Some(fields),
        _ => None,
    }
}

/// Checks a datashape the user gave for a file against the file's own:
/// each field the user names must be in the file, of the same type up to
/// options (a missing value found while reading where the user wrote no
/// `?` is an error then). The user may name a subset of the columns, in
/// any order. A fixed row count must be the file's.
pub fn check_annotation(file: &Datashape, user: &Datashape) -> Result<(), String> {
    let (Some(ff), Some(uf)) = (row_fields(file), row_fields(user)) else {
        return Err(format!(
            "the file holds `{file}`; a datashape for it is rows of records, as in `var * {{a: string}}`, not `{user}`"
        ));
    };
    if let (Dim::Fixed(a), Dim::Fixed(b)) = (&file.dims[0], &user.dims[0]) {
        if a != b {
            return Err(format!("the file has {a} rows, the datashape says {b}"));
        }
    }
    for (name, ut) in uf {
        let Some((_, ft)) = ff.iter().find(|(n, _)| n == name) else {
            let names: Vec<&str> = ff.iter().map(|(n, _)| n.as_str()).collect();
            return Err(format!(
                "the file has no column `{name}` (its columns: {})",
                names.join(", ")
            ));
        };
        if without_options(ft) != without_options(ut) {
            return Err(format!(
                "column `{name}` is `{ft}` in the file; the datashape says `{ut}`"
            ));
        }
    }
    Ok(())
}
