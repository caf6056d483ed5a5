"""Stage `corpus`: a corpus in (the embedded `demo` synthesizer, HCRC `maptask`, `switchboard` by its public word
alignments, a `local` folder), per dialogue one stereo WAV (speaker A left), its voice activity and an info record
out, then the manifest with the seeded split.

A corpus is a module here (or a plugin) that declares `CORPUS = Corpus(...)` (babbler.corpora.common);
`babbler.corpora.registry.CORPORA` lists them, and one rule and one script serve every corpus."""
