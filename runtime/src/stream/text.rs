//! The plan as text: [`StreamPlan::tasks`], the task graph one task a line
//! (what `blaze graph` prints), and `Display`, the plan by parts (what
//! `blaze explain` prints): the block function, the partials and how they
//! combine, the tail, the blocks.

use super::StreamPlan;
use std::fmt;

impl StreamPlan {
    /// The task graph, one task a line: reads, block computations, combines
    /// of partial results, writes, and the tail.
    /// An input of several files comes first, as a comment line with
    /// their count and names.
    pub fn tasks(&self, out: Option<&str>) -> Vec<String> {
        let mut lines: Vec<String> = self
            .described
            .iter()
            .map(|(n, d)| format!("# {n}: {d}"))
            .collect();
        lines.extend(self.tasks_of(out, &|_| true));
        lines
    }

    /// The rows of block `b`, and the file they are in when blocks follow
    /// the files of an input.
    fn block_range(&self, b: usize) -> (usize, usize, Option<&std::path::Path>) {
        if let Some(pieces) = &self.pieces {
            let (mut at, mut k) = (0usize, b);
            for (path, rows) in pieces {
                let n = rows.div_ceil(self.block);
                if k < n {
                    let r0 = at + k * self.block;
                    let r1 = (r0 + self.block).min(at + rows);
                    return (r0, r1, Some(path));
                }
                k -= n;
                at += rows;
            }
        }
        (
            b * self.block,
            ((b + 1) * self.block).min(self.rows.unwrap_or(usize::MAX)),
            None,
        )
    }

    /// The tasks of the blocks `keep` accepts; a line `...` stands for
    /// each run of the others.
    fn tasks_of(&self, out: Option<&str>, keep: &dyn Fn(usize) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        let known = self.blocks();
        let mut skipped = false;
        for b in 0..known.unwrap_or(2) {
            if keep(b) {
                lines.extend(self.block_tasks(b, out));
                skipped = false;
            } else if !skipped {
                lines.push("...".into());
                skipped = true;
            }
        }
        if known.is_none() {
            lines.push("... one block after another, to the end of the input".into());
        }
        let last = known.map_or("last".to_string(), |b| (b - 1).to_string());
        if self.tail.is_some() {
            let accs: Vec<String> = self
                .frontier
                .iter()
                .map(|(n, _)| format!("('%{}-acc', {last})", n.0))
                .collect();
            lines.push(format!("('result',): tail <- {}", accs.join(", ")));
        } else if let Some(o) = out {
            lines.push(format!("('finish',): sync and rename {o}"));
        }
        lines
    }

    /// The tasks of block `b`.
    fn block_tasks(&self, b: usize, out: Option<&str>) -> Vec<String> {
        let mut lines = Vec::new();
        let streamed: Vec<&str> = self.streamed_inputs().collect();
        let (r0, r1, file) = self.block_range(b);
        let reads: Vec<String> = streamed.iter().map(|n| format!("('{n}', {b})")).collect();
        let from = file.map_or(String::new(), |p| {
            let name = p.file_name().unwrap_or(p.as_os_str());
            format!(" ({})", name.to_string_lossy())
        });
        for n in &streamed {
            lines.push(format!("('{n}', {b}): read rows {r0}..{r1}{from}"));
        }
        for ((node, comb), label) in self.frontier.iter().zip(&self.labels) {
            lines.push(format!(
                "('%{}', {b}): {label} <- {}",
                node.0,
                reads.join(", ")
            ));
            match comb {
                Some(c) if b > 0 => lines.push(format!(
                    "('%{}-acc', {b}): ('%{}-acc', {}) {} ('%{}', {b})",
                    node.0,
                    node.0,
                    b - 1,
                    c.name(),
                    node.0
                )),
                Some(_) => {}
                None => lines.push(format!(
                    "('out', {b}): write rows {r0}..{r1} of {} <- ('%{}', {b})",
                    out.unwrap_or("memory"),
                    node.0
                )),
            }
        }
        lines
    }
}

impl fmt::Display for StreamPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let streamed: Vec<&str> = self.streamed_inputs().collect();
        let whole: Vec<&str> = self
            .params
            .iter()
            .filter(|(_, s)| !*s)
            .map(|(n, _)| n.as_str())
            .collect();
        match (self.rows, self.blocks()) {
            (Some(rows), Some(blocks)) => writeln!(
                f,
                "streamed: {rows} rows in {blocks} blocks of {} rows, one pass",
                self.block
            )?,
            _ => writeln!(
                f,
                "streamed: rows known at the end of the input, in blocks of {} rows, one pass",
                self.block
            )?,
        }
        writeln!(f, "read by blocks of rows: {}", streamed.join(", "))?;
        if !whole.is_empty() {
            writeln!(f, "read whole: {}", whole.join(", "))?;
        }
        writeln!(f, "block function (runs on every block):")?;
        for line in self.block_fn.function().to_string().lines() {
            writeln!(f, "  {line}")?;
        }
        for line in self.block_fn.to_string().lines() {
            writeln!(f, "  {line}")?;
        }
        for ((node, comb), label) in self.frontier.iter().zip(&self.labels) {
            match comb {
                Some(c) => writeln!(
                    f,
                    "partial %{}: {label}; combined across blocks in order with {}",
                    node.0,
                    c.name()
                )?,
                None => writeln!(
                    f,
                    "rows result %{}: {label}; written block by block",
                    node.0
                )?,
            }
        }
        if let Some(t) = &self.tail {
            writeln!(f, "tail (runs once on the combined partials):")?;
            for line in t.f.function().to_string().lines() {
                writeln!(f, "  {line}")?;
            }
            for line in t.f.to_string().lines() {
                writeln!(f, "  {line}")?;
            }
        }
        writeln!(f, "tasks (the first two blocks and the last):")?;
        let last = self.blocks().map_or(1, |b| b - 1);
        for line in self.tasks_of(None, &|b| b < 2 || b == last) {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}
