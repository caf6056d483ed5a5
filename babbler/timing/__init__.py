"""Stage `timing`: two speakers' voice activity in, turn-taking events (IPUs, pauses, gaps, overlaps, backchannels)
and their statistics out, and how well the extracted VA matches a reference."""
