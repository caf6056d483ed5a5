"""Stage `sample`: trained frame models in, generated two-speaker tracks out, one set per system; a system is a
frame model run in a mode (`babbler.sampling.modes`), and every system is one entry in `babbler.sampling.systems`."""
