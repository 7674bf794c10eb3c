//! Reading tables with string and decimal columns: a Parquet file and a
//! CSV file of the same rows, each read whole into blaze's in-memory
//! columns (Arrow arrays for the strings and decimals, dense arrays for
//! the numbers) through `blaze::runtime::io::open(…).read_all()`, the path
//! `blaze eval --in` takes. The files are written by
//! `benches/formats.py`, which reads them with pyarrow in the same run.
//! Times the best of `--repeat` reads of each; prints one JSON line with
//! the times and checksums of what was read (rows, bytes of the strings,
//! non-missing decimals and their sum, sums of the numbers) for the
//! comparison with pyarrow's.
//!
//! ```text
//! cargo bench --bench formats -- --data DIR [--repeat 5] [--threads 2]
//! ```

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_array::Array as _;
use blaze::interp::{Array, Value};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// The rows' datashape: what the CSV annotation gives and what the
/// Parquet schema says.
const ROW: &str = "{name: string, price: ?decimal[12, 4], qty: int64, x: float64}";

struct Args {
    data: String,
    repeat: usize,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let flags = common::Flags::parse(&["--data", "--repeat", "--threads"])?;
    Ok(Args {
        data: flags.text("--data", "DIR")?,
        repeat: flags.count("--repeat", 5)?,
        threads: flags.count("--threads", 2)?,
    })
}

/// What was read, summed up: compared with pyarrow's reading of the same
/// file.
#[derive(Default)]
struct Checksum {
    rows: usize,
    name_bytes: usize,
    prices: usize,
    price_sum: i128,
    qty_sum: i64,
    x_sum: f64,
}

impl Checksum {
    fn of(v: &Value) -> Result<Checksum, String> {
        let Value::Record(fields) = v else {
            return Err("the table did not read as a record of columns".into());
        };
        let field = |n: &str| {
            fields
                .iter()
                .find(|(name, _)| name == n)
                .map(|(_, v)| v)
                .ok_or_else(|| format!("no column `{n}`"))
        };
        let mut c = Checksum::default();
        match field("name")? {
            Value::Column(col) => {
                let s = col
                    .array
                    .as_string_opt::<i32>()
                    .ok_or("`name` is not a string column")?;
                c.rows = s.len();
                let o = s.value_offsets();
                c.name_bytes = (o[o.len() - 1] - o[0]) as usize;
            }
            _ => return Err("`name` is not a column".into()),
        }
        match field("price")? {
            Value::Column(col) => {
                let d = col
                    .array
                    .as_primitive_opt::<Decimal128Type>()
                    .ok_or("`price` is not a decimal column")?;
                c.prices = d.len() - d.null_count();
                c.price_sum = d.iter().flatten().sum();
            }
            _ => return Err("`price` is not a column".into()),
        }
        match field("qty")? {
            Value::Array {
                data: Array::Int64(a),
                ..
            } => c.qty_sum = a.iter().sum(),
            _ => return Err("`qty` is not int64".into()),
        }
        match field("x")? {
            Value::Array {
                data: Array::Float64(a),
                ..
            } => c.x_sum = a.iter().sum(),
            _ => return Err("`x` is not float64".into()),
        }
        Ok(c)
    }

    fn json(&self) -> String {
        format!(
            "{{\"rows\": {}, \"name_bytes\": {}, \"prices\": {}, \"price_sum\": \"{}\", \"qty_sum\": {}, \"x_sum\": {}}}",
            self.rows, self.name_bytes, self.prices, self.price_sum, self.qty_sum, self.x_sum
        )
    }
}

/// The best of `repeat` whole reads of `path` and the checksum of the last.
fn time(path: &Path, repeat: usize) -> Result<(f64, Checksum), String> {
    let ty = blaze::datashape::parse(&format!("var * {ROW}")).map_err(|e| e.to_string())?;
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat {
        let t = Instant::now();
        let source = blaze::runtime::io::open(path, Some(&ty)).map_err(|e| e.to_string())?;
        let v = source.read_all().map_err(|e| e.to_string())?;
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(v);
    }
    let last = last.ok_or("no read")?;
    Ok((best, Checksum::of(&last)?))
}

fn run() -> Result<String, String> {
    let args = parse_args()?;
    // Readers that decode in parallel do it on rayon's global pool.
    rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build_global()
        .map_err(|e| e.to_string())?;
    let dir = Path::new(&args.data);
    let (t_parquet, c_parquet) = time(&dir.join("table.parquet"), args.repeat)?;
    let (t_csv, c_csv) = time(&dir.join("table.csv"), args.repeat)?;
    Ok(format!(
        "{{\"parquet\": {t_parquet}, \"csv\": {t_csv}, \"parquet_sums\": {}, \"csv_sums\": {}}}",
        c_parquet.json(),
        c_csv.json()
    ))
}

fn main() -> ExitCode {
    match run() {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("formats: {e}");
            ExitCode::FAILURE
        }
    }
}
