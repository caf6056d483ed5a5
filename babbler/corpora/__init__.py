"""The corpora a run can use: the embedded `demo` synthesizer, HCRC `maptask`, and a `local` folder."""
