//! Parquet, Arrow IPC, JSON lines and CSV with strings, decimals, ragged
//! lists and records: the fixtures pyarrow made
//! (`tests/data/formats/make_fixtures.py`) read back equal to the facts
//! pyarrow computed (`expected.json`), blaze's own files read back equal,
//! streamed reads equal whole reads, and malformed files are refused with
//! errors naming the file and the place.

use arrow_array::cast::AsArray;
use arrow_array::types::{Decimal128Type, Float64Type};
use arrow_array::{Array as _, ArrayRef};
use blaze_interp::{Array, Value};
use blaze_runtime::io::{self, IoErrorKind, Location};

mod formats_common;
use formats_common::*;

/// Checks the value of `basic.*` against pyarrow's facts.
fn check_basic(v: &Value) {
    let facts = &expected()["basic"];
    let names = column(field(v, "name"));
    assert_eq!(names.shape, vec![5]);
    let want: Vec<Option<String>> = facts["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect();
    assert_eq!(strings(&names.array), want);
    let lens: Vec<usize> = strings(&names.array)
        .iter()
        .map(|s| s.as_deref().unwrap_or("").chars().count())
        .collect();
    let want_lens: Vec<usize> = facts["name_len"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(lens, want_lens);

    let price = column(field(v, "price"));
    let p = price.array.as_primitive::<Decimal128Type>();
    assert_eq!(p.data_type(), &arrow_schema::DataType::Decimal128(10, 2));
    assert_eq!(
        p.null_count() as u64,
        facts["price_nulls"].as_u64().unwrap()
    );
    let sum: i128 = p.iter().flatten().sum();
    assert_eq!(
        format!("{}.{:02}", sum / 100, sum % 100),
        facts["price_sum"].as_str().unwrap()
    );

    let values = column(field(v, "values"));
    let l = values.array.as_list::<i32>();
    let sums: Vec<f64> = (0..l.len())
        .map(|i| {
            l.value(i)
                .as_primitive::<Float64Type>()
                .iter()
                .flatten()
                .sum()
        })
        .collect();
    let counts: Vec<u64> = (0..l.len()).map(|i| l.value_length(i) as u64).collect();
    let want_sums: Vec<f64> = facts["values_sum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let want_counts: Vec<u64> = facts["values_count"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(sums, want_sums);
    assert_eq!(counts, want_counts);

    let s = field(v, "s");
    assert_eq!(f64s(field(s, "x")), vec![1.5, 2.5, 3.5, 4.5, 5.5]);
    let Value::Array {
        data: Array::Int32(y),
        missing: Some(m),
    } = field(s, "y")
    else {
        panic!("y is not ?int32: {:?}", field(s, "y"))
    };
    assert_eq!(
        m.iter().copied().collect::<Vec<_>>(),
        vec![false, true, false, false, true]
    );
    assert_eq!((y[[0]], y[[2]], y[[3]]), (1, 3, 4));
    let Value::Array {
        data: Array::Int64(n),
        ..
    } = field(v, "n")
    else {
        panic!("n is not int64")
    };
    assert_eq!(n.iter().copied().collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
}

#[test]
fn parquet_written_by_pyarrow_reads_with_its_schema() {
    let s = io::open(&fixture("basic.parquet"), None).unwrap();
    assert_eq!(
        s.datashape(),
        ty("5 * {name: ?string, price: ?decimal[10, 2], values: var * ?float64, s: {x: ?float64, y: ?int32}, n: ?int64}")
    );
    assert_eq!(s.rows(), Some(5));
    check_basic(&s.read_all().unwrap());
}

#[test]
fn every_compression_and_the_arrow_files_read_the_same() {
    let base = io::open(&fixture("basic.parquet"), None)
        .unwrap()
        .read_all()
        .unwrap();
    for name in [
        "basic.zstd.parquet",
        "basic.gzip.parquet",
        "basic.lz4.parquet",
        "basic.arrow",
        "basic.feather",
    ] {
        let s = io::open(&fixture(name), None).unwrap();
        let got = s.read_all().unwrap();
        assert_eq!(got, base, "{name}");
    }
}

#[test]
fn a_datashape_may_drop_options_the_data_does_not_use() {
    let t = ty("var * {name: string, price: ?decimal[10, 2], values: var * float64, s: {x: float64, y: ?int32}}");
    let v = io::open(&fixture("basic.parquet"), Some(&t))
        .unwrap()
        .read_all()
        .unwrap();
    let Value::Record(fs) = &v else { panic!() };
    assert_eq!(fs.len(), 4, "only the named columns");
    check_basic(&Value::Record(
        fs.iter()
            .cloned()
            .chain(
                io::open(&fixture("basic.parquet"), None)
                    .unwrap()
                    .read_all()
                    .map(|all| {
                        let Value::Record(a) = all else { panic!() };
                        a.into_iter().find(|(n, _)| n == "n").unwrap()
                    }),
            )
            .collect(),
    ));
    // The statistics count missing prices: no `?` is refused at open.
    let e = io::open(
        &fixture("basic.parquet"),
        Some(&ty("var * {price: decimal[10, 2]}")),
    )
    .unwrap_err();
    assert!(e.to_string().contains("basic.parquet"), "{e}");
    assert!(e.to_string().contains("`price`"), "{e}");
    // Missing values found while reading, in an Arrow file (no statistics).
    let e = io::open(
        &fixture("basic.arrow"),
        Some(&ty("var * {s: {x: float64, y: int32}}")),
    )
    .unwrap()
    .read_all()
    .unwrap_err();
    assert!(
        e.to_string().contains("`y`") && e.to_string().contains("missing"),
        "{e}"
    );
}

#[test]
fn a_type_the_file_does_not_hold_names_the_column_and_both_types() {
    let e = io::open(&fixture("basic.parquet"), Some(&ty("var * {name: int32}"))).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("basic.parquet") && m.contains("`name`"), "{m}");
    assert!(m.contains("?string") && m.contains("int32"), "{m}");
    let e = io::open(&fixture("basic.parquet"), Some(&ty("var * {nope: int32}"))).unwrap_err();
    assert!(e.to_string().contains("no column `nope`"), "{e}");
}

#[test]
fn dictionary_and_large_strings_become_utf8() {
    let v = io::open(&fixture("dict.parquet"), None)
        .unwrap()
        .read_all()
        .unwrap();
    let facts = &expected()["dict"];
    for name in ["sym", "big"] {
        let c = column(field(&v, name));
        assert_eq!(c.array.data_type(), &arrow_schema::DataType::Utf8, "{name}");
        let want: Vec<Option<String>> = facts[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().map(str::to_string))
            .collect();
        assert_eq!(strings(&c.array), want, "{name}");
    }
}

/// Joins blocks of records field by field (only the fields tested).
fn concat_blocks(blocks: &[Value], name: &str) -> Vec<Option<String>> {
    blocks
        .iter()
        .flat_map(|b| strings(&column(field(b, name)).array))
        .collect()
}

#[test]
fn blocks_of_rows_equal_the_whole_file() {
    for name in ["many.parquet"] {
        let s = io::open(&fixture(name), None).unwrap();
        let whole = s.read_all().unwrap();
        for block in [1, 333, 1000, 4999, 7000] {
            let mut r = s.blocks().unwrap();
            let mut blocks = Vec::new();
            let mut rows = 0;
            while let Some((b, n)) = r.next_block(block).unwrap() {
                assert!(n <= block && n > 0);
                rows += n;
                blocks.push(b.to_value().unwrap());
            }
            assert_eq!(r.finish().unwrap(), 5000);
            assert_eq!(rows, 5000);
            assert_eq!(
                concat_blocks(&blocks, "name"),
                strings(&column(field(&whole, "name")).array)
            );
            let ids: Vec<i64> = blocks
                .iter()
                .flat_map(|b| match field(b, "id") {
                    Value::Array {
                        data: Array::Int64(a),
                        ..
                    } => a.iter().copied().collect::<Vec<_>>(),
                    _ => panic!(),
                })
                .collect();
            assert_eq!(ids, (0..5000).collect::<Vec<i64>>());
        }
        let facts = &expected()["many"];
        let price = column(field(&whole, "price"));
        let sum: i128 = price
            .array
            .as_primitive::<Decimal128Type>()
            .iter()
            .flatten()
            .sum();
        assert_eq!(
            format!("{}.{:02}", sum / 100, sum % 100),
            facts["price_sum"].as_str().unwrap()
        );
    }
}

#[test]
fn blaze_files_read_back_equal() {
    let tmp = dir("roundtrip");
    let d = tmp.path();
    let v = io::open(&fixture("basic.parquet"), None)
        .unwrap()
        .read_all()
        .unwrap();
    for name in ["t.parquet", "t.arrow", "t.jsonl"] {
        let path = d.join(name);
        io::write_value(&path, &v).unwrap();
        let t = io::open(&fixture("basic.parquet"), None)
            .unwrap()
            .datashape();
        let back = io::open(&path, Some(&t)).unwrap().read_all().unwrap();
        assert_eq!(back, v, "{name}");
    }
}

#[test]
fn stock_csv_loads_with_strings_and_decimals() {
    let t = ty("var * {name: string, open: ?decimal[18, 4], close: ?decimal[18, 4], max: ?decimal[18, 4], min: ?decimal[18, 4]}");
    let v = io::open(&fixture("stock.csv"), Some(&t))
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(
        strings(&column(field(&v, "name")).array),
        ["GOOG", "AAPL", "MSFT", "GOOG", "IBM"].map(|s| Some(s.to_string()))
    );
    let open = column(field(&v, "open"))
        .array
        .as_primitive::<Decimal128Type>()
        .clone();
    assert_eq!(open.data_type(), &arrow_schema::DataType::Decimal128(18, 4));
    assert_eq!(
        open.iter().collect::<Vec<_>>(),
        vec![
            Some(15_000),
            None,
            Some(200_000),
            Some(20_000),
            Some(55_000)
        ]
    );
    let max = column(field(&v, "max"))
        .array
        .as_primitive::<Decimal128Type>()
        .clone();
    assert_eq!(max.null_count(), 1);
    // Blocks of rows read the same values.
    let s = io::open(&fixture("stock.csv"), Some(&t)).unwrap();
    let mut r = s.blocks().unwrap();
    let mut names = Vec::new();
    while let Some((b, n)) = r.next_block(2).unwrap() {
        assert!(n <= 2);
        names.extend(strings(
            &column(field(&b.to_value().unwrap(), "name")).array,
        ));
    }
    assert_eq!(names, strings(&column(field(&v, "name")).array));
    // Written as CSV and read back.
    let tmp = dir("stock");
    let d = tmp.path();
    let out = d.join("out.csv");
    io::write_value(&out, &v).unwrap();
    let back = io::open(&out, Some(&t)).unwrap().read_all().unwrap();
    assert_eq!(back, v);
}

#[test]
fn csv_dates_datetimes_bools_and_missing_strings() {
    let tmp = dir("csv-types");
    let d = tmp.path();
    let path = d.join("t.csv");
    std::fs::write(
        &path,
        "d,t,b,s,x\n2024-02-29,2024-02-29T12:30:00Z,true,hi,1.5\n1970-01-01,1970-01-01 00:00:01,0,,\n",
    )
    .unwrap();
    let t = ty("var * {d: date, t: datetime, b: bool, s: ?string, x: ?float64}");
    let v = io::open(&path, Some(&t)).unwrap().read_all().unwrap();
    let days = column(field(&v, "d"))
        .array
        .as_primitive::<arrow_array::types::Date32Type>()
        .clone();
    assert_eq!(days.values().to_vec(), vec![19_782, 0]);
    let ts = column(field(&v, "t"))
        .array
        .as_primitive::<arrow_array::types::TimestampMicrosecondType>()
        .clone();
    assert_eq!(
        ts.values().to_vec(),
        vec![(19_782 * 86_400 + 45_000) * 1_000_000, 1_000_000]
    );
    assert_eq!(
        strings(&column(field(&v, "s")).array),
        vec![Some("hi".to_string()), None]
    );
    let Value::Array {
        missing: Some(m), ..
    } = field(&v, "x")
    else {
        panic!()
    };
    assert_eq!(m.iter().copied().collect::<Vec<_>>(), vec![false, true]);
}

#[test]
fn a_bad_csv_decimal_names_the_line_and_field() {
    let tmp = dir("csv-bad");
    let d = tmp.path();
    let path = d.join("bad.csv");
    std::fs::write(&path, "name,open\nGOOG,1.5\nAAPL,12345.678\n").unwrap();
    let t = ty("var * {name: string, open: ?decimal[6, 2]}");
    let e = io::open(&path, Some(&t)).unwrap().read_all().unwrap_err();
    assert_eq!(e.kind(), IoErrorKind::BadValue);
    assert_eq!(
        e.location(),
        Location::Line {
            line: 3,
            field: Some("open".into())
        }
    );
    let m = e.to_string();
    assert!(
        m.contains("bad.csv:3") && m.contains("`open`") && m.contains("12345.678"),
        "{m}"
    );
}

#[test]
fn jsonl_records_read_with_their_datashape_and_write_back() {
    let t = ty("var * {name: string, price: ?decimal[6, 2], values: var * float64, s: {x: float64, y: ?int32}}");
    let v = io::open(&fixture("records.jsonl"), Some(&t))
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(
        strings(&column(field(&v, "name")).array),
        ["a", "b", "c"].map(|s| Some(s.to_string()))
    );
    let price = column(field(&v, "price"))
        .array
        .as_primitive::<Decimal128Type>()
        .clone();
    assert_eq!(
        price.iter().collect::<Vec<_>>(),
        vec![Some(125), None, Some(-50)]
    );
    let l = column(field(&v, "values")).array.as_list::<i32>().clone();
    assert_eq!(l.value_offsets(), &[0, 2, 2, 3]);
    let Value::Array {
        missing: Some(m), ..
    } = field(field(&v, "s"), "y")
    else {
        panic!()
    };
    assert_eq!(
        m.iter().copied().collect::<Vec<_>>(),
        vec![false, true, true]
    );
    // Without a datashape, it is discovered from the first lines (keys in
    // alphabetical order; decimals written as strings are strings).
    let found = io::open(&fixture("records.jsonl"), None).unwrap();
    assert_eq!(
        found.datashape().to_string(),
        "var * {name: string, price: ?string, s: {x: float64, y: ?int64}, values: var * float64}"
    );
    let tmp = dir("jsonl");
    let d = tmp.path();
    let out = d.join("out.jsonl");
    io::write_value(&out, &v).unwrap();
    assert_eq!(io::open(&out, Some(&t)).unwrap().read_all().unwrap(), v);
}

#[test]
fn a_truncated_parquet_file_names_the_file() {
    let tmp = dir("truncated");
    let d = tmp.path();
    let bytes = std::fs::read(fixture("basic.parquet")).unwrap();
    for cut in [bytes.len() / 2, bytes.len() - 3, 4] {
        let path = d.join("cut.parquet");
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let e = match io::open(&path, None) {
            Err(e) => e,
            Ok(s) => s.read_all().unwrap_err(),
        };
        assert!(e.to_string().contains("cut.parquet"), "{e}");
    }
    // The footer intact, a page broken: an error where the rows are.
    let mut broken = bytes.clone();
    for b in broken.iter_mut().skip(8).take(200) {
        *b = 0xAB;
    }
    let path = d.join("broken.parquet");
    std::fs::write(&path, &broken).unwrap();
    let e = match io::open(&path, None) {
        Err(e) => e,
        Ok(s) => s.read_all().unwrap_err(),
    };
    assert!(e.to_string().contains("broken.parquet"), "{e}");
}

#[test]
fn nested_lists_structs_in_lists_and_fixed_lists() {
    let s = io::open(&fixture("nested.parquet"), None).unwrap();
    assert_eq!(
        s.datashape(),
        ty("3 * {grid: var * var * ?int32, tags: var * {k: ?string, w: ?float64}, pair: 2 * ?float64}")
    );
    let v = s.read_all().unwrap();
    let grid = column(field(&v, "grid"));
    assert_eq!(grid.shape, vec![3]);
    let offsets: Vec<i32> = expected()["nested"]["grid_offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap() as i32)
        .collect();
    assert_eq!(
        grid.array.as_list::<i32>().value_offsets(),
        offsets.as_slice()
    );
    let tags = column(field(&v, "tags"));
    let inner = tags.array.as_list::<i32>().values().as_struct().clone();
    assert_eq!(
        strings(inner.column_by_name("k").unwrap()),
        vec![Some("a".to_string()), Some("b".to_string()), None]
    );
    let Value::Array {
        data: Array::Float64(pair),
        ..
    } = field(&v, "pair")
    else {
        panic!("pair is not dense")
    };
    assert_eq!(pair.shape(), &[3, 2]);
    assert_eq!(
        pair.iter().copied().collect::<Vec<_>>(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
    // Blocks of rows and blaze's own files read the same.
    let mut r = s.blocks().unwrap();
    let mut rows = 0;
    while let Some((b, n)) = r.next_block(2).unwrap() {
        let b = b.to_value().unwrap();
        assert_eq!(column(field(&b, "grid")).shape, vec![n]);
        rows += n;
    }
    assert_eq!(rows, 3);
    let tmp = dir("nested");
    let d = tmp.path();
    for name in ["n.parquet", "n.arrow", "n.jsonl"] {
        let path = d.join(name);
        io::write_value(&path, &v).unwrap();
        let back = io::open(&path, Some(&s.datashape()))
            .unwrap()
            .read_all()
            .unwrap();
        assert_eq!(back, v, "{name}");
    }
}

#[test]
fn a_bad_json_line_names_the_file_and_the_rows() {
    let tmp = dir("json-bad");
    let d = tmp.path();
    let path = d.join("bad.jsonl");
    std::fs::write(&path, "{\"a\": 1}\n{\"a\": \"x\"}\n").unwrap();
    let e = io::open(&path, Some(&ty("var * {a: int32}")))
        .unwrap()
        .read_all()
        .unwrap_err();
    let m = e.to_string();
    assert_eq!(
        e.location(),
        Location::Line {
            line: 2,
            field: None
        }
    );
    assert!(m.starts_with(&format!("{}:2: ", path.display())), "{m}");
    assert!(m.contains("\"x\""), "{m}");
    // A line that is not JSON.
    std::fs::write(&path, "{\"a\": 1}\n{\"a\": 2}\n{\"a\": \n").unwrap();
    let e = io::open(&path, Some(&ty("var * {a: int32}")))
        .unwrap()
        .read_all()
        .unwrap_err();
    assert_eq!(
        e.to_string().split(": ").next(),
        Some(format!("{}:3", path.display()).as_str()),
        "{e}"
    );
}

#[test]
fn a_missing_list_is_refused_and_a_missing_struct_makes_its_fields_missing() {
    use arrow_array::builder::{Float64Builder, ListBuilder};
    use arrow_array::{Float64Array, RecordBatch, StructArray};
    use arrow_buffer::NullBuffer;
    use arrow_schema::{DataType, Field, Fields};
    use std::sync::Arc;
    let mut lists = ListBuilder::new(Float64Builder::new());
    lists.values().append_value(1.0);
    lists.append(true);
    lists.append(false);
    let lists = lists.finish();
    let fields = Fields::from(vec![Field::new("x", DataType::Float64, true)]);
    let s = StructArray::new(
        fields,
        vec![Arc::new(Float64Array::from(vec![1.0, 2.0]))],
        Some(NullBuffer::from(vec![true, false])),
    );
    let batch = RecordBatch::try_from_iter(vec![
        ("l", Arc::new(lists) as ArrayRef),
        ("s", Arc::new(s) as ArrayRef),
    ])
    .unwrap();
    let tmp = dir("nulls");
    let path = tmp.path().join("nulls.parquet");
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let e = io::open(&path, Some(&ty("var * {l: var * ?float64}")))
        .unwrap()
        .read_all()
        .unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("nulls.parquet") && m.contains("`l`") && m.contains("row 1"),
        "{m}"
    );
    let v = io::open(&path, Some(&ty("var * {s: {x: ?float64}}")))
        .unwrap()
        .read_all()
        .unwrap();
    let Value::Array {
        missing: Some(m), ..
    } = field(field(&v, "s"), "x")
    else {
        panic!()
    };
    assert_eq!(m.iter().copied().collect::<Vec<_>>(), vec![false, true]);
}
